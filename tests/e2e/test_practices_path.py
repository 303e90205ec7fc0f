"""A mayor's office finds practices in Italian and English, submits one; a reviewer publishes it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from prossima.accounts.models import OrganisationKind, Role

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def login(page: Any, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nome utente o e-mail").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Accedi").click()


def test_find_filter_submit_review_publish(
    browser: Any, live_server: Any, territory: None, make_org: Any, make_user: Any
) -> None:
    from prossima.practices.actions import do_load_seed_practices
    from prossima.territory.models import Comune

    institute = make_org(OrganisationKind.RESEARCH_INSTITUTE, "Istituto (test)")
    do_load_seed_practices(institute)
    bologna = Comune.objects.get(istat_code="037006")
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna (test)", comune=bologna)
    make_user(comune, Role.ANALYST, username="autrice")
    make_user(institute, Role.RESEARCHER, username="revisore")
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # Italian and English searches find the same burglary practice.
    page.goto(base + "/practices/")
    search = page.get_by_test_id("practice-search")
    search.locator("input[name=q]").fill("furti in abitazione")
    search.locator("input[name=q]").press("Enter")
    page.wait_for_load_state()
    italian = page.get_by_test_id("practice-list").inner_text()
    assert "Kirkholt" in italian
    # Filtering by evidence rating keeps only effective practices.
    # Bootstrap Italia draws check boxes on their labels: people click the label.
    page.get_by_test_id("facet-rating").locator("label", has_text="Efficace").click()
    page.get_by_role("button", name="Applica i filtri").click()
    page.wait_for_load_state()
    items = page.get_by_test_id("practice-item")
    assert items.count() >= 1
    for i in range(items.count()):
        assert "Efficace" in items.nth(i).get_by_test_id("rating").inner_text()
    page.screenshot(path=str(SHOTS / "practices-search.png"), full_page=True)
    page.get_by_test_id("lang-en").click()
    page.wait_for_load_state()
    page.goto(base + "/practices/?q=burglary")
    assert "Kirkholt" in page.get_by_test_id("practice-list").inner_text()
    page.get_by_role("link", name="Protecting recently burgled homes", exact=False).click()
    assert page.get_by_test_id("emmie").is_visible()
    assert "Economic cost" in page.get_by_test_id("emmie").inner_text()
    page.get_by_test_id("lang-it").click()
    page.wait_for_load_state()

    # An analyst of the comune submits a practice.
    login(page, base, "autrice")
    page.goto(base + "/practices/new/")
    form = page.get_by_test_id("practice-form")
    form.locator("input[name=title]").fill("Custodi sociali nei condomini popolari")
    form.locator("textarea[name=summary]").fill(
        "Portieri sociali presenti ogni giorno nei caseggiati di edilizia pubblica."
    )
    form.locator("label", has_text="Furto in abitazione").click()
    form.locator("label", has_text="Prevenzione sociale").click()
    form.locator("input[name=comune]").fill("037006")
    form.locator("textarea[name=links]").fill("Scheda del progetto | https://example.org/custodi")
    form.locator("textarea[name=effect]").fill("Non ancora valutato con un confronto.")
    page.get_by_test_id("save-practice").click()
    page.wait_for_load_state()
    assert "Bozza" in page.get_by_test_id("status").inner_text()
    page.get_by_test_id("submit-practice").click()
    page.wait_for_load_state()
    assert "In revisione" in page.get_by_test_id("status").inner_text()
    context.clear_cookies()

    # A reviewer of the institute goes through the checklist and publishes it.
    login(page, base, "revisore")
    page.goto(base + "/practices/review/")
    page.get_by_role("link", name="Custodi sociali nei condomini popolari").click()
    page.get_by_test_id("review-practice").click()
    review = page.get_by_test_id("review-form")
    boxes = review.locator("input[name=checklist]")
    for i in range(boxes.count()):
        review.locator(f"label[for='{boxes.nth(i).get_attribute('id')}']").click()
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    review.locator("label", has_text=re.compile(r"^Pubblica$")).click()
    page.get_by_test_id("decide").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("status").count() == 0, "published: no status banner"
    emmie = page.get_by_test_id("emmie").inner_text()
    assert "Effetto" in emmie
    assert "Non ancora valutato" in emmie
    page.screenshot(path=str(SHOTS / "practices-detail.png"), full_page=True)
    context.clear_cookies()
    page.goto(base + "/practices/?q=custodi")
    assert "Custodi sociali" in page.get_by_test_id("practice-list").inner_text()
    assert not errors, errors
