"""The command-line import, the daily checks and their schedule."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from prossima.assets import actions
from prossima.assets.models import AlertKind, Asset, AssetAlert, ReuseCall, Stage

from .conftest import DESTINED, IN_MANAGEMENT


def test_import_command_for_one_comune_then_again(bologna_org: Any) -> None:
    out = io.StringIO()
    call_command("import_assets", str(DESTINED), organisation=bologna_org.slug, stdout=out)
    assert "7 added" in out.getvalue()
    assert "2 to fix" in out.getvalue()
    again = io.StringIO()
    call_command("import_assets", str(DESTINED), organisation=bologna_org.slug, stdout=again)
    assert "0 added, 0 updated" in again.getvalue()
    assert Asset.objects.count() == 7


def test_import_command_without_organisation_takes_every_comune(bologna: Any) -> None:
    out = io.StringIO()
    call_command("import_assets", str(DESTINED), stdout=out)
    # Bologna 7, San Lazzaro, Modena, Reggio nell'Emilia; two rows cannot be matched.
    assert Asset.objects.count() == 10
    assert Asset.objects.filter(code="I-BO-DEMO-009", comune__name="San Lazzaro di Savena").exists()


def test_import_command_reports_bad_values_by_line(tmp_path: Path) -> None:
    bad = tmp_path / "gestione.csv"
    bad.write_text(
        IN_MANAGEMENT.read_text(encoding="utf-8").replace("Confisca II", "Revoca"),
        encoding="utf-8",
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="non è stato importato nulla"):
        call_command("import_assets", str(bad), stderr=err)
    assert "gestione.csv:4: provvedimento='Revoca'" in err.getvalue()
    assert not Asset.objects.exists()


def test_daily_checks_open_alerts_and_close_past_calls(
    bologna: Any, manager: Any, clock: Any, settings: Any
) -> None:
    from prossima.assets.tasks import daily_checks_task

    asset = actions.do_create_asset(
        manager,
        bologna,
        code="I-BO-T-100",
        kind="real_estate",
        stage=Stage.DESTINED,
        destination_decree_number="1/2024",
        destination_decree_date=dt.date(2024, 1, 10),
    )
    actions.do_record_stage(manager, asset, Stage.HANDED_OVER, dt.date(2024, 7, 1))
    call = actions.do_create_call(
        manager,
        Asset.objects.get(pk=asset.pk),
        title="Avviso",
        description="Proposte",
        closes_on=clock.day + dt.timedelta(days=10),
        publish=True,
    )
    assert not AssetAlert.objects.exists(), "handed over less than 12 months before"
    clock.day = dt.date(2025, 7, 2)
    result = daily_checks_task()
    assert result == {"alerts_opened": 1, "calls_closed": 1}
    assert AssetAlert.objects.get().kind == AlertKind.IDLE
    call.refresh_from_db()
    assert call.status == "closed"
    assert ReuseCall.objects.filter(status="open").count() == 0


def test_the_worker_schedules_the_daily_checks() -> None:
    from prossima.cli import worker_command
    from prossima.config.celery import app

    schedule = app.conf.beat_schedule["asset-daily-checks"]
    app.loader.import_default_modules()
    assert schedule["task"] in app.tasks
    assert "--beat" in worker_command(2, beat=True)
    assert "--beat" not in worker_command(2)


def test_destined_companies_keep_the_agency_destination(bologna_org: Any, bologna: Any) -> None:
    from prossima.assets.queries import public_row

    companies = DESTINED.parent / "aziende_destinate_illustrativo.csv"
    out = io.StringIO()
    call_command("import_assets", str(companies), organisation=bologna_org.slug, stdout=out)
    assert "Destined companies" in out.getvalue() or "Aziende destinate" in out.getvalue()
    company = Asset.objects.get()
    assert (company.code, company.kind, company.sector) == (
        "A-BO-DEMO-201",
        "company",
        "Commercio al dettaglio",
    )
    assert company.destination_mode == "Affitto"
    assert public_row(company)["finalita"] == "Affitto"
