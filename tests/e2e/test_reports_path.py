"""The national map of an indicator and a comune's yearly report, in a real browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_map_comparison_and_yearly_report(page: Any, live_server: Any, territory: None) -> None:
    from django.utils import timezone

    from prossima.demo import (
        load_demo_accounts,
        load_demo_assets,
        load_demo_dialogue,
        load_demo_indicators,
        load_demo_reports,
    )

    orgs = load_demo_accounts()
    load_demo_assets(orgs)
    load_demo_reports(orgs)
    load_demo_dialogue(orgs)
    load_demo_indicators()
    year = timezone.localdate().year
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(base + "/reports/indicators/residents_65/")
    page.wait_for_selector("[data-testid=indicator-map][data-loaded=true]", timeout=15_000)
    shown = int(page.get_by_test_id("indicator-map").get_attribute("data-count"))
    assert shown > 300  # every comune of the loaded region has a value
    assert "Emilia-Romagna" in page.get_by_test_id("region-table").inner_text()
    page.screenshot(path=str(SHOTS / "reports-map.png"), full_page=True)

    page.goto(base + "/reports/")
    search = page.get_by_test_id("comune-search")
    search.locator("input[name=comune]").fill("Bologna")
    search.get_by_role("button").click()
    page.wait_for_load_state()
    assert "Bologna" in page.get_by_test_id("comune-title").inner_text()
    assert page.get_by_test_id("indicator-row").count() >= 3
    page.get_by_test_id("yearly-link").filter(has_text=str(year)).click()
    page.wait_for_load_state()
    assert str(year) in page.get_by_test_id("yearly-title").inner_text()
    assert page.locator("svg.indicator-chart").count() >= 4
    page.screenshot(path=str(SHOTS / "reports-yearly.png"), full_page=True)
    assert not [e for e in page.console_errors if "tile" not in e.lower()], page.console_errors
