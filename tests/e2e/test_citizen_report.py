"""A citizen reports a concern by clicking on the map, a moderator publishes it, and the
citizen follows its status from the private link."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from prossima.accounts.models import OrganisationKind, Role

pytestmark = pytest.mark.e2e


def label_it(choice: Any) -> str:
    """Return a status label as the Italian pages show it."""
    with translation.override("it"):
        return str(choice.label)


def test_citizen_reports_on_the_map_and_follows_the_status(
    browser: Any,
    page: Any,
    live_server: Any,
    territory: None,
    make_org: Any,
    make_user: Any,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    from prossima.incidents.actions import do_change_report_status, do_install_report_categories
    from prossima.incidents.models import (
        CitizenReport,
        ModerationState,
        ReportCategory,
        ReportStatus,
    )
    from prossima.incidents.privacy import distance_m

    do_install_report_categories()
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna (test)", comune=_bologna())
    make_user(comune, Role.MODERATOR, username="moderatrice")
    lighting = ReportCategory.objects.get(code="illuminazione-carente")

    # The citizen, not logged in, clicks the place on the map of Bologna.
    page.goto(live_server.url + "/incidents/reports/new/?comune=037006")
    page.wait_for_selector("[data-testid=report-picker][data-loaded=true]", timeout=10000)
    page.locator("#id_category").select_option(str(lighting.pk))
    page.locator("#id_title").fill("Lampioni spenti sotto il portico")
    page.locator("#id_description").fill("Tre lampioni spenti da una settimana, la sera è buio.")
    assert page.locator("#id_lat").input_value() == ""
    page.get_by_test_id("report-picker").click()
    page.wait_for_selector("[data-testid=report-picker][data-picked=true]")
    lat = float(page.locator("#id_lat").input_value())
    lon = float(page.locator("#id_lon").input_value())
    assert 44.4 < lat < 44.6
    assert 11.2 < lon < 11.5
    assert page.get_by_test_id("report-picker").locator("path.leaflet-interactive").count() >= 1
    page.screenshot(path=str(tmp_path / "report-form.png"), full_page=True)
    page.get_by_test_id("report-form").locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/incidents/reports/follow/[^/]+/$"))
    follow_url = page.url

    report = CitizenReport.objects.get()
    assert (report.lon, report.lat) == pytest.approx((lon, lat), abs=1e-6)
    assert distance_m(report.lon, report.lat, report.public_lon, report.public_lat) <= 72
    assert page.get_by_test_id("follow-title").inner_text() == "Lampioni spenti sotto il portico"
    assert (
        label_it(ModerationState.PENDING) in page.get_by_test_id("follow-moderation").inner_text()
    )

    # The moderator publishes it.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    moderator = context.new_page()
    moderator.goto(live_server.url + "/accounts/login/")
    moderator.get_by_label("Nome utente o e-mail").fill("moderatrice")
    moderator.get_by_label("Password").fill("correct horse battery")
    moderator.get_by_role("button", name="Accedi").click()
    moderator.wait_for_url(re.compile(r"/$"))
    moderator.goto(live_server.url + "/incidents/reports/manage/")
    moderator.get_by_test_id("moderation-queue").get_by_role(
        "link", name="Lampioni spenti sotto il portico"
    ).click()
    moderator.wait_for_url(re.compile(rf"/incidents/reports/{report.pk}/$"))
    assert "moderatrice" not in moderator.get_by_test_id("reporter").inner_text()
    moderator.wait_for_selector("[data-report-point][data-loaded=true]")
    moderator.screenshot(path=str(tmp_path / "report-moderation.png"), full_page=True)
    moderator.locator("#decision-publish").check()
    moderator.get_by_test_id("moderation-form").locator("button[type=submit]").click()
    moderator.wait_for_load_state()
    assert moderator.get_by_test_id("moderation-state").inner_text() == label_it(
        ModerationState.PUBLISHED
    )
    context.close()

    # The comune confirms it (as its staff would from their page).
    report.refresh_from_db()
    do_change_report_status(None, report, "confirmed", comment="Sopralluogo fatto, ripariamo.")

    # The citizen reloads the follow page and sees the new status and the comment.
    page.goto(follow_url)
    assert (
        label_it(ModerationState.PUBLISHED) in page.get_by_test_id("follow-moderation").inner_text()
    )
    assert label_it(ReportStatus.CONFIRMED) in page.get_by_test_id("follow-status").inner_text()
    assert "Sopralluogo fatto, ripariamo." in page.get_by_test_id("timeline").inner_text()
    page.wait_for_selector("[data-report-point][data-loaded=true]")
    page.screenshot(path=str(tmp_path / "report-follow.png"), full_page=True)

    # The public map of Bologna shows it as a blurred circle, with no name.
    page.goto(live_server.url + "/incidents/reports/comuni/037006/")
    page.wait_for_selector("[data-testid=reports-map][data-loaded=true]", timeout=10000)
    assert page.get_by_test_id("reports-map").get_attribute("data-count") == "1"
    assert "Lampioni spenti sotto il portico" in page.get_by_test_id("report-list").inner_text()
    page.screenshot(path=str(tmp_path / "reports-comune.png"), full_page=True)
    assert not page.console_errors, page.console_errors


def _bologna() -> Any:
    from prossima.territory.models import Comune

    return Comune.objects.get(istat_code="037006")
