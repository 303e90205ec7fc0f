"""A visitor finds a comune, sees its map and population, and switches to English."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def test_home_search_comune_page_and_english(
    page: Any, live_server: Any, territory: None, tmp_path: Any
) -> None:
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "it"
    page.get_by_label("Trova un comune per nome o codice ISTAT").fill("Bologna")
    page.get_by_role("button", name="Cerca").click()
    page.wait_for_url(re.compile(r"/comuni/\?q=Bologna"))
    page.get_by_test_id("search-results").get_by_role("link", name="Bologna", exact=True).click()
    page.wait_for_url(re.compile(r"/comuni/037006/$"))

    assert page.get_by_test_id("comune-name").inner_text() == "Bologna"
    assert "387.971" in page.get_by_test_id("population-summary").inner_text()
    map_box = page.get_by_test_id("comune-map")
    page.wait_for_selector("[data-testid=comune-map][data-loaded=true]", timeout=10000)
    assert map_box.locator("path.leaflet-interactive").count() >= 1, "boundary drawn"
    assert page.get_by_test_id("pyramid").locator("rect").count() == 40
    page.screenshot(path=str(tmp_path / "comune-it.png"), full_page=True)

    page.get_by_test_id("lang-en").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "residents on 1 January 2023" in page.get_by_test_id("population-summary").inner_text()
    assert page.get_by_role("heading", name="Population").is_visible()
    assert not page.console_errors, page.console_errors


def test_live_search_updates_results_without_reload(
    page: Any, live_server: Any, territory: None
) -> None:
    page.goto(live_server.url + "/comuni/")
    page.get_by_label("Nome, codice ISTAT o codice catastale").fill("Imol")
    page.wait_for_selector("[data-testid=search-results] >> text=Imola", timeout=5000)
    assert not page.console_errors, page.console_errors
