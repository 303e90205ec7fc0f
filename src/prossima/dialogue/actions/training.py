"""Writes of the training: courses and their programme, enrolment, attendance, certificates.

Rules:

* managers and administrators of the provider create and change a course,
  its modules and its sessions, and take attendance;
* a person enrols once per course (a later re-enrolment reuses the row); beyond
  the places they join the waiting list, served first come first served when
  a place frees up or the places are raised;
* after attendance (or a change of the sessions or of the threshold) every
  enrolment on the roster is recomputed: attended hours over the hours of all
  the course's sessions at or above ``min_attendance_percent`` completes it and
  issues a certificate code; a correction below the threshold takes the
  certificate back, and its code then verifies as not found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Organisation, User
from prossima.accounts.permissions import memberships_of
from prossima.dialogue.actions.notifications import do_notify
from prossima.dialogue.models import (
    Access,
    Course,
    CourseModule,
    CourseSession,
    Enrolment,
    EnrolmentState,
    Notification,
    new_code,
)
from prossima.dialogue.queries.training import (
    ON_ROSTER,
    TAKING_PLACE,
    session_seconds,
    threshold_reached,
    to_hours,
    waiting_list,
)

# The fields of a course its managers fill in (``invited`` is set apart: many-to-many).
COURSE_FIELDS: tuple[str, ...] = (
    "title",
    "summary",
    "description",
    "audience",
    "access",
    "capacity",
    "enrolment_open",
    "min_attendance_percent",
    "published",
)
MODULE_FIELDS: tuple[str, ...] = ("title", "description", "order")
SESSION_FIELDS: tuple[str, ...] = ("module", "starts_at", "ends_at", "place", "online_url")
# Addresses under /dialogue/training/ that a course's address must not take.
RESERVED_SLUGS = frozenset({"new"})


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _audit(actor: Any, action: str, course: Course, **detail: Any) -> None:
    do_record_audit(
        actor,
        action,
        "dialogue.course",
        course.pk,
        course.title,
        organisation=course.organisation,
        detail=detail,
    )


def _locked(course: Course) -> Course:
    """Return the course locked for this transaction, so places are counted one at a time."""
    return (
        Course.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=course.pk)
    )


def _slug_for(title: str) -> str:
    base = slugify(title)[:70].strip("-") or "corso"
    if base in RESERVED_SLUGS:
        base = f"{base}-corso"
    slug, n = base, 2
    while Course.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


# --- Courses ----------------------------------------------------------------------------


def course_errors(course: Course) -> dict[str, list[str]]:
    """Return the problems with a course's fields, by field (empty when it is fine)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not (course.title or "").strip():
        add("title", _("Give the course a title."))
    if not (course.summary or "").strip():
        add("summary", _("Write a summary of a line or two."))
    if course.access not in Access.values:
        add("access", _("Choose who the course is open to."))
    if course.capacity is not None and course.capacity < 1:
        add("capacity", _("Give at least one place, or leave it empty for no limit."))
    if not 1 <= (course.min_attendance_percent or 0) <= 100:
        add("min_attendance_percent", _("The attendance for the certificate is 1 to 100 %."))
    return errors


def _apply(course: Course, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(COURSE_FIELDS)
    if unknown:
        raise ValueError(f"not course fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(course, name, value.strip() if isinstance(value, str) else value)


def _set_invited(course: Course, invited: Iterable[Organisation] | None) -> None:
    if invited is None:
        return
    course.invited.set([o for o in invited if o.pk != course.organisation_id])


@transaction.atomic
def do_create_course(
    actor: Any,
    organisation: Organisation,
    *,
    invited: Iterable[Organisation] | None = None,
    **fields: Any,
) -> Course:
    """Create a course offered by ``organisation``; nothing is saved when anything is wrong."""
    check_perm(actor, "dialogue.manage_course", organisation)
    course = Course(organisation=organisation, created_by=_user(actor))
    _apply(course, fields)
    errors = course_errors(course)
    if errors:
        raise ValidationError(errors)
    course.slug = _slug_for(course.title)
    course.save()
    _set_invited(course, invited)
    _audit(actor, AuditEvent.Action.CREATE, course)
    return course


@transaction.atomic
def do_update_course(
    actor: Any,
    course: Course,
    *,
    invited: Iterable[Organisation] | None = None,
    **fields: Any,
) -> Course:
    """Change a course; more places promote people waiting, a new threshold recomputes."""
    check_perm(actor, "dialogue.manage_course", course)
    course = _locked(course)
    threshold_before = course.min_attendance_percent
    _apply(course, fields)
    errors = course_errors(course)
    if errors:
        raise ValidationError(errors)
    course.save()
    _set_invited(course, invited)
    _promote(course)
    if course.min_attendance_percent != threshold_before:
        _recompute_course(course)
    _audit(actor, AuditEvent.Action.UPDATE, course, fields=sorted(fields))
    return course


# --- Programme: modules and sessions --------------------------------------------------


def _module_errors(module: CourseModule) -> dict[str, list[str]]:
    if not (module.title or "").strip():
        return {"title": [_("Give the module a title.")]}
    return {}


@transaction.atomic
def do_add_module(
    actor: Any, course: Course, *, title: str, description: str = "", order: int | None = None
) -> CourseModule:
    """Add a module at the end of the programme (or at ``order``)."""
    check_perm(actor, "dialogue.manage_course", course)
    if order is None:
        last = course.modules.order_by("-order").values_list("order", flat=True).first()
        order = (last or 0) + 1
    module = CourseModule(
        course=course, title=title.strip(), description=description.strip(), order=order
    )
    errors = _module_errors(module)
    if errors:
        raise ValidationError(errors)
    module.save()
    _audit(actor, AuditEvent.Action.UPDATE, course, module_added=module.title)
    return module


@transaction.atomic
def do_update_module(actor: Any, module: CourseModule, **fields: Any) -> CourseModule:
    """Change a module's title, description or place in the programme."""
    check_perm(actor, "dialogue.manage_course", module.course)
    unknown = set(fields) - set(MODULE_FIELDS)
    if unknown:
        raise ValueError(f"not module fields: {sorted(unknown)}")
    for name, value in fields.items():
        if name == "order" and value is None:
            continue  # an empty order keeps the module where it is
        setattr(module, name, value.strip() if isinstance(value, str) else value)
    errors = _module_errors(module)
    if errors:
        raise ValidationError(errors)
    module.save()
    _audit(actor, AuditEvent.Action.UPDATE, module.course, module_changed=module.title)
    return module


@transaction.atomic
def do_remove_module(actor: Any, module: CourseModule) -> None:
    """Remove a module; its sessions stay in the course, without a module."""
    course = module.course
    check_perm(actor, "dialogue.manage_course", course)
    title = module.title
    module.delete()
    _audit(actor, AuditEvent.Action.UPDATE, course, module_removed=title)


def _session_errors(session: CourseSession) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if session.starts_at is None:
        errors.setdefault("starts_at", []).append(_("Give the start of the session."))
    if session.ends_at is None:
        errors.setdefault("ends_at", []).append(_("Give the end of the session."))
    if session.starts_at and session.ends_at and session.ends_at <= session.starts_at:
        errors.setdefault("ends_at", []).append(_("The session must end after it starts."))
    if session.module is not None and session.module.course_id != session.course_id:
        errors.setdefault("module", []).append(_("Choose a module of this course."))
    return errors


def _apply_session(session: CourseSession, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise ValueError(f"not session fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(session, name, value.strip() if isinstance(value, str) else value)


@transaction.atomic
def do_add_session(
    actor: Any,
    course: Course,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    module: CourseModule | None = None,
    place: str = "",
    online_url: str = "",
) -> CourseSession:
    """Add a dated session; the course's total hours change, so completions are recomputed."""
    check_perm(actor, "dialogue.manage_course", course)
    course = _locked(course)
    session = CourseSession(course=course)
    _apply_session(
        session,
        {
            "starts_at": starts_at,
            "ends_at": ends_at,
            "module": module,
            "place": place,
            "online_url": online_url,
        },
    )
    errors = _session_errors(session)
    if errors:
        raise ValidationError(errors)
    session.save()
    _recompute_course(course)
    _audit(actor, AuditEvent.Action.UPDATE, course, session_added=session.pk)
    return session


@transaction.atomic
def do_update_session(actor: Any, session: CourseSession, **fields: Any) -> CourseSession:
    """Change a session; new times change the hours, so completions are recomputed."""
    course = _locked(session.course)
    check_perm(actor, "dialogue.manage_course", course)
    _apply_session(session, fields)
    errors = _session_errors(session)
    if errors:
        raise ValidationError(errors)
    session.save()
    _recompute_course(course)
    _audit(actor, AuditEvent.Action.UPDATE, course, session_changed=session.pk)
    return session


@transaction.atomic
def do_remove_session(actor: Any, session: CourseSession) -> None:
    """Remove a session and the attendance taken at it; completions are recomputed."""
    course = _locked(session.course)
    check_perm(actor, "dialogue.manage_course", course)
    pk = session.pk
    session.delete()
    _recompute_course(course)
    _audit(actor, AuditEvent.Action.UPDATE, course, session_removed=pk)


# --- Enrolment --------------------------------------------------------------------------


def _notify_place(enrolment: Enrolment, event: str) -> None:
    course = enrolment.course
    do_notify([enrolment.user], event, url=course.get_absolute_url(), course=course.title)


def _is_full(course: Course, excluding: Enrolment | None = None) -> bool:
    """Return whether a newcomer must wait: no place left, or others already waiting."""
    if course.capacity is None:
        return False
    others = course.enrolments.all()
    if excluding is not None and excluding.pk is not None:
        others = others.exclude(pk=excluding.pk)
    taken = others.filter(state__in=TAKING_PLACE).count()
    # Someone already waiting keeps their turn even if a place looks free.
    return taken >= course.capacity or others.filter(state=EnrolmentState.WAITING).exists()


def _promote(course: Course) -> list[Enrolment]:
    """Give free places to the people waiting, in the order they enrolled."""
    promoted: list[Enrolment] = []
    while True:
        if course.capacity is not None:
            taken = course.enrolments.filter(state__in=TAKING_PLACE).count()
            if taken >= course.capacity:
                break
        first = waiting_list(course).select_related("user").first()
        if first is None:
            break
        first.state = EnrolmentState.ENROLLED
        first.save(update_fields=["state"])
        first.course = course
        _recompute(first, _course_hours_of(course))
        _notify_place(first, "course_promoted")
        promoted.append(first)
    return promoted


@transaction.atomic
def do_enrol(user: User, course: Course, organisation: Organisation | None = None) -> Enrolment:
    """Enrol ``user`` in a course, or put them on the waiting list when it is full.

    ``organisation`` (optional) is the person's own organisation they attend
    for. An existing enrolment is returned as it is; a withdrawn one is reused
    and goes to the back of the line.
    """
    check_perm(user, "dialogue.enrol", course)
    if not getattr(user, "is_authenticated", False):
        raise ValidationError(_("Sign in to enrol."))
    course = _locked(course)
    if not course.published:
        raise ValidationError(_("This course is not published."))
    if not course.enrolment_open:
        raise ValidationError(_("Enrolment in this course is closed."))
    if organisation is not None and organisation.pk not in {
        m.organisation_id for m in memberships_of(user)
    }:
        raise ValidationError({"organisation": [_("Choose one of your own organisations.")]})
    enrolment = Enrolment.objects.filter(course=course, user=user).first()
    if enrolment is not None and enrolment.state != EnrolmentState.WITHDRAWN:
        return enrolment
    if enrolment is None:
        enrolment = Enrolment(course=course, user=user)
    else:
        # A re-enrolment queues from now, not from the first time.
        enrolment.queued_at = timezone.now()
    enrolment.organisation = organisation
    waiting = _is_full(course, excluding=enrolment)
    enrolment.state = EnrolmentState.WAITING if waiting else EnrolmentState.ENROLLED
    enrolment.completed_at = None
    enrolment.certificate_code = ""
    enrolment.save()
    enrolment.course = course
    if not waiting:
        # Attendance taken before a withdrawal still counts.
        _recompute(enrolment, _course_hours_of(course))
    _notify_place(enrolment, "course_waiting" if waiting else "course_enrolled")
    do_record_audit(
        user,
        AuditEvent.Action.CREATE,
        "dialogue.enrolment",
        enrolment.pk,
        f"{user.get_username()} → {course.title}",
        organisation=course.organisation,
        detail={"state": enrolment.state},
    )
    return enrolment


@transaction.atomic
def do_withdraw(actor: Any, course: Course, user: User | None = None) -> Enrolment:
    """Withdraw a person (the actor, or ``user`` for the provider's managers) from a course.

    A freed place goes to the first person waiting. A completed course cannot
    be withdrawn from: its certificate stays.
    """
    person = user if user is not None else actor
    if person is None or not getattr(person, "is_authenticated", False):
        raise ValidationError(_("Sign in to withdraw."))
    if actor is not None and getattr(actor, "pk", None) != person.pk:
        check_perm(actor, "dialogue.manage_course", course)
    course = _locked(course)
    enrolment = Enrolment.objects.filter(course=course, user=person).first()
    if enrolment is None or enrolment.state == EnrolmentState.WITHDRAWN:
        raise ValidationError(_("There is no enrolment to withdraw."))
    if enrolment.state == EnrolmentState.COMPLETED:
        raise ValidationError(
            _("The course is completed: the enrolment can no longer be withdrawn.")
        )
    freed = enrolment.state == EnrolmentState.ENROLLED
    enrolment.state = EnrolmentState.WITHDRAWN
    enrolment.save(update_fields=["state"])
    if freed:
        _promote(course)
    do_record_audit(
        actor,
        AuditEvent.Action.UPDATE,
        "dialogue.enrolment",
        enrolment.pk,
        f"{person.get_username()} → {course.title}",
        organisation=course.organisation,
        detail={"state": EnrolmentState.WITHDRAWN},
    )
    return enrolment


# --- Attendance and completion --------------------------------------------------------


@dataclass
class AttendanceResult:
    """What recording one session's attendance changed."""

    present: int = 0
    completed: list[Enrolment] = field(default_factory=list)
    revoked: list[Enrolment] = field(default_factory=list)


def _course_hours_of(course: Course) -> tuple[int, dict[int, int]]:
    """Return the course's total seconds and each session's seconds."""
    per_session = {s.pk: session_seconds(s) for s in course.sessions.all()}
    return sum(per_session.values()), per_session


def _recompute(enrolment: Enrolment, hours: tuple[int, dict[int, int]]) -> str:
    """Recompute one enrolment's hours and completion; return "completed", "revoked" or ""."""
    total, per_session = hours
    attended_ids = set(enrolment.attended_sessions.values_list("pk", flat=True))
    attended = sum(seconds for pk, seconds in per_session.items() if pk in attended_ids)
    reached = threshold_reached(attended, total, enrolment.course.min_attendance_percent)
    enrolment.attended_hours = to_hours(attended)
    change = ""
    if reached and enrolment.state == EnrolmentState.ENROLLED:
        enrolment.state = EnrolmentState.COMPLETED
        enrolment.completed_at = timezone.now()
        enrolment.certificate_code = enrolment.certificate_code or new_code()
        change = "completed"
    elif not reached and enrolment.state == EnrolmentState.COMPLETED:
        # A corrected register takes the certificate back; its code no longer verifies.
        enrolment.state = EnrolmentState.ENROLLED
        enrolment.completed_at = None
        enrolment.certificate_code = ""
        change = "revoked"
    enrolment.save(update_fields=["state", "completed_at", "certificate_code", "attended_hours"])
    if change == "completed":
        _notify_completed(enrolment)
    return change


def _notify_completed(enrolment: Enrolment) -> None:
    """Tell the person their certificate is ready, once even if attendance goes back and forth."""
    course = enrolment.course
    url = reverse("dialogue:course_certificate", args=[course.slug])
    already = Notification.objects.filter(
        recipient=enrolment.user, event="course_completed", url=url
    ).exists()
    if not already:
        do_notify([enrolment.user], "course_completed", url=url, course=course.title)


def _recompute_course(course: Course) -> AttendanceResult:
    result = AttendanceResult()
    hours = _course_hours_of(course)
    for enrolment in course.enrolments.filter(state__in=ON_ROSTER).select_related("user"):
        enrolment.course = course
        change = _recompute(enrolment, hours)
        if change == "completed":
            result.completed.append(enrolment)
        elif change == "revoked":
            result.revoked.append(enrolment)
            _notify_place(enrolment, "course_certificate_withdrawn")
    return result


@transaction.atomic
def do_record_attendance(
    actor: Any, session: CourseSession, present_user_ids: Iterable[int]
) -> AttendanceResult:
    """Record who attended a session (everyone else on the roster did not) and recompute.

    Only people enrolled (or already completed) are on the roster; ids of
    anyone else, e.g. someone who withdrew meanwhile, are ignored.
    """
    course = _locked(session.course)
    check_perm(actor, "dialogue.manage_course", course)
    wanted = {int(pk) for pk in present_user_ids}
    present: list[int] = []
    for enrolment in course.enrolments.filter(state__in=ON_ROSTER):
        if enrolment.user_id in wanted:
            enrolment.attended_sessions.add(session)
            present.append(enrolment.user_id)
        else:
            enrolment.attended_sessions.remove(session)
    result = _recompute_course(course)
    result.present = len(present)
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        course,
        attendance_session=session.pk,
        present=sorted(present),
        completed=[e.user_id for e in result.completed],
        revoked=[e.user_id for e in result.revoked],
    )
    return result


def do_record_certificate_download(actor: Any, enrolment: Enrolment) -> None:
    """Log that someone downloaded a person's certificate of attendance."""
    check_perm(actor, "dialogue.view_enrolment", enrolment)
    do_record_audit(
        actor,
        AuditEvent.Action.EXPORT,
        "dialogue.enrolment",
        enrolment.pk,
        f"{enrolment.user.get_username()} → {enrolment.course.title}",
        organisation=enrolment.course.organisation,
        detail={"certificate": "pdf"},
    )
