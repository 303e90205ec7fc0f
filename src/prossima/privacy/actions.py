"""Writes of the privacy app: the retention purge, account erasure and audited exports.

The purge deletes or anonymises personal data past its period (see
:mod:`prossima.privacy.retention`), one transaction per kind, and records one
audit event per kind with counts only. Erasure anonymises a citizen's account
and withdraws what still acts in their name.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from prossima.accounts.actions import do_record_audit
from prossima.accounts.models import ApiToken, AuditEvent, Membership, Organisation, User
from prossima.accounts.permissions import forget_memberships
from prossima.privacy import retention

ERASED_PREFIX = "deleted-"
ERASED_EMAIL_DOMAIN = "erased.invalid"

Purger = Callable[[dt.datetime, dt.datetime, bool], int]


# --- Purge, one function per retention kind ------------------------------------------


def _purge_read_notifications(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    from prossima.dialogue.models import Notification

    found = Notification.objects.filter(read_at__lt=cutoff)
    return found.count() if dry_run else found.delete()[0]


def _purge_unread_notifications(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    from prossima.dialogue.models import Notification

    found = Notification.objects.filter(read_at__isnull=True, created_at__lt=cutoff)
    return found.count() if dry_run else found.delete()[0]


def _purge_decided_flags(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    from prossima.dialogue.models import Flag

    found = Flag.objects.exclude(decision="").filter(decided_at__lt=cutoff)
    return found.count() if dry_run else found.delete()[0]


def _purge_lifted_blocks(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    from prossima.dialogue.models import Block

    found = Block.objects.filter(lifted_at__lt=cutoff)
    return found.count() if dry_run else found.delete()[0]


def _purge_meeting_registrations(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    from prossima.dialogue.models import Registration

    found = Registration.objects.filter(meeting__ends_at__lt=cutoff)
    return found.count() if dry_run else found.delete()[0]


def _purge_course_enrolments(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    from prossima.dialogue.models import Course, Enrolment

    # A course without sessions has not happened: its enrolments wait.
    ended = Course.objects.annotate(last=Max("sessions__ends_at")).filter(last__lt=cutoff)
    found = Enrolment.objects.filter(course__in=ended.values("pk"), certificate_code="")
    if dry_run:
        return found.count()
    ids = list(found.values_list("pk", flat=True))
    Enrolment.objects.filter(pk__in=ids).delete()
    return len(ids)


def _purge_closed_citizen_reports(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    from prossima.incidents.models import REPORT_STATE_TYPES, CitizenReport, ReportStateType

    closed = [s for s, kind in REPORT_STATE_TYPES.items() if kind != ReportStateType.OPEN]
    found = (
        CitizenReport.objects.filter(status__in=closed)
        .annotate(closed_at=Coalesce("status_changed_at", "created_at"))
        .filter(closed_at__lt=cutoff)
        .filter(
            Q(reporter__isnull=False)
            | ~Q(reporter_email="")
            | ~Q(photo="")
            | ~Q(original_title=F("title"))
            | ~Q(original_description=F("description"))
        )
    )
    if dry_run:
        return found.count()
    photos = list(found.exclude(photo="").values_list("photo", flat=True))
    count = CitizenReport.objects.filter(pk__in=list(found.values_list("pk", flat=True))).update(
        reporter=None,
        reporter_email="",
        photo="",
        photo_hidden=False,
        original_title=F("title"),
        original_description=F("description"),
    )
    _delete_files_after_commit(photos)
    return count


def _delete_files_after_commit(names: list[str]) -> None:
    """Remove stored files once the rows no longer point at them."""

    def remove() -> None:
        for name in names:
            default_storage.delete(name)

    if names:
        transaction.on_commit(remove)


def _purge_research_requests(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    from prossima.reports.models import RequestStatus, ResearchRequest

    ended = Q(
        status__in=[RequestStatus.REJECTED, RequestStatus.WITHDRAWN],
        ended_at__lt=cutoff,
    ) | Q(status=RequestStatus.APPROVED, expires_on__lt=cutoff.date())
    found = ResearchRequest.objects.annotate(ended_at=Coalesce("decided_at", "created_at")).filter(
        ended
    )
    if dry_run:
        return found.count()
    ids = list(found.values_list("pk", flat=True))
    return ResearchRequest.objects.filter(pk__in=ids).delete()[0]


def _purge_expired_api_tokens(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    found = ApiToken.objects.annotate(last=Coalesce("last_used_at", "created_at")).filter(
        Q(expires_at__lt=cutoff) | Q(revoked=True, last__lt=cutoff)
    )
    if dry_run:
        return found.count()
    return ApiToken.objects.filter(pk__in=list(found.values_list("pk", flat=True))).delete()[0]


def _purge_expired_sessions(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    found = Session.objects.filter(expire_date__lt=cutoff)
    return found.count() if dry_run else found.delete()[0]


def _staged_path(params: dict[str, Any]) -> Path | None:
    """Return the staged upload of an import job, only when it lies in the imports folder."""
    raw = params.get("path")
    if not raw or params.get("file_removed"):
        return None
    root = (Path(settings.MEDIA_ROOT) / "imports").resolve()
    path = Path(str(raw)).resolve()
    # Files given on the command line live elsewhere and belong to whoever ran it.
    if root not in path.parents or not path.is_file():
        return None
    return path


def _purge_import_files(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    from prossima.incidents.jobs import IMPORT_JOB
    from prossima.jobs.models import Job

    found = Job.objects.filter(
        kind=IMPORT_JOB,
        status__in=[Job.Status.DONE, Job.Status.FAILED],
        finished_at__lt=cutoff,
    )
    count = 0
    for job in found.select_for_update() if not dry_run else found:
        path = _staged_path(job.params)
        if path is None:
            continue
        count += 1
        if dry_run:
            continue
        job.params = {**job.params, "file_removed": True}
        job.save(update_fields=["params"])
        path.unlink(missing_ok=True)
        # Each upload has a folder of its own (a random token): remove it too.
        shutil.rmtree(path.parent, ignore_errors=True)
    return count


def _purge_closed_referrals(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    from prossima.inclusion.models import Referral, ReferralEvent

    noted = ReferralEvent.objects.filter(referral=OuterRef("pk")).exclude(note="")
    found = (
        Referral.objects.filter(closed_at__lt=cutoff)
        .annotate(noted=Exists(noted))
        .filter(~Q(case_code__startswith="anon-") | ~Q(reason="") | Q(noted=True))
    )
    if dry_run:
        return found.count()
    count = 0
    for referral in found.select_for_update():
        referral.case_code = f"anon-{referral.pk}"
        referral.reason = ""
        referral.save(update_fields=["case_code", "reason"])
        referral.events.exclude(note="").update(note="")
        count += 1
    return count


def _purge_reuse_proposal_contacts(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    from prossima.assets.models import ReuseProposal

    found = ReuseProposal.objects.filter(created_at__lt=cutoff).filter(
        Q(proposer__isnull=False) | ~Q(contact_name="") | ~Q(contact_email="")
    )
    if dry_run:
        return found.count()
    return found.update(proposer=None, contact_name="", contact_email="")


def _purge_unconfirmed_subscriptions(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    from prossima.counterfeit.models import Subscription

    found = Subscription.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff)
    return found.count() if dry_run else found.delete()[0]


def _purge_login_attempts(cutoff: dt.datetime, now: dt.datetime, dry_run: bool) -> int:
    count = 0
    for name in ("AccessAttempt", "AccessFailureLog", "AccessLog"):
        try:
            model = apps.get_model("axes", name)
        except LookupError:
            continue
        found = model.objects.filter(attempt_time__lt=cutoff)
        count += found.count() if dry_run else found.delete()[0]
    return count


PURGERS: dict[str, Purger] = {
    "read_notifications": _purge_read_notifications,
    "unread_notifications": _purge_unread_notifications,
    "decided_flags": _purge_decided_flags,
    "lifted_blocks": _purge_lifted_blocks,
    "meeting_registrations": _purge_meeting_registrations,
    "course_enrolments": _purge_course_enrolments,
    "closed_citizen_reports": _purge_closed_citizen_reports,
    "research_requests": _purge_research_requests,
    "expired_api_tokens": _purge_expired_api_tokens,
    "expired_sessions": _purge_expired_sessions,
    "import_files": _purge_import_files,
    "closed_referrals": _purge_closed_referrals,
    "reuse_proposal_contacts": _purge_reuse_proposal_contacts,
    "unconfirmed_subscriptions": _purge_unconfirmed_subscriptions,
    "login_attempts": _purge_login_attempts,
}


def purgeable_kinds() -> list[str]:
    """Return the purged kinds that apply to this installation, in table order."""
    kinds = [r.kind for r in retention.RETENTION if r.purged]
    if not apps.is_installed("axes"):
        kinds.remove("login_attempts")
    return kinds


def do_purge_expired(
    now: dt.datetime | None = None, dry_run: bool = False, kinds: list[str] | None = None
) -> dict[str, int]:
    """Delete or anonymise personal data past its retention period; return counts per kind.

    Each kind runs in its own transaction, so one failing kind leaves the others
    done. Running again finds nothing more. With ``dry_run`` nothing changes and
    the counts say what would go. One audit event per kind that changed rows
    records the count, never the contents.
    """
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for kind in kinds or purgeable_kinds():
        found = retention.rule(kind)
        days = retention.days_for(kind)
        cutoff = now - dt.timedelta(days=days)
        with transaction.atomic():
            count = PURGERS[kind](cutoff, now, dry_run)
            if count and not dry_run:
                do_record_audit(
                    None,
                    AuditEvent.Action.DELETE
                    if found.action == retention.DELETE
                    else AuditEvent.Action.UPDATE,
                    "privacy.retention",
                    kind,
                    f"{kind}: {count}",
                    detail={
                        "kind": kind,
                        "count": count,
                        "action": found.action,
                        "days": days,
                        "cutoff": cutoff.isoformat(),
                    },
                )
        counts[kind] = count
    return counts


# --- Data-subject export and erasure ----------------------------------------------------


def do_record_personal_export(user: User, request: HttpRequest | None = None) -> AuditEvent:
    """Record that a person downloaded the export of their own data."""
    return do_record_audit(
        user,
        AuditEvent.Action.EXPORT,
        "privacy.personal_data",
        user.pk,
        user.get_username(),
        request=request,
    )


def is_erased(user: Any) -> bool:
    """Return whether an account was erased at its owner's request."""
    return bool(
        user is not None
        and str(getattr(user, "username", "")).startswith(ERASED_PREFIX)
        and str(getattr(user, "email", "")).endswith("@" + ERASED_EMAIL_DOMAIN)
    )


def erasure_refusal(user: User) -> str | None:
    """Return why the account cannot be erased by its owner, or None when it can."""
    if user.is_superuser or user.is_staff:
        return _(
            "This is an administrator's account: what it did is an official record. Another "
            "platform administrator must close it."
        )
    names = sorted(
        {
            m.organisation.name
            for m in Membership.objects.filter(user=user).select_related("organisation")
        }
    )
    if names:
        return _(
            "Your account belongs to %(organisations)s: what you did there is the "
            "organisation's official record. Ask its administrators to remove you from the "
            "organisation, then erase your account here."
        ) % {"organisations": ", ".join(names)}
    return None


def _withdraw_open_supports(user: User, now: dt.datetime) -> int:
    """Withdraw supports from proposals still open to support, keeping counts right.

    Supports of consultations whose discussion is over stay, tied to the
    anonymised account, so that published results do not change afterwards.
    """
    from prossima.dialogue.models import DISCUSSING_PHASES, Proposal, Support

    withdrawn = 0
    today = timezone.localdate(now)
    supports = Support.objects.filter(user=user).select_related("proposal__consultation")
    for support in supports:
        phase = support.proposal.consultation.phase_on(today)
        if phase is None or phase.kind not in DISCUSSING_PHASES:
            continue
        locked = Proposal.objects.select_for_update().get(pk=support.proposal_id)
        if Support.objects.filter(pk=support.pk).delete()[0]:
            Proposal.objects.filter(pk=locked.pk).update(support_count=F("support_count") - 1)
            withdrawn += 1
    return withdrawn


def _withdraw_future_registrations(user: User, now: dt.datetime) -> int:
    from prossima.dialogue.actions.meetings import LIVE, do_unregister
    from prossima.dialogue.models import Registration

    found = Registration.objects.filter(user=user, state__in=LIVE, meeting__starts_at__gt=now)
    count = 0
    for registration in found.select_related("meeting"):
        do_unregister(None, registration)
        count += 1
    return count


def _withdraw_live_enrolments(user: User) -> int:
    from prossima.dialogue.actions.training import do_withdraw
    from prossima.dialogue.models import Enrolment, EnrolmentState

    found = Enrolment.objects.filter(
        user=user, state__in=[EnrolmentState.ENROLLED, EnrolmentState.WAITING]
    ).select_related("course")
    count = 0
    for enrolment in found:
        do_withdraw(None, enrolment.course, user=user)
        count += 1
    return count


def _delete_sessions_of(user: User, now: dt.datetime) -> int:
    """Delete the live sessions in which the user is signed in."""
    count = 0
    for session in Session.objects.filter(expire_date__gt=now).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            count += 1
    return count


@transaction.atomic
def do_erase_account(
    user: User, password: str, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> dict[str, int]:
    """Erase a citizen's account at their request (GDPR art. 17); return what changed.

    The account stays as an empty shell named ``deleted-<id>`` so that proposals
    and comments it wrote, and the audit log, keep a valid author; everything
    that identifies or contacts the person is removed, and what still acts in
    their name (supports of open proposals, registrations for meetings to
    come, live course enrolments) is withdrawn through the usual actions.
    """
    from prossima.assets.models import ReuseProposal
    from prossima.counterfeit.models import Subscription
    from prossima.dialogue.models import Notification, NotificationPreference
    from prossima.incidents.models import CitizenReport

    now = now or timezone.now()
    if not user.check_password(password):
        raise ValidationError({"password": _("The password is not correct.")})
    refusal = erasure_refusal(user)
    if refusal:
        raise ValidationError(refusal)
    old_email = user.email
    changed = {
        "supports_withdrawn": _withdraw_open_supports(user, now),
        "registrations_cancelled": _withdraw_future_registrations(user, now),
        "enrolments_withdrawn": _withdraw_live_enrolments(user),
        "notifications_deleted": Notification.objects.filter(recipient=user).delete()[0],
        "preferences_deleted": NotificationPreference.objects.filter(user=user).delete()[0],
        "reports_unlinked": CitizenReport.objects.filter(reporter=user).update(
            reporter=None, reporter_email=""
        ),
        "reuse_proposals_unlinked": ReuseProposal.objects.filter(proposer=user).update(
            proposer=None, contact_name="", contact_email=""
        ),
        "subscriptions_deleted": Subscription.objects.filter(email__iexact=old_email).delete()[0]
        if old_email
        else 0,
        "tokens_deleted": ApiToken.objects.filter(user=user).delete()[0],
        "sessions_deleted": _delete_sessions_of(user, now),
    }
    user.username = f"{ERASED_PREFIX}{user.pk}"
    user.first_name = ""
    user.last_name = ""
    # E-mail addresses are unique: a reserved, undeliverable domain keeps them so.
    user.email = f"{ERASED_PREFIX}{user.pk}@{ERASED_EMAIL_DOMAIN}"
    user.email_verified = False
    user.preferred_language = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    forget_memberships(user)
    # The actor is the system: the person's old name is not written into the log again.
    do_record_audit(
        None,
        AuditEvent.Action.DELETE,
        "accounts.user",
        user.pk,
        user.username,
        detail={"erasure": "requested by the account holder", **changed},
        request=request,
    )
    return changed


# --- Audit export for the data-protection officer -------------------------------------


def do_record_audit_export(
    actor: User,
    organisation: Organisation | None,
    start: dt.date,
    end: dt.date,
    fmt: str,
    rows: int,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Record that ``actor`` exported the audit log of ``organisation`` (None: all)."""
    return do_record_audit(
        actor,
        AuditEvent.Action.EXPORT,
        "accounts.auditevent",
        organisation.pk if organisation else "",
        organisation.name if organisation else "all organisations",
        organisation=organisation,
        detail={"from": start.isoformat(), "to": end.isoformat(), "format": fmt, "rows": rows},
        request=request,
    )
