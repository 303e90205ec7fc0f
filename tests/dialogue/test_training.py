"""Training: courses, enrolment with a waiting list, attendance, completion and certificates."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from prossima.accounts.models import AuditEvent, OrganisationKind, Role
from prossima.dialogue.actions.training import (
    do_add_module,
    do_add_session,
    do_create_course,
    do_enrol,
    do_record_attendance,
    do_remove_session,
    do_update_course,
    do_withdraw,
)
from prossima.dialogue.models import (
    Access,
    Course,
    CourseSession,
    Enrolment,
    EnrolmentState,
    Notification,
)
from prossima.dialogue.queries.training import (
    enrolment_by_code,
    places_left,
    progress_of,
    visible_courses,
    waiting_position,
)
from prossima.dialogue.views.training import _certificate_context


@pytest.fixture(autouse=True)
def _db(db: Any) -> None:
    """Give every test the database."""


@pytest.fixture
def people(make_org: Callable[..., Any], make_user: Callable[..., Any], bologna: Any) -> Any:
    """A provider with a manager and a plain member, an invited comune, an outsider, a citizen."""
    institute = make_org(OrganisationKind.RESEARCH_INSTITUTE, "Istituto di ricerca (test)")
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna (test)", comune=bologna)
    other = make_org(OrganisationKind.COMMUNITY, "Associazione di quartiere (test)")
    return {
        "institute": institute,
        "comune": comune,
        "other": other,
        "manager": make_user(institute, Role.MANAGER, username="manager_ist"),
        "member": make_user(institute, Role.RESEARCHER, username="member_ist"),
        "invited": make_user(
            comune, Role.OFFICER, username="officer_bo", first_name="Anna", last_name="Rossi"
        ),
        "outsider": make_user(other, Role.MANAGER, username="outsider"),
        "citizen": make_user(username="citizen"),
    }


START = dt.datetime(2030, 3, 4, 9, 0, tzinfo=dt.UTC)


def make_course(people: Any, **fields: Any) -> Course:
    """Create a published public course of the institute (fields override)."""
    invited = fields.pop("invited", None)
    values: dict[str, Any] = {
        "title": "Polizia di prossimità",
        "summary": "Corso per agenti di polizia locale.",
        "audience": "Agenti di polizia locale",
        "published": True,
    }
    values.update(fields)
    return do_create_course(people["manager"], people["institute"], invited=invited, **values)


def add_sessions(people: Any, course: Course, minutes: list[int]) -> list[CourseSession]:
    """Add one session a day with these lengths in minutes."""
    return [
        do_add_session(
            people["manager"],
            course,
            starts_at=START + dt.timedelta(days=n),
            ends_at=START + dt.timedelta(days=n, minutes=length),
            place="Bologna, via Roma 1",
        )
        for n, length in enumerate(minutes)
    ]


def client_for(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def events(user: Any, event: str) -> int:
    return Notification.objects.filter(recipient=user, event=event).count()


# --- Enrolment ----------------------------------------------------------------------------


def test_capacity_fills_then_waiting_list_in_order(
    people: Any, make_user: Callable[..., Any]
) -> None:
    course = make_course(people, capacity=2)
    a, b, c, d = (make_user(username=n) for n in ("a", "b", "c", "d"))
    states = [do_enrol(u, course).state for u in (a, b, c, d)]
    assert states == ["enrolled", "enrolled", "waiting", "waiting"]
    assert places_left(course) == 0
    assert waiting_position(Enrolment.objects.get(course=course, user=d)) == 2
    assert events(a, "course_enrolled") == 1
    assert events(c, "course_waiting") == 1
    assert events(c, "course_enrolled") == 0
    again = do_enrol(a, course)
    assert again.state == "enrolled"
    assert events(a, "course_enrolled") == 1, "enrolling twice changes nothing"


def test_withdraw_promotes_the_first_waiting_and_reenrolment_reuses_the_row(
    people: Any, make_user: Callable[..., Any]
) -> None:
    course = make_course(people, capacity=1)
    a, b, c = (make_user(username=n) for n in ("a", "b", "c"))
    first = do_enrol(a, course)
    do_enrol(b, course)
    do_enrol(c, course)
    do_withdraw(a, course)
    state = dict(Enrolment.objects.filter(course=course).values_list("user__username", "state"))
    assert state == {"a": "withdrawn", "b": "enrolled", "c": "waiting"}
    assert events(b, "course_promoted") == 1, "the promoted person is told"
    back = do_enrol(a, course)
    assert back.pk == first.pk, "one row per person"
    assert back.state == "waiting"
    assert waiting_position(back) == 2, "a re-enrolment queues behind those already waiting"
    with pytest.raises(ValidationError):
        do_withdraw(make_user(username="never"), course)


def test_raising_capacity_promotes_waiting_people(
    people: Any, make_user: Callable[..., Any]
) -> None:
    course = make_course(people, capacity=1)
    users = [make_user(username=f"p{n}") for n in range(3)]
    for user in users:
        do_enrol(user, course)
    do_update_course(people["manager"], course, capacity=2)
    states = [Enrolment.objects.get(course=course, user=u).state for u in users]
    assert states == ["enrolled", "enrolled", "waiting"]
    do_update_course(people["manager"], course, capacity=None)
    assert not Enrolment.objects.filter(course=course, state="waiting").exists()


def test_enrolment_refused_when_closed_unpublished_invisible_or_wrong_organisation(
    people: Any,
) -> None:
    closed = make_course(people, title="Chiuso", enrolment_open=False)
    with pytest.raises(ValidationError):
        do_enrol(people["citizen"], closed)
    draft = make_course(people, title="Bozza", published=False)
    with pytest.raises(PermissionDenied):
        do_enrol(people["citizen"], draft)
    with pytest.raises((PermissionDenied, ValidationError)):
        do_enrol(people["member"], draft)
    members_only = make_course(people, title="Interno", access=Access.MEMBERS)
    with pytest.raises(PermissionDenied):
        do_enrol(people["outsider"], members_only)
    assert do_enrol(people["member"], members_only).state == "enrolled"
    public = make_course(people, title="Aperto")
    with pytest.raises(ValidationError) as refused:
        do_enrol(people["invited"], public, organisation=people["other"])
    assert "organisation" in refused.value.message_dict
    mine = do_enrol(people["invited"], public, organisation=people["comune"])
    assert mine.organisation == people["comune"]
    assert not Enrolment.objects.filter(course__in=[closed, draft]).exists()


def test_only_the_providers_managers_create_and_change_courses(people: Any) -> None:
    for who in ("member", "outsider", "invited"):
        with pytest.raises(PermissionDenied):
            do_create_course(people[who], people["institute"], title="X", summary="Y")
    course = make_course(people)
    with pytest.raises(PermissionDenied):
        do_update_course(people["member"], course, title="Z")
    with pytest.raises(ValidationError) as refused:
        do_update_course(people["manager"], course, min_attendance_percent=0, capacity=0)
    assert {"min_attendance_percent", "capacity"} <= set(refused.value.message_dict)
    assert AuditEvent.objects.filter(
        object_type="dialogue.course", object_id=str(course.pk), action="create"
    ).exists()


# --- Attendance, completion, certificate --------------------------------------------------


@pytest.fixture
def running(people: Any) -> dict[str, Any]:
    """A course of 10 hours (4h, 3h59, 1 minute, 2h) needing 80 %, with Anna enrolled."""
    course = make_course(people, title="Sicurezza urbana integrata")
    do_add_module(people["manager"], course, title="Il quadro normativo")
    do_add_module(people["manager"], course, title="Prevenzione situazionale")
    sessions = add_sessions(people, course, [240, 239, 1, 120])
    enrolment = do_enrol(people["invited"], course, organisation=people["comune"])
    return {"course": course, "sessions": sessions, "enrolment": enrolment}


def test_completion_just_below_and_at_the_threshold(people: Any, running: Any) -> None:
    manager, anna = people["manager"], people["invited"]
    s4h, s3h59, s1m, _s2h = running["sessions"]
    do_record_attendance(manager, s4h, [anna.pk])
    result = do_record_attendance(manager, s3h59, [anna.pk])
    enrolment = Enrolment.objects.get(pk=running["enrolment"].pk)
    assert enrolment.state == EnrolmentState.ENROLLED, "7h59 of 10h is below 80 %"
    assert enrolment.attended_hours == Decimal("7.98")
    assert not enrolment.certificate_code
    assert not result.completed
    result = do_record_attendance(manager, s1m, [anna.pk])
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.COMPLETED, "8h of 10h is exactly 80 %"
    assert enrolment.attended_hours == Decimal("8.00")
    assert enrolment.completed_at is not None
    assert enrolment.certificate_code
    assert [e.pk for e in result.completed] == [enrolment.pk]
    assert events(anna, "course_completed") == 1
    progress = progress_of(enrolment)
    assert (progress.attended_hours, progress.total_hours, progress.percent) == (
        Decimal("8.00"),
        Decimal("10.00"),
        80,
    )
    code = enrolment.certificate_code
    do_record_attendance(manager, _s2h, [anna.pk])
    enrolment.refresh_from_db()
    assert enrolment.certificate_code == code, "an issued code is kept"
    assert enrolment.attended_hours == Decimal("10.00")
    assert events(anna, "course_completed") == 1, "told once"
    assert AuditEvent.objects.filter(
        object_type="dialogue.course", detail__attendance_session=_s2h.pk
    ).exists()


def test_a_correction_below_the_threshold_takes_the_certificate_back(
    people: Any, running: Any
) -> None:
    manager, anna = people["manager"], people["invited"]
    s4h, s3h59, s1m, _s2h = running["sessions"]
    for session in (s4h, s3h59, s1m):
        do_record_attendance(manager, session, [anna.pk])
    enrolment = Enrolment.objects.get(pk=running["enrolment"].pk)
    code = enrolment.certificate_code
    assert client_for().get(reverse("dialogue:certificate_verify", args=[code])).status_code == 200
    result = do_record_attendance(manager, s1m, [])
    enrolment.refresh_from_db()
    assert [e.pk for e in result.revoked] == [enrolment.pk]
    assert (
        Notification.objects.filter(recipient=anna, event="course_certificate_withdrawn").count()
        == 1
    )
    assert enrolment.state == EnrolmentState.ENROLLED
    assert enrolment.certificate_code == ""
    assert enrolment.completed_at is None
    assert enrolment_by_code(code) is None
    page = client_for().get(reverse("dialogue:certificate_verify", args=[code]))
    assert page.status_code == 404
    assert 'data-testid="certificate-not-found"' in page.content.decode()
    do_record_attendance(manager, s1m, [anna.pk])
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.COMPLETED
    assert enrolment.certificate_code
    assert enrolment.certificate_code != code
    assert events(anna, "course_completed") == 1


def test_changing_the_sessions_or_the_threshold_recomputes(people: Any, running: Any) -> None:
    manager, anna = people["manager"], people["invited"]
    s4h, s3h59, _s1m, s2h = running["sessions"]
    for session in (s4h, s3h59):
        do_record_attendance(manager, session, [anna.pk])
    do_update_course(manager, running["course"], min_attendance_percent=75)
    enrolment = Enrolment.objects.get(pk=running["enrolment"].pk)
    assert enrolment.state == EnrolmentState.COMPLETED, "7h59 of 10h reaches 75 %"
    do_update_course(manager, running["course"], min_attendance_percent=80)
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.ENROLLED
    do_remove_session(manager, s2h)
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.COMPLETED, "7h59 of 8h once the 2h session is gone"


def test_attendance_only_for_people_on_the_roster(
    people: Any, running: Any, make_user: Callable[..., Any]
) -> None:
    manager = people["manager"]
    stranger = make_user(username="stranger")
    session = running["sessions"][0]
    result = do_record_attendance(manager, session, [people["invited"].pk, stranger.pk])
    assert result.present == 1
    assert not session.attendees.filter(user=stranger).exists()
    with pytest.raises(PermissionDenied):
        do_record_attendance(people["member"], session, [])


def _require_pango() -> None:
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:  # the Pango library is missing on this machine
        if os.environ.get("PROSSIMA_REQUIRE_BROWSER"):
            pytest.fail(f"WeasyPrint cannot load Pango: {exc}")
        pytest.skip(f"WeasyPrint cannot load Pango (install libpango-1.0-0): {exc}")


def _complete(people: Any, running: Any) -> Enrolment:
    for session in running["sessions"]:
        do_record_attendance(people["manager"], session, [people["invited"].pk])
    return Enrolment.objects.get(pk=running["enrolment"].pk)


def test_certificate_pdf_for_the_person_and_the_providers_managers(
    people: Any, running: Any
) -> None:
    _require_pango()
    enrolment = _complete(people, running)
    url = reverse("dialogue:course_certificate", args=[running["course"].slug])
    mine = client_for(people["invited"]).get(url)
    assert mine.status_code == 200, mine.content[:300]
    assert mine["Content-Type"] == "application/pdf"
    assert mine.content.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(
        object_type="dialogue.enrolment", object_id=str(enrolment.pk), action="export"
    ).exists()
    for_manager = client_for(people["manager"]).get(url, {"user": people["invited"].pk})
    assert for_manager.status_code == 200
    assert for_manager.content.startswith(b"%PDF-")


def test_certificate_refused_to_anyone_else(people: Any, running: Any) -> None:
    _complete(people, running)
    url = reverse("dialogue:course_certificate", args=[running["course"].slug])
    assert client_for(people["outsider"]).get(url).status_code == 404, "they have none"
    for who in ("outsider", "member", "citizen"):
        other = client_for(people[who]).get(url, {"user": people["invited"].pk})
        assert other.status_code == 403, who
    assert client_for().get(url).status_code == 302, "anonymous people sign in first"
    assert client_for(people["manager"]).get(url, {"user": people["member"].pk}).status_code == 404


def test_certificate_follows_the_active_language(people: Any, running: Any, english: Any) -> None:
    enrolment = _complete(people, running)
    html = render_to_string("dialogue/training/certificate.html", _certificate_context(enrolment))
    assert "Certificate of attendance" in html
    assert "Anna Rossi" in html
    assert "Istituto di ricerca (test)" in html
    assert "Il quadro normativo" in html
    assert "Prevenzione situazionale" in html
    assert "10 of 10" in html
    assert enrolment.certificate_code in html
    assert f"/dialogue/certificates/{enrolment.certificate_code}/" in html
    assert "size: A4 landscape" in html
    _require_pango()
    from weasyprint import HTML

    pages = HTML(string=html).render().pages
    assert len(pages) == 1, "the certificate fits on one page"
    assert pages[0].width > pages[0].height, "landscape"


def test_verification_page_by_code(people: Any, running: Any) -> None:
    enrolment = _complete(people, running)
    page = client_for().get(
        reverse("dialogue:certificate_verify", args=[enrolment.certificate_code])
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="certificate-valid"' in text
    assert "Anna Rossi" in text
    assert running["course"].title in text
    wrong = client_for().get(reverse("dialogue:certificate_verify", args=["nonexistent-code"]))
    assert wrong.status_code == 404
    assert "Anna Rossi" not in wrong.content.decode()


# --- Web pages and permissions ------------------------------------------------------------


@pytest.fixture
def invited_course(people: Any) -> Course:
    """A published course open to the institute's members and the invited comune."""
    return make_course(
        people, title="Corso su invito", access=Access.INVITED, invited=[people["comune"]]
    )


ROLE_EXPECTATIONS = {
    # who: (detail, edit, attendance)
    "manager": (200, 200, 200),
    "member": (200, 403, 403),
    "invited": (200, 403, 403),
    "outsider": (404, 404, 404),
    "anonymous": (404, 302, 302),
}


@pytest.mark.parametrize("who", list(ROLE_EXPECTATIONS))
def test_pages_per_role(people: Any, invited_course: Course, who: str) -> None:
    client = client_for(None if who == "anonymous" else people[who])
    slug = invited_course.slug
    got = tuple(
        client.get(reverse(name, args=[slug])).status_code
        for name in ("dialogue:course", "dialogue:course_edit", "dialogue:course_attendance")
    )
    assert got == ROLE_EXPECTATIONS[who]
    listed = client.get(reverse("dialogue:courses"))
    assert listed.status_code == 200
    titles = [row["course"].title for row in listed.context["courses"]]
    assert (invited_course.title in titles) == (ROLE_EXPECTATIONS[who][0] == 200)


@pytest.mark.parametrize(
    ("who", "status", "enrolled"),
    [
        ("invited", 302, True),
        ("member", 302, True),
        ("outsider", 404, False),
        ("anonymous", 302, False),
    ],
)
def test_enrol_through_the_page(
    people: Any, invited_course: Course, who: str, status: int, enrolled: bool
) -> None:
    user = None if who == "anonymous" else people[who]
    response = client_for(user).post(reverse("dialogue:course_enrol", args=[invited_course.slug]))
    assert response.status_code == status
    assert Enrolment.objects.filter(course=invited_course).exists() == enrolled
    if who == "anonymous":
        assert "/accounts/login/" in response["Location"]


def test_enrol_and_withdraw_pages(people: Any) -> None:
    course = make_course(people, capacity=1)
    anna = client_for(people["invited"])
    anna.post(
        reverse("dialogue:course_enrol", args=[course.slug]), {"organisation": people["comune"].pk}
    )
    enrolment = Enrolment.objects.get(course=course, user=people["invited"])
    assert enrolment.organisation == people["comune"]
    client_for(people["citizen"]).post(reverse("dialogue:course_enrol", args=[course.slug]))
    assert Enrolment.objects.get(course=course, user=people["citizen"]).state == "waiting"
    page = anna.get(course.get_absolute_url())
    assert 'data-testid="enrolment-state"' in page.content.decode()
    assert anna.get(reverse("dialogue:course_withdraw", args=[course.slug])).status_code == 405
    anna.post(reverse("dialogue:course_withdraw", args=[course.slug]))
    assert Enrolment.objects.get(course=course, user=people["citizen"]).state == "enrolled"
    refused = client_for(people["citizen"]).post(
        reverse("dialogue:course_enrol", args=[course.slug]), {"organisation": people["other"].pk}
    )
    assert refused.status_code == 302


def test_draft_course_is_invisible_outside_the_provider(people: Any) -> None:
    draft = make_course(people, title="Bozza interna", published=False)
    for who, status in (
        ("manager", 200),
        ("member", 200),
        ("invited", 404),
        ("outsider", 404),
        ("anonymous", 404),
    ):
        client = client_for(None if who == "anonymous" else people[who])
        assert client.get(draft.get_absolute_url()).status_code == status, who
        listed = client.get(reverse("dialogue:courses")).context
        assert draft.title not in [r["course"].title for r in listed["courses"]]
        assert (draft.title in [r["course"].title for r in listed["drafts"]]) == (status == 200)


def test_visible_courses_matches_the_permission(people: Any, invited_course: Course) -> None:
    courses = [
        invited_course,
        make_course(people, title="Pubblico"),
        make_course(people, title="Bozza", published=False),
        make_course(people, title="Solo membri", access=Access.MEMBERS),
        make_course(
            people,
            title="Bozza su invito",
            access=Access.INVITED,
            invited=[people["comune"]],
            published=False,
        ),
    ]
    for user in people.values():
        if not hasattr(user, "has_perm"):
            continue
        shown = set(visible_courses(user).values_list("pk", flat=True))
        expected = {c.pk for c in courses if user.has_perm("dialogue.view_course", c)}
        assert shown == expected, user.username


def test_create_and_edit_the_programme_through_the_pages(people: Any) -> None:
    manager = client_for(people["manager"])
    assert manager.get(reverse("dialogue:course_new")).status_code == 200
    assert client_for(people["member"]).get(reverse("dialogue:course_new")).status_code == 403
    assert client_for(people["citizen"]).get(reverse("dialogue:course_new")).status_code == 403
    response = manager.post(
        reverse("dialogue:course_new"),
        {
            "title": "Videosorveglianza e privacy",
            "summary": "Regole e buone pratiche.",
            "access": "public",
            "min_attendance_percent": 80,
            "enrolment_open": "on",
        },
    )
    course = Course.objects.get(title="Videosorveglianza e privacy")
    assert response.status_code == 302
    assert course.organisation == people["institute"]
    assert not course.published
    edit = reverse("dialogue:course_edit", args=[course.slug])
    manager.post(edit, {"op": "add_module", "module-title": "GDPR"})
    module = course.modules.get()
    manager.post(
        edit,
        {
            "op": "add_session",
            "session-module": module.pk,
            "session-starts_at": "2030-05-06T09:00",
            "session-ends_at": "2030-05-06T12:30",
            "session-place": "Bologna",
        },
    )
    session = course.sessions.get()
    assert session.module == module
    assert session.hours == 3.5
    bad = manager.post(
        edit,
        {
            "op": "add_session",
            "session-starts_at": "2030-05-06T12:00",
            "session-ends_at": "2030-05-06T09:00",
        },
    )
    assert bad.status_code == 200
    assert bad.context["new_session_form"].errors["ends_at"]
    manager.post(
        edit,
        {
            "op": "course",
            "title": "Videosorveglianza e privacy",
            "summary": "Regole e buone pratiche.",
            "access": "public",
            "min_attendance_percent": 75,
            "published": "on",
            "enrolment_open": "on",
            "capacity": 30,
        },
    )
    course.refresh_from_db()
    assert (course.published, course.capacity, course.min_attendance_percent) == (True, 30, 75)
    page = client_for().get(course.get_absolute_url())
    assert page.status_code == 200
    assert "GDPR" in page.content.decode()
    manager.post(edit, {"op": "remove_module", "pk": module.pk})
    session.refresh_from_db()
    assert session.module is None, "the sessions stay"
    assert (
        client_for(people["member"])
        .post(edit, {"op": "remove_session", "pk": session.pk})
        .status_code
        == 403
    )
    manager.post(edit, {"op": "remove_session", "pk": session.pk})
    assert not course.sessions.exists()


def test_attendance_page_ticks_and_completes(people: Any, running: Any) -> None:
    manager = client_for(people["manager"])
    url = reverse("dialogue:course_attendance", args=[running["course"].slug])
    page = manager.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="attendance-session"') == 4
    for session in running["sessions"]:
        response = manager.post(url, {"session": session.pk, "present": [people["invited"].pk]})
        assert response.status_code == 302
    enrolment = Enrolment.objects.get(pk=running["enrolment"].pk)
    assert enrolment.state == "completed"
    assert (
        client_for(people["member"])
        .post(url, {"session": running["sessions"][0].pk, "present": []})
        .status_code
        == 403
    )
    enrolment.refresh_from_db()
    assert enrolment.state == "completed"


def test_my_courses_show_progress_and_the_certificate_link(people: Any, running: Any) -> None:
    anna = client_for(people["invited"])
    do_record_attendance(people["manager"], running["sessions"][0], [people["invited"].pk])
    index = anna.get(reverse("dialogue:courses"))
    row = index.context["mine"][0]
    assert row["progress"].percent == 40
    certificate = reverse("dialogue:course_certificate", args=[running["course"].slug])
    assert certificate not in index.content.decode()
    _complete(people, running)
    index = anna.get(reverse("dialogue:courses"))
    assert certificate in index.content.decode()
    assert certificate in anna.get(running["course"].get_absolute_url()).content.decode()
    assert 'data-testid="new-course"' not in index.content.decode()
    manager_index = client_for(people["manager"]).get(reverse("dialogue:courses"))
    assert 'data-testid="new-course"' in manager_index.content.decode()


def test_notifications_are_written_in_the_readers_language(
    people: Any, running: Any, english: Any
) -> None:
    from prossima.dialogue.actions.notifications import message

    _complete(people, running)
    note = Notification.objects.get(recipient=people["invited"], event="course_completed")
    assert note.url == reverse("dialogue:course_certificate", args=[running["course"].slug])
    assert running["course"].title in message(note.event, note.params)
    assert timezone.now() - note.created_at < dt.timedelta(minutes=5)
