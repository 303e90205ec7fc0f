"""An analyst imports a file, launches hotspots and a forecast and reads both on the map."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from prossima.accounts.models import OrganisationKind, Role

pytestmark = pytest.mark.e2e
DATA = Path(__file__).resolve().parents[1] / "data"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def launch(page: Any, base: str, dataset_id: int, kind: str, fields: dict[str, str]) -> None:
    page.goto(f"{base}/analytics/datasets/{dataset_id}/launch/{kind}/")
    for label, value in fields.items():
        field = page.get_by_label(label, exact=True)
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.get_by_role("button", name="Avvia").click()
    page.wait_for_url(re.compile(r"/analytics/runs/\d+/$"))
    page.wait_for_selector("[data-testid=run-results-link]", timeout=120_000)
    page.get_by_test_id("run-results-link").click()


def test_analyst_imports_analyses_and_maps(
    page: Any,
    live_server: Any,
    territory: None,
    make_org: Any,
    make_user: Any,
    redis_worker: None,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    from prossima.incidents.actions import do_create_dataset

    city = make_org(
        OrganisationKind.PARTNER_CITY,
        "Toronto (test)",
        country="CA",
        timezone_name="America/Toronto",
    )
    police = make_org(OrganisationKind.POLICE_COMMAND, "TPS analysts (test)", parent=city)
    make_user(police, Role.ANALYST, username="analyst")
    dataset = do_create_dataset(None, city, name="Major crime")
    base = live_server.url

    page.goto(base + "/accounts/login/")
    page.get_by_label("Nome utente o e-mail").fill("analyst")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Accedi").click()
    page.goto(base + "/incidents/")
    page.get_by_role("link", name="Major crime").click()
    page.get_by_label("File degli eventi").set_input_files(str(DATA / "toronto_mci_extract.csv.gz"))
    page.get_by_role("button", name="Carica e controlla").click()
    page.get_by_role("button", name="Importa").click()
    page.wait_for_selector("[data-testid=job-progress][data-status=done]", timeout=120_000)
    page.get_by_test_id("import-report-link").click()
    assert "11.740" in page.get_by_test_id("import-counts").inner_text()

    launch(page, base, dataset.pk, "hotspots", {"Dal": "2019-01-01"})
    assert page.get_by_test_id("gi-counts").is_visible()
    page.get_by_test_id("run-map-link").click()
    page.wait_for_selector("#analytics-map[data-loaded=true]", timeout=60_000)
    assert "Hot spot" in page.get_by_test_id("map-legend").inner_text()
    assert re.search(r"\d+ eventi sulla mappa", page.get_by_test_id("map-status").inner_text())
    page.get_by_label("Mese").fill("0")
    page.get_by_label("Mese").dispatch_event("change")
    page.wait_for_selector("#analytics-map[data-loaded=true]")
    assert page.get_by_test_id("month-label").inner_text() == "2018-01"

    launch(page, base, dataset.pk, "forecast", {"Modello": "stkde"})
    assert page.get_by_test_id("forecast-summary").is_visible()
    page.get_by_test_id("run-map-link").click()
    page.wait_for_selector("#analytics-map[data-loaded=true]", timeout=60_000)
    page.locator("path.forecast-cell.explained").first.dispatch_event("click")
    why = page.get_by_test_id("why-here")
    why.wait_for(timeout=20_000)
    assert "Perché qui?" in why.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "analyst-forecast-map.png"), full_page=True)
    assert not page.console_errors, page.console_errors
