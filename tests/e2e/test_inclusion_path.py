"""A comune uploads indicators and reads its vulnerability map; a walk is audited on a phone."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from prossima.accounts.models import OrganisationKind, Role

pytestmark = pytest.mark.e2e


def square(code: str, lon: float, lat: float, d: float = 0.01) -> dict[str, Any]:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": f"Zona {code}"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nome utente o e-mail").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Accedi").click()


def test_vulnerability_map_and_a_safety_walk_on_a_phone(
    browser: Any, live_server: Any, territory: None, make_org: Any, make_user: Any, tmp_path: Any
) -> None:
    from prossima.territory.actions import do_import_subareas
    from prossima.territory.models import Comune

    bologna = Comune.objects.get(istat_code="037006")
    zones = [square(f"Z{i}", 11.33 + 0.012 * i, 44.49) for i in range(3)]
    do_import_subareas(None, bologna, json.dumps({"type": "FeatureCollection", "features": zones}))
    org = make_org(OrganisationKind.COMUNE, "Comune di Bologna (test)", comune=bologna)
    make_user(org, Role.MANAGER, username="manager")
    make_user(username="resident")
    base = live_server.url
    csv = tmp_path / "quartieri.csv"
    csv.write_text(
        "subarea_code,living_alone_share,neet_share\nZ0,0.4,0.2\nZ1,0.1,0.05\nZ2,0.2,0.1\n"
    )

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, base, "manager")
    page.goto(base + "/inclusion/comuni/037006/")
    page.get_by_test_id("upload-link").click()
    page.get_by_label("File degli indicatori (CSV)").set_input_files(str(csv))
    page.get_by_role("button", name="Carica").click()
    page.wait_for_selector("#vulnerability-map[data-loaded=true]")
    first = page.get_by_test_id("ranked").locator("tbody tr").first.inner_text()
    assert "Zona Z0" in first
    page.goto(base + "/inclusion/")
    page.get_by_role("link", name=re.compile("Nuova passeggiata")).click()
    page.get_by_label("Titolo").fill("Passeggiata serale")
    page.get_by_label("Data").fill("2026-12-01")
    page.get_by_role("button", name="Crea la passeggiata").click()
    page.wait_for_url(re.compile(r"/inclusion/campaigns/\d+/$"))
    campaign_url = page.url
    context.close()

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="it-IT", is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, base, "resident")
    page.goto(campaign_url)
    page.get_by_test_id("audit-link").click()
    page.locator("input[name=lat]").fill("44.4937")
    page.locator("input[name=lon]").fill("11.3426")
    for group in page.locator("form[data-testid=audit-form] fieldset").all():
        group.locator("label").nth(2).click()
    shots = Path(__file__).resolve().parents[2] / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "safety-audit-phone.png"), full_page=True)
    page.get_by_role("button", name="Salva questo punto").click()
    page.wait_for_selector(".alert-success, .invalid-feedback, .alert-danger")
    assert page.locator(".alert-success").count() == 1, page.locator(
        ".invalid-feedback, .alert-danger"
    ).all_inner_texts()
    page.goto(campaign_url)
    page.wait_for_selector("#audit-map[data-loaded=true]")
    assert page.locator("#audit-map path.leaflet-interactive").count() >= 1
    phone.close()
    assert not errors, errors
