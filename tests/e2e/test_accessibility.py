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
    "/modules/counterfeit/",
    "/assets/italy/",
    "/assets/comuni/037006/",
    "/incidents/reports/",
    "/incidents/reports/new/?comune=037006",
    "/incidents/reports/comuni/037006/",
    "/analytics/public/",
]


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
    problems = []
    for path in PAGES:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        page.add_script_tag(content=AXE)
        result = page.evaluate(
            "async () => await axe.run(document, {runOnly: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
        )
        for violation in result["violations"]:
            targets = [node["target"] for node in violation["nodes"][:3]]
            problems.append(f"{path}: {violation['id']} ({violation['help']}) at {targets}")
    assert not problems, "\n".join(problems)
