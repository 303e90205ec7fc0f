"""Erasure (GDPR art. 17): a citizen's account is anonymised; others' data is untouched."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from prossima.accounts.actions import do_issue_api_token, do_record_audit
from prossima.accounts.models import ApiToken, AuditEvent, User
from prossima.dialogue.models import (
    Comment,
    Enrolment,
    Notification,
    NotificationPreference,
    Proposal,
    Registration,
    Support,
)
from prossima.privacy.actions import do_erase_account
from tests.privacy.conftest import citizen_report, consultation, course, meeting, proposal

PASSWORD = "correct horse battery"


def _support(person: Any, target: Proposal) -> None:
    Support.objects.create(proposal=target, user=person)
    Proposal.objects.filter(pk=target.pk).update(support_count=target.supports.count())


def _session_for(user: User) -> str:
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    return str(store.session_key)


@pytest.fixture
def lives(world: dict[str, Any]) -> dict[str, Any]:
    """Give Alice and Bob the same kinds of data, so erasing Alice must spare Bob."""
    now = timezone.now()
    alice, bob = world["alice"], world["bob"]
    open_space, closed_space = consultation(world), consultation(world, open_now=False)
    bobs_proposal = proposal(world, bob, open_space, title="Bob's idea")
    old_proposal = proposal(world, bob, closed_space, title="Old idea")
    future, past = (
        meeting(world, now + dt.timedelta(days=10)),
        meeting(world, now - dt.timedelta(days=10)),
    )
    live_course = course(world, now + dt.timedelta(days=20))
    done_course = course(world, now - dt.timedelta(days=20))
    data: dict[str, Any] = {
        "open_space": open_space,
        "bobs_proposal": bobs_proposal,
        "old_proposal": old_proposal,
        "future": future,
    }
    for person in (alice, bob):
        name = person.username
        data[f"{name}_proposal"] = proposal(world, person, open_space, title=f"{name} proposes")
        data[f"{name}_comment"] = Comment.objects.create(
            proposal=bobs_proposal, author=person, body=f"{name} comments"
        )
        Registration.objects.create(meeting=future, user=person, state="confirmed")
        Registration.objects.create(meeting=past, user=person, state="confirmed", attended=True)
        Enrolment.objects.create(course=live_course, user=person, state="enrolled")
        Enrolment.objects.create(
            course=done_course,
            user=person,
            state="completed",
            certificate_code=secrets.token_hex(6),
        )
        Notification.objects.create(recipient=person, kind="comment", event="comment")
        NotificationPreference.objects.create(user=person, kind="comment", email=False)
        data[f"{name}_report"] = citizen_report(world, person, title=f"{name} reports")
        do_issue_api_token(person, "script")
        data[f"{name}_session"] = _session_for(person)
        do_record_audit(person, AuditEvent.Action.VIEW, "incidents.citizenreport", 1)
    _support(alice, bobs_proposal)
    _support(bob, bobs_proposal)
    _support(alice, old_proposal)
    return data


def test_a_wrong_password_changes_nothing(world: dict[str, Any], lives: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as error:
        do_erase_account(world["alice"], "wrong")
    assert "password" in error.value.message_dict
    alice = User.objects.get(pk=world["alice"].pk)
    assert (alice.username, alice.is_active) == ("alice", True)
    assert Notification.objects.filter(recipient=alice).exists()


def test_erasure_anonymises_the_account_and_withdraws_what_acts_in_its_name(
    world: dict[str, Any], lives: dict[str, Any]
) -> None:
    alice, bob = world["alice"], world["bob"]
    audit_rows_before = AuditEvent.objects.filter(actor=alice).count()

    changed = do_erase_account(alice, PASSWORD)

    alice.refresh_from_db()
    assert alice.username == f"deleted-{alice.pk}"
    assert (alice.first_name, alice.last_name) == ("", "")
    assert "alice" not in alice.email
    assert not alice.is_active
    assert not alice.has_usable_password()
    # Proposals and comments stay, by the anonymised account.
    assert Proposal.objects.get(pk=lives["alice_proposal"].pk).author_id == alice.pk
    assert Comment.objects.get(pk=lives["alice_comment"].pk).author_id == alice.pk
    # The support of a proposal under discussion is withdrawn and the count follows;
    # the one of a finished consultation stays, so its published result does not move.
    open_proposal = Proposal.objects.get(pk=lives["bobs_proposal"].pk)
    assert open_proposal.support_count == open_proposal.supports.count() == 1
    assert not Support.objects.filter(user=alice, proposal=open_proposal).exists()
    old = Proposal.objects.get(pk=lives["old_proposal"].pk)
    assert old.support_count == old.supports.count() == 1
    # Meetings to come are cancelled; past attendance and certificates stay.
    assert Registration.objects.get(user=alice, meeting=lives["future"]).state == "cancelled"
    assert Registration.objects.get(user=alice, attended=True).state == "confirmed"
    states = sorted(Enrolment.objects.filter(user=alice).values_list("state", flat=True))
    assert states == ["completed", "withdrawn"]
    assert not Notification.objects.filter(recipient=alice).exists()
    assert not NotificationPreference.objects.filter(user=alice).exists()
    report = type(lives["alice_report"]).objects.get(pk=lives["alice_report"].pk)
    assert report.reporter_id is None
    assert report.title == "alice reports", "the report's content stays for the comune"
    assert not ApiToken.objects.filter(user=alice).exists()
    assert not Session.objects.filter(session_key=lives["alice_session"]).exists()
    assert changed["supports_withdrawn"] == 1
    assert changed["registrations_cancelled"] == 1
    # The audit log keeps its rows and records the erasure, without the old name.
    assert AuditEvent.objects.filter(actor=alice).count() == audit_rows_before
    erasure = AuditEvent.objects.get(object_type="accounts.user", object_id=str(alice.pk),
                                     action="delete")  # fmt: skip
    assert "alice" not in erasure.object_label
    assert erasure.detail["tokens_deleted"] == 1

    # Bob keeps everything.
    bob = User.objects.get(pk=bob.pk)
    assert (bob.username, bob.first_name, bob.is_active) == ("bob", "Bob", True)
    assert Registration.objects.get(user=bob, meeting=lives["future"]).state == "confirmed"
    assert Enrolment.objects.filter(user=bob, state="enrolled").exists()
    assert Notification.objects.filter(recipient=bob).count() == 1
    assert NotificationPreference.objects.filter(user=bob).count() == 1
    assert type(lives["bob_report"]).objects.get(pk=lives["bob_report"].pk).reporter_id == bob.pk
    assert ApiToken.objects.filter(user=bob).count() == 1
    assert Session.objects.filter(session_key=lives["bob_session"]).exists()
    assert Support.objects.filter(user=bob, proposal=open_proposal).exists()


def test_staff_of_an_organisation_are_refused(world: dict[str, Any], client: Any) -> None:
    admin = world["admin"]
    with pytest.raises(ValidationError, match="Comune di Bologna"):
        do_erase_account(admin, PASSWORD)
    admin.refresh_from_db()
    assert admin.is_active
    client.force_login(admin)
    page = client.get(reverse("privacy:index"))
    assert b'data-testid="erasure-refused"' in page.content
    response = client.post(reverse("privacy:erase"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 400
    admin.refresh_from_db()
    assert admin.username == "admin.bologna"


def test_erasing_over_the_web_signs_out_and_shows_a_deleted_author(
    world: dict[str, Any], lives: dict[str, Any], client: Any, english: Any
) -> None:
    client.force_login(world["alice"])
    refused = client.post(reverse("privacy:erase"), {"password": PASSWORD})
    assert refused.status_code == 400, "the confirmation box is required"
    response = client.post(reverse("privacy:erase"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 200
    assert b'data-testid="erased"' in response.content
    assert client.get(reverse("privacy:index")).status_code == 302, "signed out"
    assert not client.login(username="alice", password=PASSWORD)
    space = lives["open_space"]
    page = client.get(reverse("dialogue:proposal", args=[space.slug, lives["alice_proposal"].pk]))
    assert page.status_code == 200
    assert "un account cancellato" in page.content.decode()  # pages speak Italian first
    assert b"Alice" not in page.content
