"""Reads of the training: which courses a person sees, hours, places, progress, certificates.

Hours are counted from the sessions' start and end times, in whole seconds, so
that the attendance threshold is compared exactly (no rounding of thirds of an
hour) and the same on every database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from prossima.dialogue.models import (
    Course,
    CourseModule,
    CourseSession,
    Enrolment,
    EnrolmentState,
)
from prossima.dialogue.queries.spaces import visible

# Enrolments that hold a place in the course.
TAKING_PLACE = (EnrolmentState.ENROLLED, EnrolmentState.COMPLETED)
# Enrolments whose attendance is taken.
ON_ROSTER = TAKING_PLACE
# Enrolments a person still has (not withdrawn).
CURRENT = (EnrolmentState.ENROLLED, EnrolmentState.WAITING, EnrolmentState.COMPLETED)


def visible_courses(user: Any) -> QuerySet[Course]:
    """Return the courses the user may see, the same rule as ``dialogue.view_course``."""
    return visible(Course, user)


def with_programme(courses: QuerySet[Course]) -> QuerySet[Course]:
    """Return ``courses`` with their provider, sessions and the count of places taken."""
    return (
        courses.select_related("organisation")
        .annotate(
            taken=Count("enrolments", filter=Q(enrolments__state__in=TAKING_PLACE), distinct=True)
        )
        .prefetch_related(
            Prefetch("sessions", queryset=CourseSession.objects.order_by("starts_at"))
        )
    )


def session_seconds(session: CourseSession) -> int:
    """Return a session's length in whole seconds."""
    return max(0, int((session.ends_at - session.starts_at).total_seconds()))


def to_hours(seconds: int) -> Decimal:
    """Return a number of seconds as hours with two decimals."""
    return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def course_seconds(course: Course) -> int:
    """Return the length of all of a course's sessions, in seconds (uses prefetched sessions)."""
    return sum(session_seconds(s) for s in course.sessions.all())


def course_hours(course: Course) -> Decimal:
    """Return the total hours of a course's sessions."""
    return to_hours(course_seconds(course))


def course_dates(course: Course) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Return when the first session starts and the last one ends (None without sessions)."""
    sessions = list(course.sessions.all())
    if not sessions:
        return None, None
    return min(s.starts_at for s in sessions), max(s.ends_at for s in sessions)


def places_taken(course: Course) -> int:
    """Return how many people hold a place (enrolled or completed)."""
    taken = getattr(course, "taken", None)
    if taken is not None:
        return int(taken)
    return course.enrolments.filter(state__in=TAKING_PLACE).count()


def places_left(course: Course) -> int | None:
    """Return the free places, or None when the course has no limit."""
    if course.capacity is None:
        return None
    return max(0, course.capacity - places_taken(course))


def waiting_list(course: Course) -> QuerySet[Enrolment]:
    """Return the people waiting for a place, first come first served."""
    return course.enrolments.filter(state=EnrolmentState.WAITING).order_by("queued_at", "pk")


def waiting_position(enrolment: Enrolment) -> int | None:
    """Return the person's place in the waiting list (1 is next), or None if not waiting."""
    if enrolment.state != EnrolmentState.WAITING:
        return None
    ahead = waiting_list(enrolment.course).filter(
        Q(queued_at__lt=enrolment.queued_at) | Q(queued_at=enrolment.queued_at, pk__lt=enrolment.pk)
    )
    return ahead.count() + 1


def roster(course: Course) -> QuerySet[Enrolment]:
    """Return the enrolments whose attendance is taken, by surname and name."""
    return (
        course.enrolments.filter(state__in=ON_ROSTER)
        .select_related("user", "organisation")
        .prefetch_related("attended_sessions")
        .order_by("user__last_name", "user__first_name", "user__username")
    )


def enrolment_of(user: Any, course: Course) -> Enrolment | None:
    """Return the user's enrolment in the course (any state), if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Enrolment.objects.filter(course=course, user=user).first()


def enrolments_of(user: Any) -> QuerySet[Enrolment]:
    """Return the person's current enrolments (not withdrawn), newest course first."""
    if not getattr(user, "is_authenticated", False):
        return Enrolment.objects.none()
    return (
        Enrolment.objects.filter(user=user, state__in=CURRENT)
        .select_related("course", "course__organisation", "organisation")
        .prefetch_related(
            Prefetch("course__sessions", queryset=CourseSession.objects.order_by("starts_at")),
            "attended_sessions",
        )
        .order_by("-course__created_at", "-pk")
    )


@dataclass(frozen=True)
class SessionAttendance:
    """One session of a course and whether the person attended it."""

    session: CourseSession
    attended: bool

    @property
    def hours(self) -> Decimal:
        """Return the session's length in hours."""
        return to_hours(session_seconds(self.session))


@dataclass(frozen=True)
class Progress:
    """How much of a course one person attended."""

    attended_seconds: int
    total_seconds: int
    required_percent: int
    sessions: list[SessionAttendance] = field(default_factory=list)

    @property
    def attended_hours(self) -> Decimal:
        """Return the hours attended."""
        return to_hours(self.attended_seconds)

    @property
    def total_hours(self) -> Decimal:
        """Return the hours of all the course's sessions."""
        return to_hours(self.total_seconds)

    @property
    def percent(self) -> int:
        """Return the share of the hours attended, rounded down to a whole per cent."""
        if not self.total_seconds:
            return 0
        return self.attended_seconds * 100 // self.total_seconds

    @property
    def reached(self) -> bool:
        """Return whether the attendance reaches the threshold for the certificate."""
        return threshold_reached(self.attended_seconds, self.total_seconds, self.required_percent)


def threshold_reached(attended_seconds: int, total_seconds: int, required_percent: int) -> bool:
    """Return whether attended / total ≥ required per cent, compared in whole numbers."""
    if total_seconds <= 0:
        return False
    return attended_seconds * 100 >= required_percent * total_seconds


def progress_of(enrolment: Enrolment, sessions: Iterable[CourseSession] | None = None) -> Progress:
    """Return the hours the person attended of the course's total, session by session."""
    course = enrolment.course
    listed = list(sessions if sessions is not None else course.sessions.all())
    attended_ids = {s.pk for s in enrolment.attended_sessions.all()}
    rows = [SessionAttendance(s, s.pk in attended_ids) for s in listed]
    return Progress(
        attended_seconds=sum(session_seconds(r.session) for r in rows if r.attended),
        total_seconds=sum(session_seconds(r.session) for r in rows),
        required_percent=course.min_attendance_percent,
        sessions=rows,
    )


@dataclass(frozen=True)
class ModuleBlock:
    """A module of the programme with its sessions (``module`` None: sessions without one)."""

    module: CourseModule | None
    sessions: list[CourseSession]


def programme(course: Course) -> list[ModuleBlock]:
    """Return the course's modules in order with their sessions, then sessions without module."""
    sessions = list(course.sessions.order_by("starts_at", "pk"))
    blocks = [
        ModuleBlock(m, [s for s in sessions if s.module_id == m.pk])
        for m in course.modules.order_by("order", "pk")
    ]
    loose = [s for s in sessions if s.module_id is None]
    if loose:
        blocks.append(ModuleBlock(None, loose))
    return blocks


def enrolment_by_code(code: str) -> Enrolment | None:
    """Return the completed enrolment whose certificate has this code, if any."""
    code = (code or "").strip()
    if not code:
        return None
    return (
        Enrolment.objects.filter(certificate_code=code, state=EnrolmentState.COMPLETED)
        .select_related("user", "course", "course__organisation", "organisation")
        .first()
    )
