"""WCAG 2.1 A/AA checks with axe-core on the main pages, in both languages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
PAGES = [
    "/",
    "/comuni/?q=bol",
    "/comuni/037006/",
    "/accounts/login/",
    "/accounts/register/",
    "/accounts/organisations/",
    "/about/",
    "/modules/reports/",
    "/practices/",
    "/practices/like-mine/?comune=037006",
    "/counterfeit/",
    "/counterfeit/alerts/",
    "/counterfeit/campaigns/",
    "/counterfeit/subscribe/",
    "/assets/italy/",
    "/assets/comuni/037006/",
    "/incidents/reports/",
    "/incidents/reports/new/?comune=037006",
    "/incidents/reports/comuni/037006/",
    "/analytics/public/",
    "/privacy/retention/",
    "/accounts/password/reset/",
    "/accounts/password/reset/sent/",
]


def violations(page: Any, base: str, urls: Any) -> list[str]:
    """Return the WCAG 2.1 A/AA violations axe finds on each page, one line each."""
    problems = []
    for url in urls:
        page.goto(base + url)
        page.wait_for_load_state("networkidle")
        page.add_script_tag(content=AXE)
        result = page.evaluate(
            "async () => await axe.run(document, {runOnly: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
        )
        for violation in result["violations"]:
            targets = [node["target"] for node in violation["nodes"][:3]]
            problems.append(f"{url}: {violation['id']} ({violation['help']}) at {targets}")
    return problems


def sign_in(page: Any, base: str, username: str, password: str) -> None:
    """Log in through the login form, as a person would."""
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nome utente o e-mail").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Accedi").click()


@pytest.fixture
def audited_page(browser: Any) -> Any:
    # The platform's CSP forbids injected scripts, rightly; the audit needs one.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("language", ["it", "en"])
def test_pages_have_no_wcag_violations(
    audited_page: Any, live_server: Any, territory: None, language: str
) -> None:
    page = audited_page
    page.goto(live_server.url + "/")
    page.get_by_test_id(f"lang-{language}").click()
    page.wait_for_load_state()
    problems = violations(page, live_server.url, PAGES)
    assert not problems, "\n".join(problems)


def test_asset_office_pages_have_no_wcag_violations(
    audited_page: Any, live_server: Any, territory: None, make_org: Any, make_user: Any
) -> None:
    import prossima.assets
    from prossima.accounts.models import OrganisationKind, Role
    from prossima.assets import agency
    from prossima.assets.actions import do_import_assets
    from prossima.territory.models import Comune

    bologna = Comune.objects.get(istat_code="037006")
    org = make_org(OrganisationKind.COMUNE, "Comune di Bologna (test)", comune=bologna)
    make_user(org, Role.MANAGER, username="manager")
    path = Path(prossima.assets.__file__).parent / "data" / "immobili_destinati_illustrativo.csv"
    raw = path.read_bytes()
    header, rows = agency.read_table(agency.decode(raw), path.name)
    record = do_import_assets(
        None,
        raw=raw,
        filename=path.name,
        file_kind=agency.guess_file_kind(header, rows),
        columns=agency.guess_columns(header),
        scope=[bologna],
        organisation=org,
    )
    asset = bologna.confiscated_assets.order_by("code").first()
    page = audited_page
    sign_in(page, live_server.url, "manager", "correct horse battery")
    urls = (
        "/assets/",
        f"/assets/registry/{org.slug}/",
        f"/assets/registry/{org.slug}/import/",
        f"/assets/registry/{org.slug}/new/",
        f"/assets/imports/{record.pk}/",
        f"/assets/record/{asset.pk}/",
        f"/assets/record/{asset.pk}/concession/",
        f"/assets/public/{asset.code}/",
    )
    problems = violations(page, live_server.url, urls)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["it", "en"])
def test_practice_pages_have_no_wcag_violations(
    audited_page: Any,
    live_server: Any,
    territory: None,
    make_org: Any,
    make_user: Any,
    language: str,
) -> None:
    from prossima.accounts.models import OrganisationKind, Role
    from prossima.practices.actions import do_load_seed_practices
    from prossima.territory.models import Comune

    institute = make_org(OrganisationKind.RESEARCH_INSTITUTE, "Istituto (test)")
    do_load_seed_practices(institute)
    bologna = Comune.objects.get(istat_code="037006")
    org = make_org(OrganisationKind.COMUNE, "Comune di Bologna (test)", comune=bologna)
    make_user(org, Role.ANALYST, username="analyst")
    page = audited_page
    sign_in(page, live_server.url, "analyst", "correct horse battery")
    page.get_by_test_id(f"lang-{language}").click()
    page.wait_for_load_state()
    urls = (
        "/practices/?q=furti+in+abitazione&rating=effective",
        "/practices/kirkholt-prevenzione-furti-ripetuti/",
        "/practices/kirkholt-prevenzione-furti-ripetuti/print/",
        "/practices/new/",
        "/practices/mine/",
    )
    problems = violations(page, live_server.url, urls)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["it", "en"])
def test_participation_pages_have_no_wcag_violations(
    audited_page: Any, live_server: Any, territory: None, language: str
) -> None:
    from prossima.demo import DEMO_PASSWORD, load_demo_accounts, load_demo_dialogue
    from prossima.dialogue.models import Consultation, Course, Enrolment, Meeting, Proposal

    load_demo_dialogue(load_demo_accounts())
    consultation = Consultation.objects.get()
    proposal = Proposal.objects.filter(answer="accepted").get()
    meeting = Meeting.objects.filter(kind="public_assembly").get()
    course = Course.objects.get()
    code = Enrolment.objects.exclude(certificate_code="").get().certificate_code
    page = audited_page
    sign_in(page, live_server.url, "responsabile.bologna", DEMO_PASSWORD)
    page.get_by_test_id(f"lang-{language}").click()
    page.wait_for_load_state()
    urls = (
        "/dialogue/",
        consultation.get_absolute_url(),
        f"/dialogue/consultations/{consultation.slug}/propose/",
        f"/dialogue/consultations/{consultation.slug}/edit/",
        proposal.get_absolute_url(),
        proposal.get_absolute_url() + "answer/",
        "/dialogue/pledges/",
        "/dialogue/contributions/",
        "/dialogue/moderation/",
        "/dialogue/notifications/",
        "/dialogue/notifications/settings/",
        "/dialogue/meetings/",
        meeting.get_absolute_url(),
        f"/dialogue/meetings/{meeting.slug}/registrations/",
        "/dialogue/training/",
        course.get_absolute_url(),
        f"/dialogue/certificates/{code}/",
    )
    problems = violations(page, live_server.url, urls)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["it", "en"])
def test_indicator_and_open_data_pages_have_no_wcag_violations(
    audited_page: Any, live_server: Any, territory: None, language: str
) -> None:
    from django.utils import timezone

    from prossima.demo import (
        DEMO_PASSWORD,
        load_demo_accounts,
        load_demo_dialogue,
        load_demo_indicators,
        load_demo_reports,
    )
    from prossima.reports.models import ResearchRequest

    orgs = load_demo_accounts()
    load_demo_reports(orgs)
    load_demo_dialogue(orgs)
    load_demo_indicators()
    year = timezone.localdate().year
    request = ResearchRequest.objects.get()
    page = audited_page
    sign_in(page, live_server.url, "ricercatrice.istituto", DEMO_PASSWORD)
    page.get_by_test_id(f"lang-{language}").click()
    page.wait_for_load_state()
    urls = (
        "/reports/",
        "/reports/indicators/residents_65/",
        "/reports/indicators/incidents_rate/",
        "/reports/comuni/037006/",
        f"/reports/comuni/037006/{year}/",
        "/reports/catalogue/",
        "/reports/research/",
        "/reports/research/new/",
        f"/reports/research/{request.pk}/",
    )
    problems = violations(page, live_server.url, urls)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["it", "en"])
def test_account_and_privacy_pages_have_no_wcag_violations(
    audited_page: Any, live_server: Any, territory: None, language: str
) -> None:
    from prossima.demo import DEMO_PASSWORD, load_demo_accounts

    load_demo_accounts()
    page = audited_page
    sign_in(page, live_server.url, "amministratore.bologna", DEMO_PASSWORD)
    page.get_by_test_id(f"lang-{language}").click()
    page.wait_for_load_state()
    urls = ("/accounts/profile/", "/accounts/password/", "/privacy/", "/privacy/audit/")
    problems = violations(page, live_server.url, urls)
    assert not problems, "\n".join(problems)
