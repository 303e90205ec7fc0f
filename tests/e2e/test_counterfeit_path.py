"""A consumer searches the product alerts in both languages; an officer records a seizure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

import prossima.counterfeit
from prossima.accounts.models import OrganisationKind, Role

pytestmark = pytest.mark.e2e

ALERTS = (
    Path(prossima.counterfeit.__file__).resolve().parent / "data" / "safety_gate_illustrativo.csv"
)
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_alert_search_in_two_languages_and_a_seizure_on_the_dashboard(
    browser: Any, live_server: Any, territory: None, make_org: Any, make_user: Any
) -> None:
    from prossima.counterfeit.alerts import do_import_alerts
    from prossima.territory.models import Comune

    do_import_alerts(None, raw=ALERTS.read_bytes(), filename=ALERTS.name)
    bologna = Comune.objects.get(istat_code="037006")
    org = make_org(OrganisationKind.COMUNE, "Comune di Bologna (test)", comune=bologna)
    police = make_org(OrganisationKind.POLICE_COMMAND, "Polizia Locale (test)", parent=org)
    make_user(police, Role.OFFICER, username="officer")
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # A consumer searches in Italian, then reads the same results in English.
    page.goto(base + "/counterfeit/alerts/")
    search = page.get_by_test_id("alert-search")
    search.locator("input[name=q]").fill("caricabatterie")
    search.locator("button[type=submit]").click()
    assert page.get_by_test_id("result-count").inner_text().startswith("1 ")
    page.get_by_role("link", name="Caricabatterie USB di esempio (prodotto inventato)").click()
    assert "Che cosa fare se lo possiedi" in page.content()
    page.get_by_test_id("lang-en").click()
    page.wait_for_load_state()
    assert "What to do if you have it" in page.content()
    page.goto(base + "/counterfeit/alerts/?category=electrical")
    assert "alert" in page.get_by_test_id("result-count").inner_text()
    page.screenshot(path=str(SHOTS / "counterfeit-alerts.png"), full_page=True)
    page.get_by_test_id("lang-it").click()

    # An officer records a seizure with one line of goods; the dashboard counts it.
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nome utente o e-mail").fill("officer")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Accedi").click()
    slug = org.slug
    page.goto(base + f"/counterfeit/seizures/{slug}/new/")
    form = page.get_by_test_id("seizure-form")
    form.locator("input[name=seized_on]").fill(timezone.localdate().isoformat())
    form.locator("input[name=unit]").fill("Nucleo di prova")
    form.locator("select[name=place_type]").select_option("street")
    form.locator("input[name=lat]").fill("44.4939")
    form.locator("input[name=lon]").fill("11.3426")
    form.locator("select[name=outcome]").select_option("destroyed")
    form.locator("select[name=goods-0-category]").select_option("leather_goods")
    form.locator("input[name=goods-0-brand]").fill("Marca di prova")
    form.locator("input[name=goods-0-quantity]").fill("12")
    form.locator("input[name=goods-0-genuine_unit_value]").fill("300")
    form.locator("select[name=goods-0-nature]").select_option("counterfeit")
    page.get_by_test_id("save").click()
    page.goto(base + f"/counterfeit/seizures/{slug}/dashboard/")
    page.wait_for_selector("#seizure-map[data-loaded=true]")
    assert page.get_by_test_id("overall-operations").inner_text() == "1"
    assert "3.600" in page.get_by_test_id("overall-value").inner_text()
    page.screenshot(path=str(SHOTS / "counterfeit-dashboard.png"), full_page=True)
    context.close()
    assert not errors, errors
