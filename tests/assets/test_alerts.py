"""Alerts on handed-over assets, their e-mails, and the public's reuse proposals and calls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from prossima.accounts.models import Role
from prossima.assets.actions import (
    accepts_proposals,
    alerts_for,
    daily_checks,
    describe_alert,
    do_create_call,
    do_decide_call,
    do_end_concession,
    do_grant_concession,
    do_publish_call,
    do_record_report,
    do_refresh_alerts,
    do_set_direct_use,
    do_set_proposal_status,
    do_submit_proposal,
)
from prossima.assets.models import (
    AlertKind,
    Asset,
    AssetAlert,
    CallStatus,
    Concession,
    ProposalStatus,
    ReuseCall,
    ReuseProposal,
)
from tests.assets.conftest import Clock, concession_fields, handed_over_asset

pytestmark = pytest.mark.usefixtures("english", "clock")

HANDOVER = dt.date(2024, 1, 15)
# Twelve months (ASSET_IDLE_MONTHS) after the handover.
IDLE_FROM = dt.date(2025, 1, 15)


@pytest.fixture
def asset(manager: Any, bologna: Any, clock: Clock) -> Asset:
    """An asset of Bologna handed over on HANDOVER, recorded that same day."""
    clock.day = HANDOVER
    return handed_over_asset(
        manager, bologna, "I-BO-TEST-100", handed_over_on=HANDOVER, address="Via di Prova 100"
    )


def open_alerts(asset: Asset) -> dict[str, AssetAlert]:
    return {a.kind: a for a in AssetAlert.objects.filter(asset=asset, cleared_on__isnull=True)}


def grant(actor: Any, asset: Asset, clock: Clock, start: dt.date, months: int, **extra: Any) -> Any:
    """Grant a concession on the day it starts."""
    clock.day = start
    return do_grant_concession(actor, asset, **concession_fields(start, months, **extra))


# --- Idle assets ------------------------------------------------------------------------


def test_an_idle_alert_opens_after_the_threshold_and_not_before(asset: Asset) -> None:
    assert not AssetAlert.objects.exists()
    assert alerts_for(asset, IDLE_FROM - dt.timedelta(days=1)) == {}
    holding = alerts_for(asset, IDLE_FROM)
    assert list(holding) == [AlertKind.IDLE]
    assert holding[AlertKind.IDLE] == {"date": "2024-01-15", "months": 12}
    assert do_refresh_alerts(on=IDLE_FROM - dt.timedelta(days=1)) == []
    assert not AssetAlert.objects.exists()
    (opened,) = do_refresh_alerts(on=IDLE_FROM)
    assert (opened.asset, opened.kind, opened.opened_on) == (asset, AlertKind.IDLE, IDLE_FROM)
    assert opened.cleared_on is None
    # Still idle a month later: the same alert stays open, no second one.
    assert do_refresh_alerts(on=dt.date(2025, 2, 15)) == []
    assert AssetAlert.objects.count() == 1


def test_an_asset_not_handed_over_has_no_alert(manager: Any, bologna: Any, clock: Clock) -> None:
    from prossima.assets.actions import do_create_asset
    from prossima.assets.models import AssetKind, Stage

    clock.day = HANDOVER
    destined = do_create_asset(
        manager,
        bologna,
        code="I-BO-TEST-101",
        kind=AssetKind.REAL_ESTATE,
        stage=Stage.DESTINED,
        destination_decree_date=dt.date(2015, 1, 1),
        destination_decree_number="1/2015",
    )
    assert alerts_for(destined, dt.date(2030, 1, 1)) == {}
    assert do_refresh_alerts(on=dt.date(2030, 1, 1)) == []


def test_a_concession_clears_the_idle_alert(asset: Asset, manager: Any, clock: Clock) -> None:
    do_refresh_alerts(on=IDLE_FROM)
    assert set(open_alerts(asset)) == {AlertKind.IDLE}
    grant(manager, asset, clock, dt.date(2025, 2, 3), 24)
    alert = AssetAlert.objects.get(asset=asset, kind=AlertKind.IDLE)
    assert alert.cleared_on == dt.date(2025, 2, 3)
    assert open_alerts(asset) == {}
    assert not accepts_proposals(asset, dt.date(2025, 2, 3))


def test_direct_use_clears_the_idle_alert(asset: Asset, manager: Any, clock: Clock) -> None:
    do_refresh_alerts(on=IDLE_FROM)
    clock.day = dt.date(2025, 3, 1)
    do_set_direct_use(manager, asset, dt.date(2025, 3, 1), "Sede della protezione civile")
    assert AssetAlert.objects.get(kind=AlertKind.IDLE).cleared_on == dt.date(2025, 3, 1)
    assert alerts_for(Asset.objects.get(pk=asset.pk), dt.date(2030, 1, 1)) == {}


def test_the_idle_threshold_follows_the_settings(asset: Asset, settings: Any) -> None:
    settings.PROSSIMA = {**settings.PROSSIMA, "ASSET_IDLE_MONTHS": 6}
    assert alerts_for(asset, dt.date(2024, 7, 14)) == {}
    assert alerts_for(asset, dt.date(2024, 7, 15))[AlertKind.IDLE]["months"] == 6
    (opened,) = do_refresh_alerts(on=dt.date(2024, 7, 15))
    assert opened.kind == AlertKind.IDLE
    settings.PROSSIMA = {**settings.PROSSIMA, "ASSET_IDLE_MONTHS": 24}
    assert alerts_for(asset, dt.date(2025, 7, 15)) == {}
    do_refresh_alerts(on=dt.date(2025, 7, 15))
    assert AssetAlert.objects.get().cleared_on == dt.date(2025, 7, 15)


# --- Concessions ending -------------------------------------------------------------------


@pytest.fixture
def granted(asset: Asset, manager: Any, clock: Clock) -> Concession:
    """Two years from 2024-02-01, so ending on 2026-01-31."""
    concession = grant(manager, asset, clock, dt.date(2024, 2, 1), 24)
    assert concession.ends_on == dt.date(2026, 1, 31)
    return concession


def test_a_concession_ending_within_the_notice_opens_an_alert(
    asset: Asset, granted: Concession
) -> None:
    # 2025-11-02 is 90 days before 2026-01-31.
    assert AlertKind.CONCESSION_EXPIRING not in alerts_for(asset, dt.date(2025, 11, 1))
    holding = alerts_for(asset, dt.date(2025, 11, 2))
    assert holding[AlertKind.CONCESSION_EXPIRING] == {
        "holder": "Cooperativa sociale Esempio",
        "date": "2026-01-31",
        "days": 90,
    }
    assert AlertKind.IDLE not in holding
    opened = do_refresh_alerts(on=dt.date(2025, 11, 2))
    assert AlertKind.CONCESSION_EXPIRING in {a.kind for a in opened}


def test_a_renewal_stops_the_expiry_alert(
    asset: Asset, granted: Concession, manager: Any, clock: Clock
) -> None:
    do_refresh_alerts(on=dt.date(2025, 12, 1))
    assert AlertKind.CONCESSION_EXPIRING in open_alerts(asset)
    clock.day = dt.date(2025, 12, 1)
    do_grant_concession(manager, asset, **concession_fields(dt.date(2026, 2, 1), 24))
    cleared = AssetAlert.objects.get(kind=AlertKind.CONCESSION_EXPIRING)
    assert cleared.cleared_on == dt.date(2025, 12, 1)
    assert AlertKind.CONCESSION_EXPIRING not in alerts_for(asset, dt.date(2026, 1, 31))


def test_an_expired_concession_without_new_use_opens_an_alert(
    asset: Asset, granted: Concession, manager: Any, clock: Clock
) -> None:
    do_refresh_alerts(on=dt.date(2025, 12, 1))
    assert AlertKind.CONCESSION_EXPIRING in open_alerts(asset)
    assert AlertKind.CONCESSION_EXPIRED not in alerts_for(asset, dt.date(2026, 1, 31))
    holding = alerts_for(asset, dt.date(2026, 2, 1))
    assert holding[AlertKind.CONCESSION_EXPIRED] == {
        "holder": "Cooperativa sociale Esempio",
        "date": "2026-01-31",
    }
    assert AlertKind.IDLE not in holding
    do_refresh_alerts(on=dt.date(2026, 2, 1))
    alerts = open_alerts(asset)
    assert AlertKind.CONCESSION_EXPIRING not in alerts
    assert alerts[AlertKind.CONCESSION_EXPIRED].opened_on == dt.date(2026, 2, 1)
    assert AssetAlert.objects.get(kind=AlertKind.CONCESSION_EXPIRING).cleared_on == dt.date(
        2026, 2, 1
    )
    # The public may propose a new use while nobody uses it.
    assert accepts_proposals(asset, dt.date(2026, 2, 1))
    grant(manager, asset, clock, dt.date(2026, 3, 2), 12, holder="Altri")
    assert AlertKind.CONCESSION_EXPIRED not in open_alerts(asset)


def test_a_concession_ended_early_makes_the_asset_idle_later(
    asset: Asset, granted: Concession, manager: Any, clock: Clock
) -> None:
    clock.day = dt.date(2024, 9, 30)
    do_end_concession(manager, granted, dt.date(2024, 9, 30))
    assert alerts_for(asset, dt.date(2025, 9, 30)) == {}
    holding = alerts_for(asset, dt.date(2025, 10, 1))
    assert list(holding) == [AlertKind.IDLE]
    assert holding[AlertKind.IDLE]["date"] == "2024-10-01"


# --- Reports --------------------------------------------------------------------------------


def test_an_overdue_report_opens_an_alert_and_recording_it_clears_it(
    asset: Asset, granted: Concession, manager: Any, clock: Clock
) -> None:
    # Year 1 ends on 2025-01-31; the report is due 60 days after (ASSET_REPORT_GRACE_DAYS).
    assert AlertKind.REPORT_OVERDUE not in alerts_for(asset, dt.date(2025, 4, 1))
    holding = alerts_for(asset, dt.date(2025, 4, 2))
    assert holding[AlertKind.REPORT_OVERDUE] == {"missing": [["Cooperativa sociale Esempio", 1]]}
    (opened,) = do_refresh_alerts(on=dt.date(2025, 4, 2))
    assert opened.kind == AlertKind.REPORT_OVERDUE
    clock.day = dt.date(2025, 4, 20)
    do_record_report(
        manager, granted, year_number=1, received_on=dt.date(2025, 4, 20), summary="Fatto."
    )
    alert = AssetAlert.objects.get(kind=AlertKind.REPORT_OVERDUE)
    assert alert.cleared_on == dt.date(2025, 4, 20)
    assert AlertKind.REPORT_OVERDUE not in alerts_for(asset, dt.date(2026, 3, 1))


def test_the_last_year_of_a_concession_is_due_after_it_ends(
    asset: Asset, granted: Concession, manager: Any, clock: Clock
) -> None:
    clock.day = dt.date(2025, 3, 1)
    do_record_report(
        manager, granted, year_number=1, received_on=dt.date(2025, 3, 1), summary="Anno 1."
    )
    assert AlertKind.REPORT_OVERDUE not in alerts_for(asset, dt.date(2026, 4, 1))
    facts = alerts_for(asset, dt.date(2026, 4, 2))[AlertKind.REPORT_OVERDUE]
    assert facts == {"missing": [["Cooperativa sociale Esempio", 2]]}
    assert describe_alert(AlertKind.REPORT_OVERDUE, facts).endswith(
        "Cooperativa sociale Esempio: 2."
    )


# --- E-mails --------------------------------------------------------------------------------


def test_managers_get_one_email_per_comune_for_new_alerts(
    asset: Asset,
    manager: Any,
    analyst: Any,
    bologna: Any,
    bologna_org: Any,
    modena: Any,
    modena_manager: Any,
    make_user: Callable[..., Any],
    clock: Clock,
) -> None:
    administrator = make_user(bologna_org, Role.ADMINISTRATOR, username="admin_bo")
    gone = make_user(bologna_org, Role.MANAGER, username="gone_bo", is_active=False)
    second = handed_over_asset(manager, bologna, "I-BO-TEST-102", handed_over_on=HANDOVER)
    in_modena = handed_over_asset(modena_manager, modena, "I-MO-TEST-103", handed_over_on=HANDOVER)
    mail.outbox.clear()
    opened = do_refresh_alerts(on=IDLE_FROM)
    assert {a.asset for a in opened} == {asset, second, in_modena}
    assert len(mail.outbox) == 2
    by_recipients = {tuple(m.to): m for m in mail.outbox}
    to_bologna = by_recipients[(administrator.email, manager.email)]
    assert analyst.email not in to_bologna.to
    assert gone.email not in to_bologna.to
    assert to_bologna.subject == "Confiscated assets of Bologna: 2 new alerts"
    assert "I-BO-TEST-100 (Via di Prova 100): Handed over but not in use." in to_bologna.body
    assert "I-BO-TEST-102 (Bologna)" in to_bologna.body
    assert "I-MO-TEST-103" not in to_bologna.body
    to_modena = by_recipients[(modena_manager.email,)]
    assert to_modena.subject == "Confiscated assets of Modena: 1 new alert"
    assert all(a.notified_at is not None for a in AssetAlert.objects.all())
    # The same alerts still open: nobody is written to again.
    assert do_refresh_alerts(on=dt.date(2025, 3, 1)) == []
    assert daily_checks(dt.date(2025, 4, 1)) == {"alerts_opened": 0, "calls_closed": 0}
    assert len(mail.outbox) == 2


def test_a_new_kind_of_alert_is_written_about(
    asset: Asset, granted: Concession, manager: Any, clock: Clock
) -> None:
    mail.outbox.clear()
    do_refresh_alerts(on=dt.date(2025, 4, 2))  # report overdue
    do_refresh_alerts(on=dt.date(2025, 4, 3))
    do_refresh_alerts(on=dt.date(2025, 11, 2), notify=False)  # expiring, not written about
    do_refresh_alerts(on=dt.date(2026, 2, 1))  # expired
    assert [m.subject for m in mail.outbox] == [
        "Confiscated assets of Bologna: 1 new alert",
        "Confiscated assets of Bologna: 1 new alert",
    ]
    assert "Reuse report overdue" in mail.outbox[0].body
    assert "Concession expired" in mail.outbox[1].body
    assert [m.to for m in mail.outbox] == [[manager.email], [manager.email]]


# --- Calls and proposals ------------------------------------------------------------------


def proposal_fields(**extra: Any) -> dict[str, Any]:
    fields = {
        "title": "Doposcuola di quartiere",
        "description": "Aiuto nei compiti tre pomeriggi a settimana.",
        "beneficiaries": "Ragazzi delle medie",
        "organisation_name": "Associazione Esempio",
        "contact_name": "Maria Bianchi",
        "contact_email": "maria@example.org",
    }
    fields.update(extra)
    return fields


def test_proposals_are_refused_for_an_asset_neither_idle_nor_called(
    asset: Asset, clock: Clock
) -> None:
    clock.day = dt.date(2024, 6, 1)
    assert not accepts_proposals(asset)
    with pytest.raises(ValidationError, match="not open to proposals"):
        do_submit_proposal(None, asset, **proposal_fields())
    assert not ReuseProposal.objects.exists()


def test_an_idle_asset_takes_proposals_without_a_call(
    asset: Asset, manager: Any, clock: Clock
) -> None:
    clock.day = IDLE_FROM
    do_refresh_alerts(on=IDLE_FROM)
    mail.outbox.clear()
    proposal = do_submit_proposal(None, asset, **proposal_fields())
    assert proposal.call is None
    assert proposal.status == ProposalStatus.RECEIVED
    assert [m.to for m in mail.outbox] == [[manager.email]]
    assert mail.outbox[0].subject == "New reuse proposal for I-BO-TEST-100"


def test_an_asset_in_use_takes_proposals_only_through_an_open_call(
    asset: Asset, granted: Concession, manager: Any, clock: Clock
) -> None:
    clock.day = dt.date(2025, 10, 1)
    assert not accepts_proposals(asset)
    call = do_create_call(
        manager,
        asset,
        title="Nuovo uso dal 2026",
        description="Proposte per dopo la concessione.",
        closes_on=dt.date(2025, 11, 30),
        publish=True,
    )
    assert (call.status, call.published_on) == (CallStatus.OPEN, dt.date(2025, 10, 1))
    proposal = do_submit_proposal(None, asset, **proposal_fields())
    assert proposal.call == call
    # After the closing date the call takes nothing, and the daily run closes it.
    clock.day = dt.date(2025, 12, 1)
    assert not accepts_proposals(asset)
    with pytest.raises(ValidationError):
        do_submit_proposal(None, asset, **proposal_fields(title="In ritardo"))
    assert daily_checks(dt.date(2025, 12, 1))["calls_closed"] == 1
    assert ReuseCall.objects.get(pk=call.pk).status == CallStatus.CLOSED


def test_a_call_is_for_a_handed_over_asset_and_only_one_is_open(
    asset: Asset, manager: Any, bologna: Any, clock: Clock
) -> None:
    from prossima.assets.actions import do_create_asset
    from prossima.assets.models import AssetKind

    clock.day = dt.date(2024, 6, 1)
    seized = do_create_asset(manager, bologna, code="I-BO-TEST-104", kind=AssetKind.REAL_ESTATE)
    call: dict[str, Any] = {
        "title": "Bando",
        "description": "Proposte.",
        "closes_on": dt.date(2024, 7, 31),
    }
    with pytest.raises(ValidationError, match="Only an asset handed over"):
        do_create_call(manager, seized, publish=True, **call)
    with pytest.raises(ValidationError, match="must be in the future"):
        do_create_call(manager, asset, publish=True, **{**call, "closes_on": dt.date(2024, 6, 1)})
    draft = do_create_call(manager, asset, publish=False, **call)
    assert draft.status == CallStatus.DRAFT
    assert not accepts_proposals(asset)
    do_create_call(manager, asset, publish=True, **call)
    with pytest.raises(ValidationError, match="already open"):
        do_create_call(manager, asset, publish=True, **call)
    with pytest.raises(ValidationError, match="already open"):
        do_publish_call(manager, draft)
    assert ReuseCall.objects.filter(asset=asset, status=CallStatus.OPEN).count() == 1


def test_the_outcome_of_a_call_marks_the_proposals(
    asset: Asset, manager: Any, clock: Clock
) -> None:
    clock.day = dt.date(2024, 6, 1)
    call = do_create_call(
        manager,
        asset,
        title="Bando",
        description="Proposte.",
        closes_on=dt.date(2024, 7, 31),
        publish=False,
    )
    with pytest.raises(ValidationError, match="Only a published call"):
        do_decide_call(manager, call, outcome="Nessuna", selected=None)
    do_publish_call(manager, call)
    chosen = do_submit_proposal(None, asset, **proposal_fields())
    other = do_submit_proposal(None, asset, **proposal_fields(title="Orto urbano"))
    do_set_proposal_status(manager, other, ProposalStatus.SHORTLISTED)
    with pytest.raises(ValidationError):
        do_set_proposal_status(manager, chosen, ProposalStatus.SELECTED)
    outsider = ReuseProposal.objects.create(asset=asset, **proposal_fields(title="Fuori bando"))
    clock.day = dt.date(2024, 8, 5)
    with pytest.raises(ValidationError) as refused:
        do_decide_call(manager, call, outcome="Scelto il doposcuola.", selected=outsider)
    assert "selected" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        do_decide_call(manager, call, outcome="  ", selected=chosen)
    assert "outcome" in refused.value.message_dict
    assert ReuseCall.objects.get(pk=call.pk).status == CallStatus.OPEN
    do_decide_call(manager, call, outcome=" Scelto il doposcuola. ", selected=chosen)
    decided = ReuseCall.objects.get(pk=call.pk)
    assert (decided.status, decided.outcome, decided.decided_on) == (
        CallStatus.DECIDED,
        "Scelto il doposcuola.",
        dt.date(2024, 8, 5),
    )
    statuses = dict(ReuseProposal.objects.values_list("title", "status"))
    assert statuses == {
        "Doposcuola di quartiere": ProposalStatus.SELECTED,
        "Orto urbano": ProposalStatus.NOT_SELECTED,
        "Fuori bando": ProposalStatus.RECEIVED,  # not sent to this call
    }
    with pytest.raises(ValidationError, match="already published"):
        do_set_proposal_status(
            manager, ReuseProposal.objects.get(pk=other.pk), ProposalStatus.SHORTLISTED
        )
    with pytest.raises(ValidationError):
        do_decide_call(manager, call, outcome="Di nuovo", selected=other)


def test_alerts_are_put_into_words_in_the_reader_language() -> None:
    from django.utils import translation

    facts = {"holder": "Cooperativa Il Ponte", "date": "2026-12-31", "days": 1}
    with translation.override("en"):
        assert describe_alert(AlertKind.CONCESSION_EXPIRING, facts) == (
            "The concession to Cooperativa Il Ponte ends on 12/31/2026 (in 1 day)."
        )
    with translation.override("it"):
        assert describe_alert(AlertKind.CONCESSION_EXPIRING, facts) == (
            "La concessione a Cooperativa Il Ponte scade il 31/12/2026 (tra 1 giorno)."
        )
