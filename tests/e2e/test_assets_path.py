"""A comune's manager imports an agency file, fixes its rows, grants an idle asset, publishes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

import prossima.assets
from prossima.accounts.models import OrganisationKind, Role

pytestmark = pytest.mark.e2e

DESTINED = (
    Path(prossima.assets.__file__).resolve().parent / "data" / "immobili_destinati_illustrativo.csv"
)
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nome utente o e-mail").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Accedi").click()


def test_manager_imports_fixes_grants_and_the_public_list_matches(
    browser: Any, live_server: Any, territory: None, make_org: Any, make_user: Any
) -> None:
    from prossima.assets.models import AlertKind, Asset, AssetAlert
    from prossima.territory.models import Comune

    bologna = Comune.objects.get(istat_code="037006")
    org = make_org(OrganisationKind.COMUNE, "Comune di Bologna (test)", comune=bologna)
    make_user(org, Role.MANAGER, username="manager")
    association = make_org(OrganisationKind.ASSOCIATION, "Associazione (test)")
    make_user(association, Role.ANALYST, username="association")
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, base, "manager")

    # Import the agency file: the mapping is guessed, two rows cannot be matched.
    page.goto(base + "/assets/")
    page.get_by_role("link", name="Apri il registro").click()
    page.get_by_test_id("import-link").click()
    page.get_by_label("File dell'ANBSC (CSV)").set_input_files(str(DESTINED))
    page.get_by_role("button", name="Continua").click()
    assert page.locator("select[name=col_code]").input_value() == "s_bene"
    page.get_by_test_id("run-import").click()
    counts = page.get_by_test_id("import-counts").inner_text()
    assert "7" in counts
    # Coming back later: the registry leads to the rows still to fix.
    page.goto(base + "/assets/")
    page.get_by_role("link", name="Apri il registro").click()
    page.get_by_test_id("fix-rows").click()
    page.get_by_test_id("resolve-I-BO-DEMO-008").click()
    page.get_by_test_id("discard-I-BO-DEMO-011").click()
    pending = page.get_by_test_id("pending").inner_text()
    assert "importato" in pending
    assert "scartata" in pending
    assert Asset.objects.filter(comune=bologna).count() == 8

    # Hand an asset over two years ago: it is idle, and the registry says so.
    page.goto(base + "/assets/")
    page.get_by_role("link", name="Apri il registro").click()
    page.get_by_role("link", name="I-BO-DEMO-001").click()
    two_years_ago = (timezone.localdate() - dt.timedelta(days=730)).isoformat()
    stage_form = page.get_by_test_id("stage-form")
    stage_form.locator("select[name=stage]").select_option("handed_over")
    stage_form.locator("input[name=on]").fill(two_years_ago)
    stage_form.get_by_role("button", name="Registra").click()
    assert page.get_by_test_id("alert-idle").is_visible()

    # Grant it: the alert clears.
    page.get_by_test_id("new-concession").click()
    form = page.get_by_test_id("concession-form")
    form.get_by_label("Concessionario", exact=True).fill("Cooperativa di prova")
    form.locator("select[name=holder_kind]").select_option("cooperative")
    form.get_by_label("Atto di concessione").fill("Determina n. 12 del 3/3/2025")
    form.get_by_label("Oggetto della concessione").fill("Comodato d'uso gratuito")
    form.locator("select[name=purpose]").select_option("social")
    form.locator("input[name=starts_on]").fill(timezone.localdate().isoformat())
    form.locator("input[name=duration_months]").fill("48")
    form.locator("input[name=project_title]").fill("Casa delle associazioni")
    form.locator("textarea[name=goals]").fill("Spazi per le associazioni del quartiere")
    form.locator("input[name=beneficiaries]").fill("Associazioni di quartiere")
    form.get_by_role("button", name="Registra la concessione").click()
    assert page.get_by_test_id("concession").count() == 1
    assert page.get_by_test_id("alert-idle").count() == 0
    alert = AssetAlert.objects.get(asset__code="I-BO-DEMO-001", kind=AlertKind.IDLE)
    assert alert.cleared_on is not None
    page.screenshot(path=str(SHOTS / "assets-asset.png"), full_page=True)

    # The public list and its downloads match the registry.
    public = context.new_page()
    public.goto(base + "/assets/comuni/037006/")
    listed = public.get_by_test_id("public-list").inner_text()
    assert "Cooperativa di prova" in listed
    public.screenshot(path=str(SHOTS / "assets-public-list.png"), full_page=True)
    rows = list(
        csv.DictReader(
            io.StringIO(public.request.get(base + "/assets/comuni/037006/assets.csv").text())
        )
    )
    registry = Asset.objects.filter(comune=bologna, stage__in=["destined", "handed_over"])
    assert sorted(r["codice_bene"] for r in rows) == sorted(a.code for a in registry)
    granted = next(r for r in rows if r["codice_bene"] == "I-BO-DEMO-001")
    assert granted["concessionario"] == "Cooperativa di prova"
    assert granted["durata_mesi"] == "48"
    geo = json.loads(public.request.get(base + "/assets/comuni/037006/assets.geojson").text())
    assert sorted(f["properties"]["codice_bene"] for f in geo["features"]) == sorted(
        r["codice_bene"] for r in rows
    )

    # The association counts the assets by stage per region.
    other = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    tab = other.new_page()
    log_in(tab, base, "association")
    tab.goto(base + "/assets/italy/")
    tab.wait_for_selector("#assets-map[data-loaded=true]")
    regions = tab.get_by_test_id("regions").inner_text()
    assert "Emilia-Romagna" in regions
    assert tab.get_by_test_id("national-alerts").is_visible()
    tab.screenshot(path=str(SHOTS / "assets-national.png"), full_page=True)
    other.close()
    context.close()
    assert not errors, errors
