"""Writes and rules of meetings: organising, registering, waiting lists, attendance, minutes.

A meeting belongs to an organisation, whose managers create, change, publish
and cancel it. Signed-in people who see a published meeting register for it;
beyond its places they wait in line and move up, first come first served,
when a place becomes free. After the start the organiser records who came,
the minutes, the outcomes and the proposals the meeting led to.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Organisation, User
from prossima.accounts.permissions import memberships_of
from prossima.dialogue.actions.notifications import do_notify
from prossima.dialogue.models import (
    Access,
    Consultation,
    Meeting,
    MeetingKind,
    MeetingState,
    Proposal,
    Registration,
    RegistrationState,
)
from prossima.dialogue.queries.meetings import outcome_proposal_choices, waiting_position

# The fields an organiser fills in; ``invited`` (many-to-many) is passed apart.
MEETING_FIELDS: tuple[str, ...] = (
    "title",
    "kind",
    "summary",
    "agenda",
    "starts_at",
    "ends_at",
    "place",
    "address",
    "online_url",
    "lon",
    "lat",
    "languages",
    "access",
    "capacity",
    "registration_open",
    "consultation",
    "published",
)
# A change to any of these moves the event in people's calendars and is announced to them.
SCHEDULE_FIELDS = frozenset({"starts_at", "ends_at", "place", "address", "online_url"})
# Addresses under /meetings/ that a meeting's address must not take.
RESERVED_SLUGS = frozenset({"new", "calendar"})
LIVE = (RegistrationState.CONFIRMED, RegistrationState.WAITING)
REMINDER_WINDOW = dt.timedelta(hours=24)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _audit(actor: Any, action: str, meeting: Meeting, **detail: Any) -> None:
    do_record_audit(
        actor,
        action,
        "dialogue.meeting",
        meeting.pk,
        meeting.title,
        organisation=meeting.organisation,
        detail=detail,
    )


def when(meeting: Meeting) -> str:
    """Return the start of a meeting for a notification: ISO time in the organiser's zone.

    The notification writes it in each reader's language when it is shown.
    """
    zone = zoneinfo.ZoneInfo(meeting.organisation.timezone or "Europe/Rome")
    return meeting.starts_at.astimezone(zone).isoformat(timespec="minutes")


def _slug_for(title: str, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:70].strip("-") or "incontro"
    if base in RESERVED_SLUGS:
        base = f"{base}-incontro"
    others = Meeting.objects.all() if exclude_pk is None else Meeting.objects.exclude(pk=exclude_pk)
    slug, n = base, 2
    while others.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def _locked(meeting: Meeting) -> Meeting:
    """Return the meeting locked for this transaction: registrations count its places under it."""
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("organisation", "consultation")
        .get(pk=meeting.pk)
    )


def _live_people(meeting: Meeting) -> list[User]:
    found = meeting.registrations.filter(state__in=LIVE).select_related("user")
    return [r.user for r in found.order_by("created_at", "pk")]


# --- Organising -------------------------------------------------------------------------


def meeting_errors(meeting: Meeting, invited: Iterable[Organisation]) -> dict[str, list[str]]:
    """Return the problems with a meeting's details, by field (empty when it is fine)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not (meeting.title or "").strip():
        add("title", _("Give the meeting a title."))
    if not (meeting.summary or "").strip():
        add("summary", _("Say in a few words what the meeting is about."))
    if meeting.kind not in MeetingKind.values:
        add("kind", _("Choose the kind of meeting."))
    if meeting.access not in Access.values:
        add("access", _("Choose who the meeting is open to."))
    if meeting.starts_at is None:
        add("starts_at", _("Say when the meeting starts."))
    if meeting.ends_at is None:
        add("ends_at", _("Say when the meeting ends."))
    if meeting.starts_at and meeting.ends_at and meeting.ends_at <= meeting.starts_at:
        add("ends_at", _("The meeting must end after it starts."))
    if not (meeting.place or "").strip() and not (meeting.online_url or "").strip():
        add("place", _("Give a place, an online link, or both."))
    if meeting.online_url and not meeting.online_url.startswith(("https://", "http://")):
        add("online_url", _("The link must start with https:// or http://."))
    if (meeting.lon is None) != (meeting.lat is None):
        add("lat", _("Give both latitude and longitude, or neither."))
    if meeting.lat is not None and not -90 <= meeting.lat <= 90:
        add("lat", _("The latitude is between -90 and 90."))
    if meeting.lon is not None and not -180 <= meeting.lon <= 180:
        add("lon", _("The longitude is between -180 and 180."))
    if meeting.capacity is not None and meeting.capacity < 1:
        add("capacity", _("Give at least one place, or leave it empty for no limit."))
    consultation = meeting.consultation if meeting.consultation_id else None
    if consultation is not None and consultation.organisation_id != meeting.organisation_id:
        add("consultation", _("Link only consultations of the organiser."))
    invited = list(invited)
    if meeting.access == Access.INVITED and not invited:
        add("invited", _("Choose the organisations you invite."))
    if any(o.pk == meeting.organisation_id for o in invited):
        add("invited", _("The organiser's members are always invited."))
    try:
        meeting.clean_fields(exclude=["organisation", "slug", "uid", "created_by", *errors])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                add(name, message)
    return errors


def _apply(meeting: Meeting, fields: dict[str, Any]) -> set[str]:
    """Copy the given fields onto the meeting and return the names of those that changed."""
    unknown = set(fields) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"Unknown meeting fields: {', '.join(sorted(unknown))}")
    changed: set[str] = set()
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if name == "consultation":
            before: Any = meeting.consultation_id
            after: Any = value.pk if isinstance(value, Consultation) else value
            if before != after:
                changed.add(name)
            meeting.consultation = value
            continue
        if getattr(meeting, name) != value:
            changed.add(name)
        setattr(meeting, name, value)
    return changed


@transaction.atomic
def do_create_meeting(
    actor: Any,
    organisation: Organisation,
    *,
    invited: Iterable[Organisation] = (),
    **fields: Any,
) -> Meeting:
    """Create a meeting organised by ``organisation``; nothing is saved when anything is wrong."""
    check_perm(actor, "dialogue.manage_meeting", organisation)
    meeting = Meeting(organisation=organisation, created_by=_user(actor))
    _apply(meeting, fields)
    invited = list(invited)
    errors = meeting_errors(meeting, invited)
    if errors:
        raise ValidationError(errors)
    meeting.slug = _slug_for(meeting.title)
    meeting.save()
    meeting.invited.set(invited)
    _audit(actor, AuditEvent.Action.CREATE, meeting, published=meeting.published)
    return meeting


@transaction.atomic
def do_update_meeting(
    actor: Any,
    meeting: Meeting,
    *,
    invited: Iterable[Organisation] | None = None,
    **fields: Any,
) -> Meeting:
    """Change a meeting's details.

    Moving it in time or space raises its calendar revision and tells the people
    registered or waiting; more places move people up from the waiting list.
    Fewer places than people confirmed takes no one's place away.
    """
    check_perm(actor, "dialogue.manage_meeting", meeting)
    meeting = _locked(meeting)
    if meeting.state == MeetingState.CANCELLED:
        raise ValidationError(_("A cancelled meeting cannot be changed."))
    capacity_before = meeting.capacity
    changed = _apply(meeting, fields)
    invited_now = list(invited) if invited is not None else list(meeting.invited.all())
    if invited is not None and {o.pk for o in invited_now} != set(
        meeting.invited.values_list("pk", flat=True)
    ):
        changed.add("invited")
    errors = meeting_errors(meeting, invited_now)
    if errors:
        raise ValidationError(errors)
    if not changed:
        return meeting
    moved = bool(changed & SCHEDULE_FIELDS)
    if moved:
        meeting.sequence += 1
    if "starts_at" in changed:
        # A reminder sent for the old time says nothing about the new one.
        meeting.reminder_sent_at = None
    meeting.save()
    if invited is not None:
        meeting.invited.set(invited_now)
    if moved:
        do_notify(
            _live_people(meeting),
            "meeting_changed",
            url=meeting.get_absolute_url(),
            meeting=meeting.title,
            when=when(meeting),
        )
    if "capacity" in changed and (
        meeting.capacity is None or (capacity_before or 0) < meeting.capacity
    ):
        _promote(meeting)
    _audit(actor, AuditEvent.Action.UPDATE, meeting, fields=sorted(changed))
    return meeting


@transaction.atomic
def do_publish_meeting(actor: Any, meeting: Meeting, published: bool = True) -> Meeting:
    """Publish a meeting (or take it back to a draft) for those it is open to."""
    check_perm(actor, "dialogue.manage_meeting", meeting)
    meeting = _locked(meeting)
    if meeting.state == MeetingState.CANCELLED and published:
        raise ValidationError(_("A cancelled meeting cannot be published."))
    if meeting.published != published:
        meeting.published = published
        meeting.save(update_fields=["published", "updated_at"])
        _audit(actor, AuditEvent.Action.UPDATE, meeting, fields=["published"], value=published)
    return meeting


@transaction.atomic
def do_cancel_meeting(actor: Any, meeting: Meeting, reason: str = "") -> Meeting:
    """Cancel a meeting that has not started; tell the people registered or waiting why.

    Registrations keep their state, so each person still sees where they stood.
    """
    check_perm(actor, "dialogue.manage_meeting", meeting)
    meeting = _locked(meeting)
    if meeting.state == MeetingState.CANCELLED:
        raise ValidationError(_("The meeting is already cancelled."))
    if meeting.starts_at <= timezone.now():
        raise ValidationError(_("A meeting that has started cannot be cancelled."))
    meeting.state = MeetingState.CANCELLED
    meeting.cancel_reason = reason.strip()[:300]
    meeting.registration_open = False
    meeting.sequence += 1
    meeting.save()
    do_notify(
        _live_people(meeting),
        "meeting_cancelled",
        url=meeting.get_absolute_url(),
        meeting=meeting.title,
        when=when(meeting),
        reason=meeting.cancel_reason,
    )
    _audit(actor, AuditEvent.Action.UPDATE, meeting, fields=["state"], state=meeting.state)
    return meeting


# --- Registering ------------------------------------------------------------------------


def _confirmed(meeting: Meeting) -> int:
    return meeting.registrations.filter(state=RegistrationState.CONFIRMED).count()


def _has_place(meeting: Meeting) -> bool:
    return meeting.capacity is None or _confirmed(meeting) < meeting.capacity


def _promote(meeting: Meeting) -> list[Registration]:
    """Move people up from the waiting list, first come first served, while places are free."""
    promoted: list[Registration] = []
    queue = meeting.registrations.filter(state=RegistrationState.WAITING).order_by(
        "queued_at", "pk"
    )
    for registration in queue.select_related("user"):
        if not _has_place(meeting):
            break
        registration.state = RegistrationState.CONFIRMED
        registration.save(update_fields=["state", "updated_at"])
        promoted.append(registration)
        do_notify(
            [registration.user],
            "meeting_promoted",
            url=meeting.get_absolute_url(),
            meeting=meeting.title,
            when=when(meeting),
        )
    return promoted


def _refusal(meeting: Meeting) -> str | None:
    if meeting.state == MeetingState.CANCELLED:
        return _("The meeting has been cancelled.")
    if meeting.starts_at <= timezone.now():
        return _("The meeting has already started.")
    if not meeting.registration_open:
        return _("Registration for this meeting is closed.")
    return None


@transaction.atomic
def do_register(
    user: User, meeting: Meeting, organisation: Organisation | None = None
) -> Registration:
    """Register a person for a meeting: confirmed while places remain, otherwise waiting.

    One registration per person and meeting: registering again after cancelling
    reuses it, at the end of the queue. ``organisation`` says on whose behalf the
    person comes and must be one they belong to.
    """
    check_perm(user, "dialogue.register", meeting)
    meeting = _locked(meeting)
    refusal = _refusal(meeting)
    if refusal:
        raise ValidationError(refusal)
    if organisation is not None and organisation.pk not in {
        m.organisation_id for m in memberships_of(user)
    }:
        raise ValidationError(
            {"organisation": _("You can register only on behalf of your own organisations.")}
        )
    registration = Registration.objects.filter(meeting=meeting, user=user).first()
    if registration is not None and registration.state in LIVE:
        if registration.organisation_id != (organisation.pk if organisation else None):
            registration.organisation = organisation
            registration.save(update_fields=["organisation", "updated_at"])
        return registration
    # Places left over while people wait (e.g. capacity raised in the same breath) go to
    # those already waiting, not to a newcomer.
    _promote(meeting)
    state = RegistrationState.CONFIRMED if _has_place(meeting) else RegistrationState.WAITING
    if registration is None:
        registration = Registration.objects.create(
            meeting=meeting, user=user, organisation=organisation, state=state
        )
    else:
        # Coming back after cancelling means queueing again, from now.
        registration.state = state
        registration.organisation = organisation
        registration.attended = None
        registration.queued_at = timezone.now()
        registration.save()
    if state == RegistrationState.CONFIRMED:
        do_notify(
            [user],
            "meeting_registered",
            url=meeting.get_absolute_url(),
            meeting=meeting.title,
            when=when(meeting),
        )
    else:
        do_notify(
            [user],
            "meeting_waiting",
            url=meeting.get_absolute_url(),
            meeting=meeting.title,
            position=str(waiting_position(registration)),
        )
    return registration


@transaction.atomic
def do_unregister(actor: Any, registration: Registration) -> Registration:
    """Cancel a registration (the person's own, or by the organiser) before the meeting starts.

    A confirmed place that becomes free goes to the first person waiting.
    """
    check_perm(actor, "dialogue.view_registration", registration)
    meeting = _locked(registration.meeting)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.state == RegistrationState.CANCELLED:
        return registration
    if meeting.starts_at <= timezone.now():
        raise ValidationError(_("The meeting has already started."))
    freed = registration.state == RegistrationState.CONFIRMED
    registration.state = RegistrationState.CANCELLED
    registration.save(update_fields=["state", "updated_at"])
    if freed and meeting.state == MeetingState.SCHEDULED:
        _promote(meeting)
    return registration


# --- After the meeting ------------------------------------------------------------------


@transaction.atomic
def do_record_attendance(actor: Any, meeting: Meeting, present: Iterable[int]) -> int:
    """Record who of the confirmed people came (``present``: registration ids); return them.

    Only after the start: before it nobody has come yet.
    """
    check_perm(actor, "dialogue.manage_meeting", meeting)
    meeting = _locked(meeting)
    if meeting.state == MeetingState.CANCELLED:
        raise ValidationError(_("The meeting was cancelled: there is no attendance to record."))
    if meeting.starts_at > timezone.now():
        raise ValidationError(_("Attendance can be recorded once the meeting has started."))
    came = {int(pk) for pk in present}
    confirmed = meeting.registrations.filter(state=RegistrationState.CONFIRMED)
    unknown = came - set(confirmed.values_list("pk", flat=True))
    if unknown:
        raise ValidationError(_("Attendance is recorded only for confirmed registrations."))
    confirmed.filter(pk__in=came).update(attended=True, updated_at=timezone.now())
    confirmed.exclude(pk__in=came).update(attended=False, updated_at=timezone.now())
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        meeting,
        fields=["attendance"],
        present=len(came),
        confirmed=confirmed.count(),
    )
    return len(came)


@transaction.atomic
def do_record_minutes(
    actor: Any,
    meeting: Meeting,
    *,
    minutes: str,
    outcomes: str,
    proposals: Iterable[Proposal] = (),
) -> Meeting:
    """Record the minutes, the outcomes and the proposals a meeting discussed or led to.

    Linked proposals must be published, in the meeting's consultation or in one
    of the organiser's, and in a consultation the actor sees.
    """
    check_perm(actor, "dialogue.manage_meeting", meeting)
    meeting = _locked(meeting)
    if meeting.state == MeetingState.CANCELLED:
        raise ValidationError(_("The meeting was cancelled: it has no minutes."))
    if meeting.starts_at > timezone.now():
        raise ValidationError(_("Minutes can be recorded once the meeting has started."))
    chosen = {p.pk for p in proposals}
    allowed = set(
        outcome_proposal_choices(actor, meeting).filter(pk__in=chosen).values_list("pk", flat=True)
    )
    if chosen - allowed:
        raise ValidationError(
            {
                "proposals": _(
                    "Link only published proposals of this meeting's consultation "
                    "or of the organiser's consultations."
                )
            }
        )
    meeting.minutes = minutes.strip()
    meeting.outcomes = outcomes.strip()
    meeting.save(update_fields=["minutes", "outcomes", "updated_at"])
    meeting.outcome_proposals.set(sorted(chosen))
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        meeting,
        fields=["minutes", "outcomes", "outcome_proposals"],
        proposals=sorted(chosen),
    )
    return meeting


def do_record_registrations_export(actor: Any, meeting: Meeting, rows: int) -> None:
    """Write in the audit log that the organiser downloaded the registration list."""
    check_perm(actor, "dialogue.manage_meeting", meeting)
    _audit(actor, AuditEvent.Action.EXPORT, meeting, what="registrations", rows=rows)


# --- Reminders --------------------------------------------------------------------------


def send_meeting_reminders(now: dt.datetime | None = None) -> int:
    """Remind the confirmed people of meetings starting within a day; return how many meetings.

    Each meeting is reminded once (``reminder_sent_at``), so running this again,
    or from two workers at once, sends nothing twice.
    """
    now = now or timezone.now()
    due = Meeting.objects.filter(
        state=MeetingState.SCHEDULED,
        reminder_sent_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + REMINDER_WINDOW,
    ).values_list("pk", flat=True)
    reminded = 0
    for pk in list(due):
        with transaction.atomic():
            meeting = (
                Meeting.objects.select_for_update(of=("self",))
                .filter(pk=pk, reminder_sent_at__isnull=True, state=MeetingState.SCHEDULED)
                .first()
            )
            if meeting is None:
                continue
            people = [
                r.user
                for r in meeting.registrations.filter(
                    state=RegistrationState.CONFIRMED
                ).select_related("user")
            ]
            do_notify(
                people,
                "meeting_reminder",
                url=meeting.get_absolute_url(),
                meeting=meeting.title,
                when=when(meeting),
            )
            # An update() leaves updated_at, hence the calendar's DTSTAMP, as it was.
            Meeting.objects.filter(pk=pk).update(reminder_sent_at=now)
            reminded += 1
    return reminded
