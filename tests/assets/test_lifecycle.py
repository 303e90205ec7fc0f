"""An asset's stages, its handover, its concessions and their yearly reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from prossima.accounts.models import AuditEvent
from prossima.assets.actions import (
    add_months,
    do_create_asset,
    do_end_concession,
    do_grant_concession,
    do_record_report,
    do_record_stage,
    do_set_direct_use,
    do_update_asset,
)
from prossima.assets.models import Asset, AssetKind, Concession, ConcessionReport, Stage
from tests.assets.conftest import TODAY, Clock, concession_fields, handed_over_asset

pytestmark = pytest.mark.usefixtures("english", "clock")


@pytest.fixture
def confiscated(manager: Any, bologna: Any) -> Asset:
    return do_create_asset(
        manager,
        bologna,
        code="I-BO-TEST-001",
        kind=AssetKind.REAL_ESTATE,
        address="Via di Prova 1",
        stage=Stage.CONFISCATED_FINAL,
        seized_on=dt.date(2017, 2, 1),
        confiscated_final_on=dt.date(2019, 5, 2),
    )


@pytest.fixture
def handed_over(manager: Any, bologna: Any) -> Asset:
    """An asset destined on 2023-10-02 and handed over to Bologna on 2024-01-15."""
    return handed_over_asset(
        manager,
        bologna,
        "I-BO-TEST-002",
        decree_on=dt.date(2023, 10, 2),
        handed_over_on=dt.date(2024, 1, 15),
    )


def messages(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(" ".join(m) for m in error.value.message_dict.values())


def audit_count() -> int:
    return AuditEvent.objects.filter(object_type__startswith="assets.").count()


# --- Stages ------------------------------------------------------------------------------


def test_stages_only_move_forward(confiscated: Asset, manager: Any) -> None:
    for earlier in (Stage.SEIZED, Stage.CONFISCATED_APPEAL, Stage.CONFISCATED_FINAL):
        with pytest.raises(ValidationError) as refused:
            do_record_stage(manager, confiscated, earlier, dt.date(2020, 1, 1))
        assert "stage" in refused.value.message_dict
        assert "already at “Definitively confiscated”" in messages(refused)
    destined = do_record_stage(
        manager, confiscated, Stage.DESTINED, dt.date(2020, 1, 10), decree_number=" 55/2020 "
    )
    assert destined.stage == Stage.DESTINED
    assert destined.destination_decree_date == dt.date(2020, 1, 10)
    assert destined.destination_decree_number == "55/2020"
    with pytest.raises(ValidationError):
        do_record_stage(
            manager, destined, Stage.DESTINED, dt.date(2020, 2, 1), decree_number="56/2020"
        )
    with pytest.raises(ValidationError, match="Unknown stage"):
        do_record_stage(manager, destined, "returned", dt.date(2020, 2, 1))
    assert Asset.objects.get(pk=confiscated.pk).stage == Stage.DESTINED


def test_a_stage_dated_before_the_previous_one_names_both(confiscated: Asset, manager: Any) -> None:
    before = audit_count()
    with pytest.raises(ValidationError) as refused:
        do_record_stage(
            manager, confiscated, Stage.DESTINED, dt.date(2019, 1, 1), decree_number="1/2019"
        )
    assert refused.value.message_dict == {
        "destination_decree_date": [
            "Destined (decree) on 2019-01-01 cannot come before "
            "Definitively confiscated on 2019-05-02."
        ]
    }
    stored = Asset.objects.get(pk=confiscated.pk)
    assert stored.stage == Stage.CONFISCATED_FINAL
    assert stored.destination_decree_date is None
    assert stored.destination_decree_number == ""
    assert audit_count() == before


def test_a_stage_in_the_future_is_refused(confiscated: Asset, manager: Any) -> None:
    with pytest.raises(ValidationError, match="2025-06-17 is in the future"):
        do_record_stage(
            manager, confiscated, Stage.DESTINED, TODAY + dt.timedelta(days=1), decree_number="1"
        )
    do_record_stage(manager, confiscated, Stage.DESTINED, TODAY, decree_number="1")


def test_the_destination_needs_its_decree_number(confiscated: Asset, manager: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        do_record_stage(manager, confiscated, Stage.DESTINED, dt.date(2020, 1, 10))
    assert "decree_number" in refused.value.message_dict


def test_the_handover_needs_the_destination_decree(
    confiscated: Asset, manager: Any, bologna: Any
) -> None:
    with pytest.raises(ValidationError, match="destination decree before the handover"):
        do_record_stage(manager, confiscated, Stage.HANDED_OVER, dt.date(2020, 3, 1))
    assert Asset.objects.get(pk=confiscated.pk).handed_over_on is None
    with pytest.raises(ValidationError) as refused:
        do_create_asset(
            manager,
            bologna,
            code="I-BO-TEST-009",
            kind=AssetKind.REAL_ESTATE,
            stage=Stage.HANDED_OVER,
            handed_over_on=dt.date(2020, 3, 1),
        )
    assert "destination_decree_date" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        do_create_asset(
            manager,
            bologna,
            code="I-BO-TEST-009",
            kind=AssetKind.REAL_ESTATE,
            stage=Stage.DESTINED,
            destination_decree_date=dt.date(2020, 1, 1),
            handed_over_on=dt.date(2020, 3, 1),
        )
    assert "handed_over_on" in refused.value.message_dict
    assert not Asset.objects.filter(code="I-BO-TEST-009").exists()
    created = do_create_asset(
        manager,
        bologna,
        code="I-BO-TEST-009",
        kind=AssetKind.REAL_ESTATE,
        stage=Stage.HANDED_OVER,
        destination_decree_date=dt.date(2020, 1, 1),
        handed_over_on=dt.date(2020, 3, 1),
    )
    assert created.stage == Stage.HANDED_OVER


def test_the_handover_cannot_precede_the_decree(confiscated: Asset, manager: Any) -> None:
    destined = do_record_stage(
        manager, confiscated, Stage.DESTINED, dt.date(2020, 1, 10), decree_number="5/2020"
    )
    with pytest.raises(ValidationError) as refused:
        do_record_stage(manager, destined, Stage.HANDED_OVER, dt.date(2020, 1, 9))
    assert refused.value.message_dict == {
        "handed_over_on": [
            "Handed over to the comune on 2020-01-09 cannot come before "
            "Destined (decree) on 2020-01-10."
        ]
    }
    handed = do_record_stage(manager, destined, Stage.HANDED_OVER, dt.date(2020, 1, 10))
    assert handed.handed_over_on == dt.date(2020, 1, 10)


def test_a_new_asset_is_checked(confiscated: Asset, manager: Any, bologna: Any) -> None:
    with pytest.raises(ValidationError, match="already registered"):
        do_create_asset(manager, bologna, code=" I-BO-TEST-001 ", kind=AssetKind.REAL_ESTATE)
    with pytest.raises(ValidationError) as refused:
        do_create_asset(
            manager,
            bologna,
            code="I-BO-TEST-010",
            kind=AssetKind.REAL_ESTATE,
            seized_on=dt.date(2020, 1, 1),
            confiscated_first_on=dt.date(2019, 1, 1),
        )
    assert "confiscated_first_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        do_create_asset(manager, bologna, code="I-BO-TEST-010", kind="boat")
    assert "kind" in refused.value.message_dict
    assert Asset.objects.count() == 1


def test_only_the_comunes_managers_change_an_asset(
    confiscated: Asset, analyst: Any, modena_manager: Any, bologna: Any
) -> None:
    for actor in (analyst, modena_manager):
        with pytest.raises(PermissionDenied):
            do_record_stage(
                actor, confiscated, Stage.DESTINED, dt.date(2020, 1, 10), decree_number="1"
            )
        with pytest.raises(PermissionDenied):
            do_update_asset(actor, confiscated, notes="x")
        with pytest.raises(PermissionDenied):
            do_create_asset(actor, bologna, code="I-BO-TEST-011", kind=AssetKind.REAL_ESTATE)
    assert Asset.objects.get(pk=confiscated.pk).stage == Stage.CONFISCATED_FINAL


def test_an_update_does_not_change_the_stage_code_or_comune(
    confiscated: Asset, manager: Any, modena: Any
) -> None:
    do_update_asset(
        manager,
        confiscated,
        code="I-XX-1",
        comune=modena,
        stage=Stage.HANDED_OVER,
        handed_over_on=dt.date(2020, 1, 1),
        notes="Serve un sopralluogo",
    )
    stored = Asset.objects.get(pk=confiscated.pk)
    assert (stored.code, stored.comune.name, stored.stage) == (
        "I-BO-TEST-001",
        "Bologna",
        Stage.CONFISCATED_FINAL,
    )
    assert stored.handed_over_on is None
    assert stored.notes == "Serve un sopralluogo"


# --- Direct use -----------------------------------------------------------------------


def test_direct_use_needs_the_handover(
    confiscated: Asset, handed_over: Asset, manager: Any
) -> None:
    with pytest.raises(ValidationError, match="not been handed over"):
        do_set_direct_use(manager, confiscated, dt.date(2024, 1, 1), "Uffici")
    with pytest.raises(ValidationError) as refused:
        do_set_direct_use(manager, handed_over, dt.date(2024, 1, 14), "Uffici")
    assert "direct_use_since" in refused.value.message_dict
    with pytest.raises(ValidationError, match="Say what"):
        do_set_direct_use(manager, handed_over, dt.date(2024, 2, 1), "  ")
    assert Asset.objects.get(pk=handed_over.pk).direct_use_since is None
    used = do_set_direct_use(manager, handed_over, dt.date(2024, 2, 1), " Uffici del quartiere ")
    stored = Asset.objects.get(pk=used.pk)
    assert (stored.direct_use_since, stored.current_use) == (
        dt.date(2024, 2, 1),
        "Uffici del quartiere",
    )
    do_set_direct_use(manager, stored, None, "")
    assert Asset.objects.get(pk=used.pk).direct_use_since is None


# --- Concessions ----------------------------------------------------------------------


def test_a_concession_needs_the_handover(confiscated: Asset, manager: Any) -> None:
    destined = do_record_stage(
        manager, confiscated, Stage.DESTINED, dt.date(2020, 1, 10), decree_number="5/2020"
    )
    with pytest.raises(ValidationError, match="only after it has been handed over"):
        do_grant_concession(manager, destined, **concession_fields(dt.date(2021, 1, 1)))
    assert not Concession.objects.exists()


def test_a_concession_cannot_start_before_the_handover(handed_over: Asset, manager: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        do_grant_concession(manager, handed_over, **concession_fields(dt.date(2024, 1, 14)))
    assert refused.value.message_dict == {
        "starts_on": ["The concession cannot start before the handover (2024-01-15)."]
    }
    granted = do_grant_concession(manager, handed_over, **concession_fields(dt.date(2024, 1, 15)))
    assert granted.starts_on == dt.date(2024, 1, 15)


def test_concessions_cannot_overlap(handed_over: Asset, manager: Any) -> None:
    first = do_grant_concession(manager, handed_over, **concession_fields(dt.date(2024, 2, 1), 12))
    assert first.ends_on == dt.date(2025, 1, 31)
    # Same start, starting on its last day, and starting before it but running into it.
    for start, months in (
        (dt.date(2024, 2, 1), 12),
        (dt.date(2025, 1, 31), 12),
        (dt.date(2024, 1, 20), 1),
    ):
        with pytest.raises(ValidationError) as refused:
            do_grant_concession(
                manager, handed_over, **concession_fields(start, months, holder="Altri")
            )
        assert refused.value.message_dict["starts_on"] == [
            "The asset is already granted to Cooperativa sociale Esempio "
            "from 2024-02-01 to 2025-01-31."
        ]
    # The day after the first ends, another may start.
    second = do_grant_concession(
        manager, handed_over, **concession_fields(dt.date(2025, 2, 1), 12, holder="Altri")
    )
    assert second.ends_on == dt.date(2026, 1, 31)
    assert Concession.objects.count() == 2


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2024, 1, 15), 1, dt.date(2024, 2, 15)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),  # leap February
        (dt.date(2023, 1, 31), 1, dt.date(2023, 2, 28)),
        (dt.date(2024, 3, 31), 1, dt.date(2024, 4, 30)),
        (dt.date(2023, 11, 30), 3, dt.date(2024, 2, 29)),  # across the year
        (dt.date(2024, 12, 15), 1, dt.date(2025, 1, 15)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2024, 2, 29), 48, dt.date(2028, 2, 29)),
        (dt.date(2024, 5, 31), 0, dt.date(2024, 5, 31)),
        (dt.date(2024, 1, 10), -1, dt.date(2023, 12, 10)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(
    start: dt.date, months: int, expected: dt.date
) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "months", "ends_on"),
    [
        (dt.date(2024, 3, 1), 12, dt.date(2025, 2, 28)),
        (dt.date(2024, 2, 15), 1, dt.date(2024, 3, 14)),
        # The next month has no 31st: the term runs to the day before the 29th of February.
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 28)),
        (dt.date(2024, 4, 1), 60, dt.date(2029, 3, 31)),
    ],
)
def test_the_end_of_a_concession_is_computed(
    handed_over: Asset, manager: Any, start: dt.date, months: int, ends_on: dt.date
) -> None:
    granted = do_grant_concession(manager, handed_over, **concession_fields(start, months))
    assert granted.ends_on == ends_on
    assert Concession.objects.get(pk=granted.pk).ends_on == ends_on
    assert granted.last_day() == ends_on


def test_a_concession_lasts_at_least_a_month(handed_over: Asset, manager: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        do_grant_concession(manager, handed_over, **concession_fields(dt.date(2024, 2, 1), 0))
    assert "duration_months" in refused.value.message_dict
    assert not Concession.objects.exists()


def test_the_concession_in_force_is_the_assets_use(handed_over: Asset, manager: Any) -> None:
    granted = do_grant_concession(manager, handed_over, **concession_fields(dt.date(2024, 6, 1)))
    assert Asset.objects.get(pk=handed_over.pk).current_use == "Emporio solidale"
    with pytest.raises(ValidationError) as refused:
        do_end_concession(manager, granted, dt.date(2024, 5, 31))
    assert refused.value.message_dict == {
        "on": ["The end must fall between 2024-06-01 and 2026-05-31."]
    }
    ended = do_end_concession(manager, granted, dt.date(2025, 3, 31))
    assert ended.ended_early_on == dt.date(2025, 3, 31)
    assert ended.last_day() == dt.date(2025, 3, 31)
    assert Asset.objects.get(pk=handed_over.pk).current_use == ""


def test_an_ended_concession_is_not_ended_again_later(handed_over: Asset, manager: Any) -> None:
    """Ending it again on a later day would put it back in force over the next holder."""
    first = do_grant_concession(manager, handed_over, **concession_fields(dt.date(2024, 2, 1)))
    do_end_concession(manager, first, dt.date(2024, 6, 30))
    do_grant_concession(
        manager, handed_over, **concession_fields(dt.date(2024, 7, 1), 12, holder="Altri")
    )
    with pytest.raises(ValidationError, match="already ended on 2024-06-30"):
        do_end_concession(manager, first, dt.date(2025, 1, 31))
    assert Concession.objects.get(pk=first.pk).last_day() == dt.date(2024, 6, 30)


def test_a_refused_concession_leaves_nothing_behind(handed_over: Asset, manager: Any) -> None:
    do_grant_concession(manager, handed_over, **concession_fields(dt.date(2024, 2, 1)))
    asset_before = Asset.objects.filter(pk=handed_over.pk).values().get()
    audits = audit_count()
    refusals = [
        concession_fields(dt.date(2025, 2, 1), holder="Altri"),  # overlaps
        concession_fields(dt.date(2026, 2, 1), holder_kind="club"),  # not a kind of holder
        concession_fields(dt.date(2026, 2, 1), project_title=""),  # required
    ]
    for fields in refusals:
        with pytest.raises(ValidationError):
            do_grant_concession(manager, handed_over, **fields)
    assert Concession.objects.count() == 1
    assert Asset.objects.filter(pk=handed_over.pk).values().get() == asset_before
    assert audit_count() == audits


def test_only_the_comunes_managers_grant(
    handed_over: Asset, analyst: Any, modena_manager: Any, manager: Any
) -> None:
    for actor in (analyst, modena_manager):
        with pytest.raises(PermissionDenied):
            do_grant_concession(actor, handed_over, **concession_fields(dt.date(2024, 2, 1)))
    granted = do_grant_concession(manager, handed_over, **concession_fields(dt.date(2024, 2, 1)))
    assert granted.created_by == manager
    for actor in (analyst, modena_manager):
        with pytest.raises(PermissionDenied):
            do_end_concession(actor, granted, dt.date(2024, 3, 1))
    assert Concession.objects.get(pk=granted.pk).ended_early_on is None


# --- Yearly reports ----------------------------------------------------------------------


@pytest.fixture
def granted(handed_over: Asset, manager: Any) -> Concession:
    """Three years from 2024-02-01: year 1 ends on 2025-01-31."""
    return do_grant_concession(manager, handed_over, **concession_fields(dt.date(2024, 2, 1), 36))


def report(actor: Any, concession: Concession, year: int, received_on: dt.date) -> Any:
    return do_record_report(
        actor, concession, year_number=year, received_on=received_on, summary="Attività svolte."
    )


def test_the_yearly_report_rules(granted: Concession, manager: Any) -> None:
    with pytest.raises(ValidationError, match="in the future"):
        report(manager, granted, 1, TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="cannot precede"):
        report(manager, granted, 1, dt.date(2024, 1, 31))
    with pytest.raises(ValidationError) as refused:
        report(manager, granted, 2, dt.date(2025, 1, 31))  # the last day of year 1
    assert refused.value.message_dict == {
        "year_number": ["On 2025-01-31 the concession was in its year 1."]
    }
    with pytest.raises(ValidationError):
        report(manager, granted, 0, dt.date(2025, 2, 10))
    first = report(manager, granted, 1, dt.date(2025, 2, 10))
    assert (first.year_number, first.received_on) == (1, dt.date(2025, 2, 10))
    with pytest.raises(ValidationError, match="already recorded"):
        report(manager, granted, 1, dt.date(2025, 3, 1))
    # Year 2 began on 2025-02-01: its report may come early.
    assert report(manager, granted, 2, dt.date(2025, 2, 1)).year_number == 2
    assert ConcessionReport.objects.filter(concession=granted).count() == 2


def test_report_years_follow_the_calendar_in_leap_years(
    manager: Any, bologna: Any, clock: Clock
) -> None:
    """2020 has 366 days: on its 31 December the concession is still in its first year."""
    asset = handed_over_asset(manager, bologna, "I-BO-TEST-020", handed_over_on=dt.date(2019, 6, 3))
    concession = do_grant_concession(manager, asset, **concession_fields(dt.date(2020, 1, 1), 36))
    with pytest.raises(ValidationError, match="in its year 1"):
        report(manager, concession, 2, dt.date(2020, 12, 31))
    assert report(manager, concession, 2, dt.date(2021, 1, 1)).year_number == 2


def test_a_report_is_for_a_year_of_the_concession(
    handed_over: Asset, manager: Any, clock: Clock
) -> None:
    one_year = do_grant_concession(
        manager, handed_over, **concession_fields(dt.date(2024, 2, 1), 12)
    )
    clock.day = dt.date(2027, 5, 1)
    with pytest.raises(ValidationError) as refused:
        report(manager, one_year, 2, dt.date(2027, 4, 1))
    assert refused.value.message_dict == {
        "year_number": ["The concession lasts 12 months: years 1 to 1."]
    }
    assert report(manager, one_year, 1, dt.date(2027, 4, 1)).year_number == 1
    # Eighteen months make a second, shorter year that can be reported on.
    eighteen = do_grant_concession(
        manager, handed_over, **concession_fields(dt.date(2025, 2, 1), 18, holder="Altri")
    )
    assert report(manager, eighteen, 2, dt.date(2026, 7, 1)).year_number == 2
    with pytest.raises(ValidationError):
        report(manager, eighteen, 3, dt.date(2027, 4, 1))


def test_only_the_comunes_managers_record_reports(
    granted: Concession, analyst: Any, modena_manager: Any
) -> None:
    for actor in (analyst, modena_manager):
        with pytest.raises(PermissionDenied):
            report(actor, granted, 1, dt.date(2025, 2, 10))
    assert not ConcessionReport.objects.exists()
