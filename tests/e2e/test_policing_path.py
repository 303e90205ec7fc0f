"""A manager draws beats and plans tomorrow's shift; an officer logs visits on a phone;
a project with SARA stages shows its impact evaluation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from prossima.accounts.models import OrganisationKind, Role

pytestmark = pytest.mark.e2e
DATA = Path(__file__).resolve().parents[1] / "data"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nome utente o e-mail").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Accedi").click()


def test_manager_beats_patrol_plan_and_officer_log(
    browser: Any,
    live_server: Any,
    territory: None,
    make_org: Any,
    make_user: Any,
    redis_worker: None,
) -> None:
    from prossima.analytics.actions import do_launch_run
    from prossima.incidents.actions import do_create_dataset, do_import_incidents
    from prossima.jobs.runner import run_job

    city = make_org(
        OrganisationKind.PARTNER_CITY,
        "Toronto (test)",
        country="CA",
        timezone_name="America/Toronto",
    )
    police = make_org(OrganisationKind.POLICE_COMMAND, "TPS (test)", parent=city)
    make_user(city, Role.MANAGER, username="manager")
    make_user(police, Role.OFFICER, username="officer")
    dataset = do_create_dataset(None, city, name="Major crime")
    do_import_incidents(None, dataset, DATA / "toronto_mci_extract.csv.gz")
    run = do_launch_run(None, dataset, "forecast", {"model": "prospective"})
    run_job(run.job_id)  # type: ignore[arg-type]
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, base, "manager")
    page.goto(base + "/policing/")
    page.get_by_test_id("new-beats").click()
    page.get_by_label("Numero di beat").fill("4")
    page.get_by_label("Eventi usati per il carico di lavoro").select_option(label="Major crime")
    page.get_by_role("button", name="Disegna i beat").click()
    page.wait_for_url(re.compile(r"/policing/beats/\d+/$"))
    page.wait_for_selector("[data-testid=job-progress][data-status=done]", timeout=120_000)
    page.reload()
    page.wait_for_selector("#beats-map[data-loaded=true]", timeout=30_000)
    assert page.get_by_test_id("beats-table").locator("tbody tr").count() == 4
    page.get_by_test_id("start-edit").click()
    page.wait_for_selector("#beats-map[data-loaded=true]", timeout=30_000)
    page.locator("[data-testid=edit-status]:not(:empty)").wait_for()
    assert "Equilibrio" in page.get_by_test_id("edit-status").inner_text()
    page.get_by_test_id("activate").click()
    page.get_by_role("link", name="Pianifica un turno").first.click()
    page.get_by_role("button", name="Prepara il piano").click()
    page.wait_for_url(re.compile(r"/policing/patrols/\d+/$"))
    patrol_url = page.url
    boxes = page.get_by_test_id("boxes").locator("tbody tr").count()
    page.get_by_test_id("print-link").click()
    assert page.locator("svg.briefing-map").count() == 1
    page.screenshot(path=str(SHOTS / "briefing.png"), full_page=True)
    context.close()

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="it-IT", is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, base, "officer")
    page.goto(patrol_url + "log/")
    if boxes:
        page.get_by_label("Minuti nel riquadro").first.fill("12")
        page.get_by_label("Persone con cui hai parlato").first.fill("3")
        page.get_by_role("button", name=re.compile("Registra la visita")).first.click()
        assert page.get_by_test_id("done-1").inner_text().startswith("12 / 30")
    page.screenshot(path=str(SHOTS / "visit-log-phone.png"), full_page=True)
    phone.close()
    assert not errors, errors


def test_manager_creates_a_project_and_reads_its_evaluation(
    page: Any, live_server: Any, territory: None, make_org: Any, make_user: Any
) -> None:
    from prossima.incidents.actions import do_create_dataset, do_import_incidents

    city = make_org(
        OrganisationKind.PARTNER_CITY,
        "Toronto (test)",
        country="CA",
        timezone_name="America/Toronto",
    )
    make_user(city, Role.MANAGER, username="manager")
    dataset = do_create_dataset(None, city, name="Major crime")
    do_import_incidents(None, dataset, DATA / "toronto_mci_extract.csv.gz")
    base = live_server.url
    log_in(page, base, "manager")
    page.goto(base + "/interventions/")
    page.get_by_test_id("new-project").click()
    page.get_by_label("Titolo").fill("Più luce in centro")
    page.get_by_label("Tipo").select_option("requalification")
    page.get_by_label("Inizio").fill("2019-01-01")
    page.get_by_label("Eventi per la valutazione").select_option(label="Major crime")
    box = page.get_by_test_id("area-map").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-40, -40), (40, -40), (40, 40), (-40, 40)):
        page.mouse.click(cx + dx, cy + dy)
    assert '"Polygon"' in page.locator("textarea[name=area]").input_value()
    page.get_by_role("button", name="Crea il progetto").click()
    page.wait_for_url(re.compile(r"/interventions/projects/\d+/$"))
    assert page.get_by_test_id("checklist-scanning").locator("li").count() == 3
    control = (
        '{"type":"Polygon","coordinates":[[[-79.415,43.643],[-79.405,43.643],'
        "[-79.405,43.651],[-79.415,43.651],[-79.415,43.643]]]}"
    )
    page.locator("textarea[name=control_area]").fill(control)
    page.get_by_role("button", name="Valuta", exact=True).click()
    page.wait_for_selector(
        "[data-testid=impact-chart] svg, .alert-danger, .invalid-feedback", timeout=60_000
    )
    problems = page.locator(".alert-danger, .invalid-feedback").all_inner_texts()
    assert not problems, problems
    assert page.get_by_test_id("verdict").is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "project-evaluation.png"), full_page=True)
    assert not page.console_errors, page.console_errors
