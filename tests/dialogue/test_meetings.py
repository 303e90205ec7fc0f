"""Meetings and events: organising, registration and waiting lists, reminders, iCalendar, pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from prossima.accounts.models import AuditEvent, OrganisationKind, Role
from prossima.dialogue.actions.meetings import (
    do_cancel_meeting,
    do_create_meeting,
    do_publish_meeting,
    do_record_attendance,
    do_record_minutes,
    do_register,
    do_unregister,
    do_update_meeting,
    send_meeting_reminders,
)
from prossima.dialogue.models import (
    Access,
    Consultation,
    Meeting,
    MeetingKind,
    MeetingState,
    Notification,
    Proposal,
    Registration,
    RegistrationState,
)
from prossima.dialogue.queries.meetings import visible_meetings
from prossima.dialogue.tasks import send_meeting_reminders_task

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _database(db: Any, fast_password_hashing: None) -> None:
    """Give every test here the database (rolled back after each test)."""


@pytest.fixture
def people(
    make_org: Callable[..., Any], make_user: Callable[..., Any], bologna: Any, modena: Any
) -> dict[str, Any]:
    """Bologna organises; Modena is invited; a community group is outside; two citizens."""
    organiser = make_org(OrganisationKind.COMUNE, "Comune di Bologna (test)", comune=bologna)
    invited = make_org(OrganisationKind.COMUNE, "Comune di Modena (test)", comune=modena)
    other = make_org(OrganisationKind.COMMUNITY, "Associazione di quartiere (test)")
    return {
        "organiser": organiser,
        "invited_org": invited,
        "other_org": other,
        "manager": make_user(organiser, Role.MANAGER, username="responsabile"),
        "member": make_user(organiser, Role.OFFICER, username="agente"),
        "guest": make_user(invited, Role.ANALYST, username="ospite.modena"),
        "outsider": make_user(other, Role.CITIZEN, username="esterno"),
        "citizen": make_user(username="cittadina"),
        "neighbour": make_user(username="vicino"),
    }


def fields(**overrides: Any) -> dict[str, Any]:
    """Return the details of a published public meeting in three days, changed by overrides."""
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    values: dict[str, Any] = {
        "title": "Assemblea sulla sicurezza in Bolognina",
        "kind": MeetingKind.PUBLIC_ASSEMBLY,
        "summary": "Incontro pubblico con la polizia locale.",
        "agenda": "Saluti\nDati del quartiere\nDomande",
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
        "place": "Sala del quartiere",
        "address": "Via di Saliceto 3, Bologna",
        "languages": "Italiano",
        "access": Access.PUBLIC,
        "published": True,
    }
    values.update(overrides)
    return values


@pytest.fixture
def new_meeting(people: dict[str, Any]) -> Callable[..., Meeting]:
    """Create a meeting of the Bologna organiser through the action."""

    def make(*, invited: Any = (), **overrides: Any) -> Meeting:
        return do_create_meeting(
            people["manager"], people["organiser"], invited=invited, **fields(**overrides)
        )

    return make


def started(meeting: Meeting, hours: int = 1) -> Meeting:
    """Move a meeting into the past without going through the rules (a test's clock)."""
    start = timezone.now() - dt.timedelta(hours=hours)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=start, ends_at=start + dt.timedelta(minutes=30)
    )
    return Meeting.objects.get(pk=meeting.pk)


def events_of(user: Any) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("event", flat=True)
    )


def client_for(user: Any = None) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


# --- Organising ---------------------------------------------------------------------------


def test_create_checks_permission_and_details(people: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        do_create_meeting(people["member"], people["organiser"], **fields())
    with pytest.raises(ValidationError) as caught:
        do_create_meeting(
            people["manager"],
            people["organiser"],
            **fields(place="", address="", ends_at=timezone.now()),
        )
    assert {"place", "ends_at"} <= set(caught.value.message_dict)
    meeting = do_create_meeting(people["manager"], people["organiser"], **fields())
    assert meeting.slug == "assemblea-sulla-sicurezza-in-bolognina"
    assert meeting.created_by == people["manager"]
    again = do_create_meeting(people["manager"], people["organiser"], **fields())
    assert again.slug.endswith("-2")
    assert AuditEvent.objects.filter(
        object_type="dialogue.meeting", object_id=str(meeting.pk), action="create"
    ).exists()


def test_invited_access_needs_invited_organisations(
    people: dict[str, Any], new_meeting: Callable[..., Meeting]
) -> None:
    with pytest.raises(ValidationError) as caught:
        new_meeting(access=Access.INVITED)
    assert "invited" in caught.value.message_dict
    meeting = new_meeting(access=Access.INVITED, invited=[people["invited_org"]])
    assert list(meeting.invited.all()) == [people["invited_org"]]


def test_consultation_must_be_the_organisers(
    people: dict[str, Any], new_meeting: Callable[..., Meeting]
) -> None:
    theirs = Consultation.objects.create(
        organisation=people["invited_org"],
        title="Consultazione di Modena",
        slug="consultazione-modena",
        summary="Altro comune",
        scope="comune",
    )
    with pytest.raises(ValidationError) as caught:
        new_meeting(consultation=theirs)
    assert "consultation" in caught.value.message_dict


def test_capacity_and_waiting_list_with_promotion(
    people: dict[str, Any], new_meeting: Callable[..., Meeting], make_user: Callable[..., Any]
) -> None:
    meeting = new_meeting(capacity=2)
    first, second, third, fourth = (make_user(username=f"persona{n}") for n in range(4))
    assert do_register(first, meeting).state == RegistrationState.CONFIRMED
    assert do_register(second, meeting).state == RegistrationState.CONFIRMED
    waiting_one = do_register(third, meeting)
    waiting_two = do_register(fourth, meeting)
    assert waiting_one.state == waiting_two.state == RegistrationState.WAITING
    assert events_of(first) == ["meeting_registered"]
    assert events_of(third) == ["meeting_waiting"]
    assert Notification.objects.get(recipient=fourth).params["position"] == "2"

    do_unregister(second, Registration.objects.get(meeting=meeting, user=second))
    assert Registration.objects.get(pk=waiting_one.pk).state == RegistrationState.CONFIRMED
    assert Registration.objects.get(pk=waiting_two.pk).state == RegistrationState.WAITING
    assert events_of(third) == ["meeting_waiting", "meeting_promoted"]
    promoted = Notification.objects.get(recipient=third, event="meeting_promoted")
    assert promoted.url == meeting.get_absolute_url()
    assert promoted.params["meeting"] == meeting.title

    # Raising the capacity moves the next person up too.
    do_update_meeting(people["manager"], meeting, capacity=3)
    assert Registration.objects.get(pk=waiting_two.pk).state == RegistrationState.CONFIRMED
    assert "meeting_promoted" in events_of(fourth)


def test_registering_twice_keeps_one_row(
    people: dict[str, Any], new_meeting: Callable[..., Meeting]
) -> None:
    meeting = new_meeting()
    first = do_register(people["citizen"], meeting)
    again = do_register(people["citizen"], meeting)
    assert first.pk == again.pk
    assert Registration.objects.filter(meeting=meeting).count() == 1
    assert events_of(people["citizen"]) == ["meeting_registered"]


def test_reregistering_after_cancelling_goes_to_the_end_of_the_queue(
    people: dict[str, Any], new_meeting: Callable[..., Meeting], make_user: Callable[..., Any]
) -> None:
    meeting = new_meeting(capacity=1)
    holder = make_user(username="titolare")
    do_register(holder, meeting)
    early = do_register(people["citizen"], meeting)
    do_register(people["neighbour"], meeting)
    do_unregister(people["citizen"], early)
    back = do_register(people["citizen"], meeting)
    assert back.pk == early.pk, "the row is reused"
    assert back.state == RegistrationState.WAITING
    do_unregister(holder, Registration.objects.get(meeting=meeting, user=holder))
    states = dict(
        Registration.objects.filter(meeting=meeting).values_list("user__username", "state")
    )
    assert states == {
        "titolare": RegistrationState.CANCELLED,
        "vicino": RegistrationState.CONFIRMED,
        "cittadina": RegistrationState.WAITING,
    }


def test_registration_refused_when_closed_started_or_cancelled(
    people: dict[str, Any], new_meeting: Callable[..., Meeting]
) -> None:
    closed = new_meeting(registration_open=False)
    with pytest.raises(ValidationError, match="closed"):
        do_register(people["citizen"], closed)
    running = started(new_meeting())
    with pytest.raises(ValidationError, match="started"):
        do_register(people["citizen"], running)
    cancelled = new_meeting()
    do_cancel_meeting(people["manager"], cancelled)
    with pytest.raises(ValidationError, match="cancelled"):
        do_register(people["citizen"], cancelled)
    draft = new_meeting(published=False)
    with pytest.raises(PermissionDenied):
        do_register(people["citizen"], draft)
    assert not Registration.objects.exists()


def test_registration_on_behalf_of_own_organisation_only(
    people: dict[str, Any], new_meeting: Callable[..., Meeting]
) -> None:
    meeting = new_meeting()
    with pytest.raises(ValidationError) as caught:
        do_register(people["guest"], meeting, people["other_org"])
    assert "organisation" in caught.value.message_dict
    registration = do_register(people["guest"], meeting, people["invited_org"])
    assert registration.organisation == people["invited_org"]


def test_change_of_time_bumps_sequence_and_tells_people(
    people: dict[str, Any], new_meeting: Callable[..., Meeting], make_user: Callable[..., Any]
) -> None:
    meeting = new_meeting(capacity=1)
    do_register(people["citizen"], meeting)
    do_register(people["neighbour"], meeting)
    unregistered = make_user(username="ex")
    do_unregister(unregistered, do_register(unregistered, new_meeting(capacity=1)))

    do_update_meeting(people["manager"], meeting, summary="Nuovo testo")
    meeting.refresh_from_db()
    assert meeting.sequence == 0, "a new summary does not move the event"
    assert "meeting_changed" not in events_of(people["citizen"])

    later = meeting.starts_at + dt.timedelta(hours=1)
    do_update_meeting(
        people["manager"], meeting, starts_at=later, ends_at=later + dt.timedelta(hours=2)
    )
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    assert events_of(people["citizen"])[-1] == "meeting_changed"
    assert events_of(people["neighbour"])[-1] == "meeting_changed", "waiting people hear too"
    do_update_meeting(people["manager"], meeting, place="Biblioteca Salaborsa")
    meeting.refresh_from_db()
    assert meeting.sequence == 2
    assert AuditEvent.objects.filter(object_id=str(meeting.pk), action="update").count() == 3


def test_cancel_notifies_and_is_final(
    people: dict[str, Any], new_meeting: Callable[..., Meeting]
) -> None:
    meeting = new_meeting(capacity=1)
    do_register(people["citizen"], meeting)
    do_register(people["neighbour"], meeting)
    with pytest.raises(PermissionDenied):
        do_cancel_meeting(people["member"], meeting)
    do_cancel_meeting(people["manager"], meeting, "Sala inagibile.")
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.CANCELLED
    assert meeting.cancel_reason == "Sala inagibile."
    assert meeting.sequence == 1
    assert events_of(people["citizen"])[-1] == "meeting_cancelled"
    told = Notification.objects.filter(recipient=people["citizen"]).order_by("-pk").first()
    assert told is not None
    assert told.params["reason"] == "Sala inagibile."
    assert events_of(people["neighbour"])[-1] == "meeting_cancelled"
    with pytest.raises(ValidationError):
        do_cancel_meeting(people["manager"], meeting)
    with pytest.raises(ValidationError):
        do_update_meeting(people["manager"], meeting, title="Di nuovo")
    with pytest.raises(ValidationError):
        do_publish_meeting(people["manager"], meeting)


def test_publish_makes_a_draft_visible(
    people: dict[str, Any], new_meeting: Callable[..., Meeting]
) -> None:
    draft = new_meeting(published=False)
    assert draft not in visible_meetings(people["citizen"])
    assert draft in visible_meetings(people["member"])
    do_publish_meeting(people["manager"], draft)
    assert draft in visible_meetings(people["citizen"])


def test_attendance_only_after_the_start(
    people: dict[str, Any], new_meeting: Callable[..., Meeting]
) -> None:
    meeting = new_meeting()
    came = do_register(people["citizen"], meeting)
    stayed_home = do_register(people["neighbour"], meeting)
    with pytest.raises(ValidationError):
        do_record_attendance(people["manager"], meeting, [came.pk])
    meeting = started(meeting)
    with pytest.raises(PermissionDenied):
        do_record_attendance(people["member"], meeting, [came.pk])
    assert do_record_attendance(people["manager"], meeting, [came.pk]) == 1
    assert Registration.objects.get(pk=came.pk).attended is True
    assert Registration.objects.get(pk=stayed_home.pk).attended is False
    assert AuditEvent.objects.filter(
        object_id=str(meeting.pk), action="update", detail__fields=["attendance"]
    ).exists()


def test_minutes_link_only_published_proposals_of_the_organisers_consultations(
    people: dict[str, Any], new_meeting: Callable[..., Meeting]
) -> None:
    own = Consultation.objects.create(
        organisation=people["organiser"],
        title="Bolognina sicura",
        slug="bolognina-sicura",
        summary="Proposte per il quartiere",
        scope="comune",
        published=True,
    )
    foreign = Consultation.objects.create(
        organisation=people["invited_org"],
        title="Modena sicura",
        slug="modena-sicura",
        summary="Altro comune",
        scope="comune",
        published=True,
    )
    published = Proposal.objects.create(
        consultation=own, author=people["citizen"], title="Più luce", body="Lampioni"
    )
    hidden = Proposal.objects.create(
        consultation=own, author=people["citizen"], title="Nascosta", body="…", state="hidden"
    )
    elsewhere = Proposal.objects.create(
        consultation=foreign, author=people["citizen"], title="Altrove", body="…"
    )
    meeting = started(new_meeting(consultation=own))
    for wrong in (hidden, elsewhere):
        with pytest.raises(ValidationError) as caught:
            do_record_minutes(
                people["manager"], meeting, minutes="x", outcomes="y", proposals=[wrong]
            )
        assert "proposals" in caught.value.message_dict
    do_record_minutes(
        people["manager"],
        meeting,
        minutes="Presenti 40 persone.",
        outcomes="Nuovi lampioni entro giugno.",
        proposals=[published],
    )
    meeting.refresh_from_db()
    assert list(meeting.outcome_proposals.all()) == [published]
    page = client_for().get(meeting.get_absolute_url()).content.decode()
    assert "Nuovi lampioni entro giugno." in page
    assert published.get_absolute_url() in page


# --- Reminders ----------------------------------------------------------------------------


def test_reminders_go_once_to_confirmed_people(
    people: dict[str, Any], new_meeting: Callable[..., Meeting]
) -> None:
    soon_start = timezone.now() + dt.timedelta(hours=10)
    soon = new_meeting(capacity=1, starts_at=soon_start, ends_at=soon_start + dt.timedelta(hours=1))
    later = new_meeting()  # in three days
    gone = new_meeting(starts_at=soon_start, ends_at=soon_start + dt.timedelta(hours=1))
    do_register(people["citizen"], soon)
    do_register(people["neighbour"], soon)  # waiting: no reminder
    do_register(people["citizen"], later)
    do_register(people["member"], gone)
    do_cancel_meeting(people["manager"], gone)

    assert send_meeting_reminders() == 1
    assert events_of(people["citizen"]).count("meeting_reminder") == 1
    assert "meeting_reminder" not in events_of(people["neighbour"])
    assert "meeting_reminder" not in events_of(people["member"])
    soon.refresh_from_db()
    assert soon.reminder_sent_at is not None
    assert send_meeting_reminders() == 0, "running again sends nothing twice"
    call_command("send_meeting_reminders", stdout=io.StringIO())
    assert send_meeting_reminders_task() == 0
    assert events_of(people["citizen"]).count("meeting_reminder") == 1

    # Two days later the other meeting is due, and only it.
    assert send_meeting_reminders(timezone.now() + dt.timedelta(days=2, hours=12)) == 1
    assert events_of(people["citizen"]).count("meeting_reminder") == 2


def test_moving_a_reminded_meeting_reminds_again(
    people: dict[str, Any], new_meeting: Callable[..., Meeting]
) -> None:
    start = timezone.now() + dt.timedelta(hours=5)
    meeting = new_meeting(starts_at=start, ends_at=start + dt.timedelta(hours=1))
    do_register(people["citizen"], meeting)
    assert send_meeting_reminders() == 1
    moved = start + dt.timedelta(hours=3)
    do_update_meeting(
        people["manager"], meeting, starts_at=moved, ends_at=moved + dt.timedelta(hours=1)
    )
    assert send_meeting_reminders() == 1


# --- Visibility and iCalendar -------------------------------------------------------------


@pytest.fixture
def spectrum(people: dict[str, Any], new_meeting: Callable[..., Meeting]) -> dict[str, Meeting]:
    """One meeting per kind of access, and a draft."""
    return {
        "public": new_meeting(title="Pubblico"),
        "members": new_meeting(title="Solo membri", access=Access.MEMBERS),
        "invited": new_meeting(
            title="Su invito", access=Access.INVITED, invited=[people["invited_org"]]
        ),
        "draft": new_meeting(title="Bozza", published=False),
    }


def test_visible_meetings_matches_the_permission(
    people: dict[str, Any], spectrum: dict[str, Meeting], django_user_model: Any
) -> None:
    from django.contrib.auth.models import AnonymousUser

    admin = django_user_model.objects.create_superuser("admin", "admin@example.org", "x")
    users = [v for k, v in people.items() if not k.endswith(("_org", "organiser"))]
    for user in [*users, AnonymousUser(), admin]:
        listed = set(visible_meetings(user))
        for meeting in spectrum.values():
            assert (meeting in listed) == user.has_perm("dialogue.view_meeting", meeting), (
                user,
                meeting,
            )
    assert set(visible_meetings(people["guest"])) == {spectrum["public"], spectrum["invited"]}
    assert set(visible_meetings(people["member"])) == set(spectrum.values())
    assert set(visible_meetings(AnonymousUser())) == {spectrum["public"]}


def parse(content: bytes) -> list[Any]:
    return list(Calendar.from_ical(content).walk("VEVENT"))


def test_event_ics_round_trip(people: dict[str, Any], new_meeting: Callable[..., Meeting]) -> None:
    meeting = new_meeting(online_url="https://meet.example.org/bolognina")
    response = client_for().get(reverse("dialogue:meeting_ics", args=[meeting.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="{meeting.slug}.ics"' in response["Content-Disposition"]
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert "Prossima" in str(calendar["PRODID"])
    (event,) = parse(response.content)
    assert str(event["UID"]) == f"{meeting.uid}@prossima"
    assert event["DTSTART"].dt == meeting.starts_at
    assert event["DTSTART"].dt.utcoffset() == dt.timedelta(0)
    assert event["DTEND"].dt == meeting.ends_at
    assert "DTSTAMP" in event
    assert str(event["SUMMARY"]) == meeting.title
    assert "Dati del quartiere" in str(event["DESCRIPTION"])
    assert meeting.get_absolute_url() in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "Sala del quartiere, Via di Saliceto 3, Bologna"
    assert str(event["URL"]).endswith(meeting.get_absolute_url())
    assert int(event["SEQUENCE"]) == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["ORGANIZER"].params["CN"] == "Comune di Bologna (test)"

    do_cancel_meeting(people["manager"], meeting)
    (event,) = parse(client_for().get(reverse("dialogue:meeting_ics", args=[meeting.slug])).content)
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1


def test_online_only_meeting_uses_the_link_as_location(
    new_meeting: Callable[..., Meeting],
) -> None:
    meeting = new_meeting(place="", address="", online_url="https://meet.example.org/x")
    (event,) = parse(client_for().get(reverse("dialogue:meeting_ics", args=[meeting.slug])).content)
    assert str(event["LOCATION"]) == "https://meet.example.org/x"


def test_feed_shows_only_visible_upcoming_meetings(
    people: dict[str, Any], spectrum: dict[str, Meeting], new_meeting: Callable[..., Meeting]
) -> None:
    started(new_meeting(title="Già passato"), hours=48)
    url = reverse("dialogue:meetings_ics")

    def titles(user: Any) -> set[str]:
        response = client_for(user).get(url)
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        return {str(e["SUMMARY"]) for e in parse(response.content)}

    assert titles(None) == {"Pubblico"}
    assert titles(people["outsider"]) == {"Pubblico"}
    assert titles(people["guest"]) == {"Pubblico", "Su invito"}
    assert titles(people["member"]) == {"Pubblico", "Solo membri", "Su invito"}
    assert (
        client_for().get(reverse("dialogue:meeting_ics", args=["solo-membri"])).status_code == 404
    )


# --- Pages and permissions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "meeting", "expected"),
    [
        ("manager", "members", 200),
        ("member", "members", 200),
        ("member", "draft", 200),
        ("guest", "invited", 200),
        ("guest", "members", 404),
        ("guest", "draft", 404),
        ("outsider", "invited", 404),
        ("outsider", "public", 200),
        (None, "public", 200),
        (None, "members", 404),
    ],
)
def test_detail_visibility(
    people: dict[str, Any],
    spectrum: dict[str, Meeting],
    who: str | None,
    meeting: str,
    expected: int,
) -> None:
    user = people[who] if who else None
    response = client_for(user).get(spectrum[meeting].get_absolute_url())
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("who", "meeting", "expected"),
    [
        ("manager", "members", 200),
        ("member", "members", 403),
        ("guest", "invited", 403),
        ("guest", "members", 404),
        ("outsider", "public", 403),
        ("outsider", "members", 404),
    ],
)
def test_registrations_page_is_for_the_organisers_managers(
    people: dict[str, Any], spectrum: dict[str, Meeting], who: str, meeting: str, expected: int
) -> None:
    slug = spectrum[meeting].slug
    client = client_for(people[who])
    for name in ("meeting_registrations", "meeting_minutes", "meeting_edit"):
        assert client.get(reverse(f"dialogue:{name}", args=[slug])).status_code == expected
    csv_export = client.get(
        reverse("dialogue:meeting_registrations", args=[slug]), {"format": "csv"}
    )
    assert csv_export.status_code == expected


def test_anonymous_is_sent_to_log_in(spectrum: dict[str, Meeting]) -> None:
    slug = spectrum["public"].slug
    client = client_for()
    for name in ("meeting_registrations", "meeting_minutes", "meeting_edit"):
        response = client.get(reverse(f"dialogue:{name}", args=[slug]))
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]
    assert client.get(reverse("dialogue:meeting_new")).status_code == 302
    response = client.post(reverse("dialogue:meeting_register", args=[slug]))
    assert response.status_code == 302
    assert not Registration.objects.exists()


def test_only_managers_may_create(people: dict[str, Any]) -> None:
    assert client_for(people["member"]).get(reverse("dialogue:meeting_new")).status_code == 403
    assert client_for(people["citizen"]).get(reverse("dialogue:meeting_new")).status_code == 403
    index = client_for(people["member"]).get(reverse("dialogue:meetings")).content.decode()
    assert 'data-testid="new-meeting"' not in index
    index = client_for(people["manager"]).get(reverse("dialogue:meetings")).content.decode()
    assert 'data-testid="new-meeting"' in index


def test_cancel_is_post_only_and_for_managers(
    people: dict[str, Any], spectrum: dict[str, Meeting]
) -> None:
    url = reverse("dialogue:meeting_cancel", args=[spectrum["public"].slug])
    assert client_for(people["manager"]).get(url).status_code == 405
    assert client_for(people["member"]).post(url).status_code == 403
    assert (
        client_for(people["outsider"])
        .post(reverse("dialogue:meeting_cancel", args=[spectrum["members"].slug]))
        .status_code
        == 404
    )
    assert Meeting.objects.filter(state=MeetingState.CANCELLED).count() == 0


def test_csv_export_lists_registrations_and_is_audited(
    people: dict[str, Any], spectrum: dict[str, Meeting]
) -> None:
    meeting = spectrum["public"]
    do_register(people["citizen"], meeting)
    do_register(people["guest"], meeting, people["invited_org"])
    response = client_for(people["manager"]).get(
        reverse("dialogue:meeting_registrations", args=[meeting.slug]), {"format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Name", "Username", "E-mail"]
    assert {r[1] for r in rows[1:]} == {"cittadina", "ospite.modena"}
    assert [r[3] for r in rows[1:] if r[1] == "ospite.modena"] == ["Comune di Modena (test)"]
    assert AuditEvent.objects.filter(
        action="export", object_id=str(meeting.pk), actor=people["manager"]
    ).exists()


def test_pages_from_creation_to_minutes(
    people: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    manager = client_for(people["manager"])
    index = manager.get(reverse("dialogue:meetings"))
    assert index.status_code == 200
    assert manager.get(reverse("dialogue:meeting_new")).status_code == 200
    rome = zoneinfo.ZoneInfo("Europe/Rome")
    start = (
        (timezone.now() + dt.timedelta(days=10))
        .astimezone(rome)
        .replace(hour=18, minute=0, second=0, microsecond=0)
    )
    data = {
        "title": "Incontro dei sindaci",
        "kind": MeetingKind.MAYORS,
        "summary": "Coordinamento sulla sicurezza urbana",
        "agenda": "Apertura\nBilancio dell'anno",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "place": "Palazzo d'Accursio",
        "address": "Piazza Maggiore 6",
        "online_url": "",
        "languages": "Italiano",
        "access": Access.INVITED,
        "invited": [people["invited_org"].pk],
        "capacity": "1",
        "registration_open": "on",
        "published": "on",
    }
    invalid = manager.post(reverse("dialogue:meeting_new"), {**data, "ends_at": data["starts_at"]})
    assert invalid.status_code == 200
    assert "The meeting must end after it starts." in invalid.content.decode()
    created = manager.post(reverse("dialogue:meeting_new"), data)
    assert created.status_code == 302
    meeting = Meeting.objects.get(title="Incontro dei sindaci")
    assert meeting.starts_at == start, "times are read in the organiser's time zone"
    assert list(meeting.invited.all()) == [people["invited_org"]]

    page = manager.get(meeting.get_absolute_url()).content.decode()
    assert 'data-testid="organiser-actions"' in page
    assert "Bilancio dell&#x27;anno" in page
    assert "Europe/Rome" in page

    guest = client_for(people["guest"])
    page = guest.get(meeting.get_absolute_url()).content.decode()
    assert 'data-testid="organiser-actions"' not in page
    assert 'data-testid="register"' in page
    guest.post(
        reverse("dialogue:meeting_register", args=[meeting.slug]),
        {"organisation": people["invited_org"].pk},
    )
    page = guest.get(meeting.get_absolute_url()).content.decode()
    assert "You are registered." in page
    colleague = make_user(people["invited_org"], Role.OFFICER, username="collega")
    other = client_for(colleague)
    assert "Join the waiting list" in other.get(meeting.get_absolute_url()).content.decode()
    other.post(reverse("dialogue:meeting_register", args=[meeting.slug]))
    page = other.get(meeting.get_absolute_url()).content.decode()
    assert "You are number 1 on the waiting list." in page
    outsider = client_for(people["outsider"])
    assert (
        outsider.post(reverse("dialogue:meeting_register", args=[meeting.slug])).status_code == 404
    )

    edit = manager.get(reverse("dialogue:meeting_edit", args=[meeting.slug]))
    assert edit.status_code == 200
    assert start.strftime("%Y-%m-%dT%H:%M") in edit.content.decode()
    later = start + dt.timedelta(days=1)
    manager.post(
        reverse("dialogue:meeting_edit", args=[meeting.slug]),
        {
            **data,
            "starts_at": later.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (later + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    assert "meeting_changed" in events_of(people["guest"])
    assert "meeting_changed" in events_of(colleague)

    guest.post(reverse("dialogue:meeting_unregister", args=[meeting.slug]))
    assert Registration.objects.get(user=colleague).state == RegistrationState.CONFIRMED
    assert "meeting_promoted" in events_of(colleague)

    listing = manager.get(reverse("dialogue:meeting_registrations", args=[meeting.slug]))
    assert listing.status_code == 200
    assert "collega" in listing.content.decode()

    meeting = started(meeting)
    registration = Registration.objects.get(user=colleague)
    manager.post(
        reverse("dialogue:meeting_registrations", args=[meeting.slug]),
        {"attended": [str(registration.pk)]},
    )
    assert Registration.objects.get(pk=registration.pk).attended is True
    assert manager.get(reverse("dialogue:meeting_minutes", args=[meeting.slug])).status_code == 200
    manager.post(
        reverse("dialogue:meeting_minutes", args=[meeting.slug]),
        {"minutes": "Verbale della riunione.", "outcomes": "Un tavolo permanente."},
    )
    page = guest.get(meeting.get_absolute_url()).content.decode()
    assert "Verbale della riunione." in page
    assert "Un tavolo permanente." in page
    assert "Registration is closed: the meeting has started." in page


def test_index_groups_by_month_filters_by_kind_and_shows_cancelled(
    people: dict[str, Any], new_meeting: Callable[..., Meeting]
) -> None:
    workshop = new_meeting(title="Laboratorio di quartiere", kind=MeetingKind.WORKSHOP)
    assembly = new_meeting(title="Assemblea cittadina")
    started(new_meeting(title="Vecchio incontro"), hours=72)
    do_cancel_meeting(people["manager"], assembly)
    response = client_for().get(reverse("dialogue:meetings"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Laboratorio di quartiere" in page
    assert "Vecchio incontro" in page
    assert [m.title for m in response.context["past"]] == ["Vecchio incontro"]
    assert reverse("dialogue:meetings_ics") in page
    filtered = client_for().get(reverse("dialogue:meetings"), {"kind": MeetingKind.WORKSHOP})
    upcoming = [m for _month, items in filtered.context["months"] for m in items]
    assert upcoming == [workshop]
    cancelled_page = client_for().get(assembly.get_absolute_url()).content.decode()
    assert 'data-testid="cancelled-banner"' in cancelled_page
    assert 'data-testid="register"' not in cancelled_page


def test_detail_shows_places_left_and_waiting(
    people: dict[str, Any], new_meeting: Callable[..., Meeting]
) -> None:
    meeting = new_meeting(capacity=1)
    do_register(people["citizen"], meeting)
    do_register(people["neighbour"], meeting)
    response = client_for(people["outsider"]).get(meeting.get_absolute_url())
    assert response.context["places_left"] == 0
    assert response.context["waiting"] == 1
    page = response.content.decode()
    assert "0 places left" in page
    assert "1 person on the waiting list" in page
    listed = client_for().get(reverse("dialogue:meetings")).content.decode()
    assert "1 of 1 places taken" in listed
    assert "1 waiting" in listed


def test_pages_render_in_italian(
    people: dict[str, Any], new_meeting: Callable[..., Meeting]
) -> None:
    meeting = new_meeting(capacity=3)
    do_register(people["citizen"], meeting)
    client = client_for(people["manager"])
    client.cookies["django_language"] = "it"
    for url in (
        reverse("dialogue:meetings"),
        meeting.get_absolute_url(),
        reverse("dialogue:meeting_new"),
        reverse("dialogue:meeting_edit", args=[meeting.slug]),
        reverse("dialogue:meeting_registrations", args=[meeting.slug]),
        reverse("dialogue:meeting_minutes", args=[meeting.slug]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="it">' in response.content.decode(), url


def test_the_worker_schedules_the_meeting_reminders() -> None:
    from prossima.config.celery import app

    schedule = app.conf.beat_schedule["dialogue-meeting-reminders"]
    app.loader.import_default_modules()
    assert schedule["task"] in app.tasks
