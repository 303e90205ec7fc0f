"""Retention: every kind of personal data has a period, and the purge keeps to it."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db.models import QuerySet
from django.utils import timezone

from prossima.accounts.models import ApiToken, AuditEvent
from prossima.accounts.permissions import DATA_KINDS
from prossima.privacy import retention
from prossima.privacy.actions import do_purge_expired, purgeable_kinds
from tests.privacy.conftest import citizen_report, course, meeting, proposal

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
Probe = Callable[[], bool]


def test_every_personal_model_has_a_retention_rule() -> None:
    covered = {model for rule in retention.RETENTION for model in rule.models}
    personal = {k for k, kind in DATA_KINDS.items() if kind.classification == "personal"}
    missing = sorted(personal - covered)
    assert not missing, (
        f"personal data without a retention rule: {missing}; add a RetentionRule to "
        "prossima.privacy.retention.RETENTION (a period and a purge, or KEEP with its reason)"
    )


def test_every_rule_has_a_reason_and_every_purged_kind_a_purge() -> None:
    from prossima.privacy.actions import PURGERS

    for rule in retention.RETENTION:
        assert str(rule.reason).strip(), rule.kind
        assert rule.purged == (rule.days is not None), rule.kind
        assert (rule.kind in PURGERS) == rule.purged, rule.kind
    audit = retention.rule("audit_log")
    assert audit.action == retention.KEEP, "the append-only audit log is never purged"


def test_periods_can_be_overridden_and_bad_overrides_are_refused(settings: Any) -> None:
    settings.PROSSIMA = {**settings.PROSSIMA, "RETENTION_DAYS": "read_notifications=7"}
    assert retention.days_for("read_notifications") == 7
    assert retention.days_for("decided_flags") == 365
    for bad in ("read_notifications=soon", "audit_log=1", "nonsense=3", "read_notifications"):
        settings.PROSSIMA = {**settings.PROSSIMA, "RETENTION_DAYS": bad}
        with pytest.raises(ImproperlyConfigured, match="kind=days"):
            retention.days_for("read_notifications")


# --- One builder per kind: a row whose retention clock started at ``at`` ----------------


def _gone(queryset: QuerySet[Any]) -> Probe:
    return lambda: queryset.exists()


def build_read_notifications(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    from prossima.dialogue.models import Notification

    found = Notification.objects.create(
        recipient=world["alice"], kind="comment", event="comment", read_at=at
    )
    return _gone(Notification.objects.filter(pk=found.pk))


def build_unread_notifications(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    from prossima.dialogue.models import Notification

    found = Notification.objects.create(recipient=world["alice"], kind="comment", event="c")
    Notification.objects.filter(pk=found.pk).update(created_at=at)
    return _gone(Notification.objects.filter(pk=found.pk))


def build_decided_flags(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    from prossima.dialogue.models import Flag

    target = proposal(world, world["bob"])
    found = Flag.objects.create(
        proposal=target, reporter=world["alice"], reason="spam", decision="kept", decided_at=at
    )
    return _gone(Flag.objects.filter(pk=found.pk))


def build_lifted_blocks(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    from prossima.dialogue.models import Block

    found = Block.objects.create(
        user=world["alice"], organisation=world["comune"], reason="insults", lifted_at=at
    )
    return _gone(Block.objects.filter(pk=found.pk))


def build_meeting_registrations(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    from prossima.dialogue.models import Registration

    held = meeting(world, at - dt.timedelta(hours=2))  # ends at ``at``
    found = Registration.objects.create(meeting=held, user=world["alice"], state="confirmed")
    return _gone(Registration.objects.filter(pk=found.pk))


def build_course_enrolments(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    from prossima.dialogue.models import Enrolment

    given = course(world, at)
    found = Enrolment.objects.create(course=given, user=world["alice"], state="enrolled")
    # A certificate is the person's record: it outlives the period.
    certificate = Enrolment.objects.create(
        course=given, user=world["bob"], state="completed", certificate_code=secrets.token_hex(6)
    )
    kept = Enrolment.objects.filter(pk=certificate.pk)
    return lambda: (Enrolment.objects.filter(pk=found.pk).exists(), kept.exists()) == (True, True)


def build_closed_citizen_reports(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    from prossima.incidents.models import CitizenReport

    found = citizen_report(
        world, world["alice"], status="resolved", status_changed_at=at, photo="report-photos/x.jpg"
    )

    def personal() -> bool:
        report = CitizenReport.objects.get(pk=found.pk)
        # The statistics survive either way.
        assert (report.status, report.category.code, report.comune_id) == (
            "resolved",
            "vandalismo",
            world["bologna"].pk,
        )
        assert report.title == "Broken bench"
        return bool(report.reporter_id or report.photo or "333" in report.original_description)

    return personal


def build_research_requests(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    from prossima.reports.models import ResearchRequest

    found = ResearchRequest.objects.create(
        requester=world["alice"],
        organisation=world["comune"],
        title="t",
        purpose="p",
        level="comune",
        status="rejected",
        decided_at=at,
    )
    return _gone(ResearchRequest.objects.filter(pk=found.pk))


def build_expired_api_tokens(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    found = ApiToken.objects.create(
        user=world["alice"], name="t", digest=secrets.token_hex(32), prefix="ab", expires_at=at
    )
    return _gone(ApiToken.objects.filter(pk=found.pk))


def build_expired_sessions(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    from django.contrib.sessions.models import Session

    key = secrets.token_hex(16)
    Session.objects.create(session_key=key, session_data="", expire_date=at)
    return _gone(Session.objects.filter(session_key=key))


def build_import_files(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    from prossima.jobs.models import Job

    folder = tmp / "imports" / secrets.token_hex(4)
    folder.mkdir(parents=True)
    staged = folder / "incidents.csv"
    staged.write_text("id,date\n1,2025-01-01\n")
    Job.objects.create(
        kind="incidents.import",
        status="failed",
        finished_at=at,
        params={"path": str(staged), "filename": "incidents.csv"},
    )
    return staged.exists


def build_closed_referrals(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    from prossima.inclusion.models import Referral, ReferralEvent, Service

    service = Service.objects.create(
        tenant=world["comune"], provider=world["community"], name="Doposcuola", kind="education"
    )
    found = Referral.objects.create(
        tenant=world["comune"],
        service=service,
        case_code="SS-2020-014",
        age_band="14_17",
        target_group="youth",
        reason="school drop-out",
        status="closed",
        referrer=world["admin"],
        referrer_organisation=world["comune"],
        closed_at=at,
    )
    ReferralEvent.objects.create(
        referral=found, status="closed", note="moved", author=world["admin"]
    )

    def personal() -> bool:
        referral = Referral.objects.get(pk=found.pk)
        assert (referral.age_band, referral.status, referral.service_id) == (
            "14_17",
            "closed",
            service.pk,
        )
        return referral.case_code == "SS-2020-014" or bool(referral.events.exclude(note=""))

    return personal


def build_reuse_proposal_contacts(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    from prossima.assets.models import Asset, ReuseProposal

    asset = Asset.objects.create(
        code=f"T-{secrets.token_hex(3)}",
        kind="real_estate",
        comune=world["bologna"],
        stage="destined",
    )
    found = ReuseProposal.objects.create(
        asset=asset,
        title="Orto",
        description="d",
        beneficiaries="b",
        contact_name="Alice Rossi",
        contact_email="alice@example.org",
        proposer=world["alice"],
    )
    ReuseProposal.objects.filter(pk=found.pk).update(created_at=at)
    return lambda: ReuseProposal.objects.filter(pk=found.pk, contact_name="Alice Rossi").exists()


def build_unconfirmed_subscriptions(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    from prossima.counterfeit.models import Subscription

    found = Subscription.objects.create(
        email=f"{secrets.token_hex(3)}@example.org", token=secrets.token_hex(16)
    )
    Subscription.objects.filter(pk=found.pk).update(created_at=at)
    return _gone(Subscription.objects.filter(pk=found.pk))


def build_login_attempts(world: dict[str, Any], at: dt.datetime, tmp: Path) -> Probe:
    from django.apps import apps

    model = apps.get_model("axes", "AccessAttempt")
    found = model.objects.create(
        username="alice",
        ip_address="10.0.0.1",
        user_agent=secrets.token_hex(4),
        failures_since_start=1,
    )
    model.objects.filter(pk=found.pk).update(attempt_time=at)
    return _gone(model.objects.filter(pk=found.pk))


BUILDERS: dict[str, Callable[[dict[str, Any], dt.datetime, Path], Probe]] = {
    name.removeprefix("build_"): value
    for name, value in globals().items()
    if name.startswith("build_")
}


def test_every_purged_kind_has_a_test() -> None:
    purged = {r.kind for r in retention.RETENTION if r.purged}
    assert purged == set(BUILDERS), f"write a build_<kind> for: {sorted(purged - set(BUILDERS))}"


@pytest.mark.parametrize("kind", [r.kind for r in retention.RETENTION if r.purged])
def test_purge_keeps_rows_inside_the_period_and_removes_those_past_it(
    kind: str, world: dict[str, Any], settings: Any, tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    if kind not in purgeable_kinds():
        pytest.skip(f"{kind}: django-axes is not installed, so there are no login attempts")
    settings.MEDIA_ROOT = str(tmp_path)
    cutoff = NOW - dt.timedelta(days=retention.days_for(kind))
    inside = BUILDERS[kind](world, cutoff + dt.timedelta(minutes=1), tmp_path)
    past = BUILDERS[kind](world, cutoff - dt.timedelta(minutes=1), tmp_path)
    assert inside()
    assert past()

    assert do_purge_expired(NOW, dry_run=True, kinds=[kind]) == {kind: 1}
    assert inside(), "a dry run changes nothing"
    assert past(), "a dry run changes nothing"

    audits = AuditEvent.objects.filter(object_type="privacy.retention", object_id=kind)
    with django_capture_on_commit_callbacks(execute=True):
        assert do_purge_expired(NOW, kinds=[kind]) == {kind: 1}
    assert inside(), "a row just inside its period stays"
    assert not past(), "a row just past its period is deleted or anonymised"
    event = audits.get()
    assert event.detail["count"] == 1
    assert event.detail["kind"] == kind

    assert do_purge_expired(NOW, kinds=[kind]) == {kind: 0}, "running again purges nothing more"
    assert audits.count() == 1, "nothing purged, nothing recorded"


def test_purge_removes_the_photo_file_of_an_anonymised_report(
    world: dict[str, Any], settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    photo = tmp_path / "report-photos" / "abc.jpg"
    photo.parent.mkdir()
    photo.write_bytes(b"\xff\xd8\xff")
    citizen_report(
        world,
        world["alice"],
        status="duplicate",
        status_changed_at=NOW - dt.timedelta(days=400),
        photo="report-photos/abc.jpg",
    )
    with django_capture_on_commit_callbacks(execute=True):
        do_purge_expired(NOW, kinds=["closed_citizen_reports"])
    assert not photo.exists()


def test_open_reports_keep_their_reporter_however_old(world: dict[str, Any]) -> None:
    report = citizen_report(world, world["alice"], status="in_progress")
    type(report).objects.filter(pk=report.pk).update(created_at=NOW - dt.timedelta(days=2000))
    assert do_purge_expired(NOW, kinds=["closed_citizen_reports"]) == {"closed_citizen_reports": 0}
    report.refresh_from_db()
    assert report.reporter_id == world["alice"].pk


def test_the_audit_log_is_not_purged(world: dict[str, Any]) -> None:
    from prossima.accounts.actions import do_record_audit

    old = do_record_audit(world["alice"], "view", "incidents.incident", 1)
    do_purge_expired(timezone.now() + dt.timedelta(days=10_000))
    assert AuditEvent.objects.filter(pk=old.pk).exists()


def test_the_command_prints_each_kind_and_the_nightly_task_is_scheduled(
    world: dict[str, Any], settings: Any
) -> None:
    from io import StringIO

    from prossima.dialogue.models import Notification

    Notification.objects.create(
        recipient=world["alice"],
        kind="comment",
        event="c",
        read_at=timezone.now() - dt.timedelta(days=200),
    )
    out = StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "read_notifications: 1 would be deleted (older than 90 days)" in text
    assert Notification.objects.filter(recipient=world["alice"]).count() == 1
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert "read_notifications: 1 were deleted" in out.getvalue()
    assert not Notification.objects.filter(recipient=world["alice"]).exists()

    from prossima.config.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE["privacy-purge-expired"]
    assert schedule["task"] == "prossima.privacy.purge_expired"
    app.loader.import_default_modules()
    assert "prossima.privacy.purge_expired" in app.tasks
