"""An analyst uploads a police file, checks the preview and reads the import report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from prossima.accounts.models import OrganisationKind, Role

pytestmark = pytest.mark.e2e
DATA = Path(__file__).resolve().parents[1] / "data"


def test_analyst_imports_a_file_and_reads_the_report(
    page: Any,
    live_server: Any,
    territory: None,
    make_org: Any,
    make_user: Any,
    redis_worker: None,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    from prossima.incidents.actions import do_create_dataset

    city = make_org(OrganisationKind.PARTNER_CITY, "Leeds (test)", country="GB")
    police = make_org(OrganisationKind.POLICE_COMMAND, "WYP analysts (test)", parent=city)
    make_user(police, Role.ANALYST, username="analyst")
    do_create_dataset(None, city, name="Street crime")

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Nome utente o e-mail").fill("analyst")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Accedi").click()
    page.goto(live_server.url + "/incidents/")
    page.get_by_role("link", name="Street crime").click()
    page.get_by_label("File degli eventi").set_input_files(str(DATA / "police_uk_extract.csv.gz"))
    page.get_by_role("button", name="Carica e controlla").click()
    assert page.get_by_test_id("detected-format").inner_text().endswith("policeuk")
    page.get_by_role("button", name="Importa").click()
    page.wait_for_selector("[data-testid=job-progress][data-status=done]", timeout=60000)
    page.get_by_test_id("import-report-link").click()
    page.wait_for_url(re.compile(r"/incidents/imports/\d+/$"))
    counts = page.get_by_test_id("import-counts").inner_text()
    assert "3.164" in counts
    assert "3.076" in counts
    assert page.get_by_test_id("rejects").locator("tbody tr").count() == 88
    assert not page.console_errors, page.console_errors
