"""Reads of meetings: who sees which, upcoming and past, registration counts, iCalendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from prossima.dialogue.models import (
    Consultation,
    ContentState,
    Meeting,
    MeetingState,
    Proposal,
    Registration,
    RegistrationState,
)
from prossima.dialogue.queries.consultations import visible_consultations
from prossima.dialogue.queries.spaces import visible

PRODID = "-//Prossima//Meetings//IT"
# How many past meetings the list shows; older ones stay reachable by their address.
PAST_SHOWN = 30


def visible_meetings(user: Any) -> QuerySet[Meeting]:
    """Return the meetings the user may see, as ``dialogue.view_meeting`` decides one by one."""
    return visible(Meeting, user)


def with_counts(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Annotate each meeting with ``confirmed_count`` and ``waiting_count``."""
    return meetings.annotate(
        confirmed_count=Count(
            "registrations", filter=Q(registrations__state=RegistrationState.CONFIRMED)
        ),
        waiting_count=Count(
            "registrations", filter=Q(registrations__state=RegistrationState.WAITING)
        ),
    )


def upcoming(meetings: QuerySet[Meeting], now: dt.datetime | None = None) -> QuerySet[Meeting]:
    """Return the meetings not over yet (those under way included), soonest first."""
    return meetings.filter(ends_at__gt=now or timezone.now()).order_by("starts_at", "pk")


def past(meetings: QuerySet[Meeting], now: dt.datetime | None = None) -> QuerySet[Meeting]:
    """Return the meetings that are over, latest first."""
    return meetings.filter(ends_at__lte=now or timezone.now()).order_by("-starts_at", "-pk")


def by_month(meetings: Iterable[Meeting]) -> list[tuple[dt.date, list[Meeting]]]:
    """Group meetings by the month they start in (local time), keeping their order."""
    groups: list[tuple[dt.date, list[Meeting]]] = []
    for meeting in meetings:
        month = timezone.localtime(meeting.starts_at).date().replace(day=1)
        if not groups or groups[-1][0] != month:
            groups.append((month, []))
        groups[-1][1].append(meeting)
    return groups


def counts(meeting: Meeting) -> tuple[int, int]:
    """Return how many people are confirmed and how many wait for a meeting."""
    found = dict(
        meeting.registrations.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    return found.get(RegistrationState.CONFIRMED, 0), found.get(RegistrationState.WAITING, 0)


def places_left(meeting: Meeting, confirmed: int) -> int | None:
    """Return the free places, or None when the meeting has no limit."""
    if meeting.capacity is None:
        return None
    return max(meeting.capacity - confirmed, 0)


def registration_of(user: Any, meeting: Meeting) -> Registration | None:
    """Return the person's registration for the meeting (in any state), if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Registration.objects.filter(meeting=meeting, user=user).first()


def waiting_position(registration: Registration) -> int | None:
    """Return the place of a waiting registration in the queue (1 is next), else None."""
    if registration.state != RegistrationState.WAITING:
        return None
    ahead = Registration.objects.filter(
        meeting_id=registration.meeting_id, state=RegistrationState.WAITING
    ).filter(
        Q(queued_at__lt=registration.queued_at)
        | Q(queued_at=registration.queued_at, pk__lt=registration.pk)
    )
    return ahead.count() + 1


def registrations_of(meeting: Meeting) -> QuerySet[Registration]:
    """Return a meeting's registrations for its organiser: confirmed, waiting, cancelled."""
    return meeting.registrations.select_related("user", "organisation").order_by("queued_at", "pk")


def meetings_of_person(user: Any) -> QuerySet[Registration]:
    """Return the person's live registrations for upcoming meetings."""
    if not getattr(user, "is_authenticated", False):
        return Registration.objects.none()
    return (
        Registration.objects.filter(
            user=user,
            state__in=(RegistrationState.CONFIRMED, RegistrationState.WAITING),
            meeting__ends_at__gt=timezone.now(),
        )
        .select_related("meeting")
        .order_by("meeting__starts_at")
    )


def outcome_proposal_choices(user: Any, meeting: Meeting) -> QuerySet[Proposal]:
    """Return the proposals a meeting's outcomes may link to.

    Published proposals of the meeting's consultation or of the organiser's
    consultations, and only in consultations the user may see.
    """
    spaces = Q(consultation__organisation_id=meeting.organisation_id)
    if meeting.consultation_id is not None:
        spaces |= Q(consultation_id=meeting.consultation_id)
    consultations = visible_consultations(user) if user is not None else Consultation.objects.all()
    return (
        Proposal.objects.filter(spaces, state=ContentState.PUBLISHED)
        .filter(consultation__in=consultations.values("pk"))
        .select_related("consultation")
        .order_by("consultation__title", "title", "pk")
    )


def linked_proposals(user: Any, meeting: Meeting) -> list[Proposal]:
    """Return the meeting's outcome proposals the user may read (few: checked one by one)."""
    found = meeting.outcome_proposals.select_related("consultation", "consultation__organisation")
    return [p for p in found if user.has_perm("dialogue.view_proposal", p)]


# --- iCalendar --------------------------------------------------------------------------


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def _location(meeting: Meeting) -> str:
    parts = [p for p in (meeting.place, meeting.address) if p.strip()]
    return ", ".join(parts) if parts else meeting.online_url


def _event(meeting: Meeting, request: HttpRequest) -> Event:
    link = request.build_absolute_uri(meeting.get_absolute_url())
    agenda = [line.strip() for line in meeting.agenda.splitlines() if line.strip()]
    description = [meeting.summary]
    if agenda:
        description.append("\n".join(f"- {item}" for item in agenda))
    if meeting.online_url and _location(meeting) != meeting.online_url:
        description.append(meeting.online_url)
    description.append(link)
    event = Event()
    event.add("uid", f"{meeting.uid}@prossima")
    # Without a METHOD, DTSTAMP is when the event was last revised (RFC 5545 §3.8.7.2).
    event.add("dtstamp", _utc(meeting.updated_at))
    event.add("created", _utc(meeting.created_at))
    event.add("last-modified", _utc(meeting.updated_at))
    event.add("dtstart", _utc(meeting.starts_at))
    event.add("dtend", _utc(meeting.ends_at))
    event.add("summary", meeting.title)
    event.add("description", "\n\n".join(description))
    location = _location(meeting)
    if location:
        event.add("location", location)
    if meeting.lat is not None and meeting.lon is not None:
        event.add("geo", (meeting.lat, meeting.lon))
    event.add("url", link)
    event.add("sequence", meeting.sequence)
    event.add("status", "CANCELLED" if meeting.state == MeetingState.CANCELLED else "CONFIRMED")
    organiser = vCalAddress(
        request.build_absolute_uri(
            reverse("accounts:organisation", args=[meeting.organisation.slug])
        )
    )
    organiser.params["cn"] = vText(meeting.organisation.name)
    event.add("organizer", organiser)
    return event


def _calendar(name: str = "") -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def meeting_ical(meeting: Meeting, request: HttpRequest) -> bytes:
    """Return one meeting as an iCalendar file."""
    calendar = _calendar()
    calendar.add_component(_event(meeting, request))
    return calendar.to_ical()


def meetings_feed(user: Any, request: HttpRequest, name: str = "") -> bytes:
    """Return the upcoming published meetings the user may see as an iCalendar feed.

    Cancelled meetings stay in the feed, marked CANCELLED, so that calendars
    that subscribed to it drop them; drafts stay out until they are published.
    """
    calendar = _calendar(name)
    for meeting in upcoming(visible_meetings(user).filter(published=True)):
        calendar.add_component(_event(meeting, request))
    return calendar.to_ical()
