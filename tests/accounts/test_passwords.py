"""Changing and resetting a password: audited, one-time links, no account enumeration."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail
from django.test import Client

from prossima.accounts.models import AuditEvent

NEW = "a new long passphrase 42"


def test_change_needs_the_old_password_ends_other_sessions_and_is_audited(
    make_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = make_user()
    elsewhere, here = Client(), Client()
    elsewhere.force_login(user)
    here.force_login(user)
    page = here.get("/accounts/password/")
    assert page.status_code == 200
    wrong = here.post(
        "/accounts/password/",
        {"old_password": "not it", "new_password1": NEW, "new_password2": NEW},
    )
    assert wrong.status_code == 200
    user.refresh_from_db()
    assert user.check_password("correct horse battery")

    with django_capture_on_commit_callbacks(execute=True):
        done = here.post(
            "/accounts/password/",
            {"old_password": "correct horse battery", "new_password1": NEW, "new_password2": NEW},
        )
    assert done.status_code == 302
    assert done["Location"] == "/accounts/profile/"
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert here.get("/accounts/profile/").status_code == 200, "this session stays"
    assert elsewhere.get("/accounts/profile/").status_code == 302, "the other one ends"
    event = (
        AuditEvent.objects.filter(object_type="accounts.user", object_id=str(user.pk))
        .order_by("id")
        .last()
    )
    assert event is not None
    assert event.detail == {"password": "change"}
    assert NEW not in str(event.detail)
    [notice] = mail.outbox
    assert notice.to == [user.email]
    assert user.get_username() in notice.body
    assert NEW not in notice.body


def test_change_refuses_a_short_password(make_user: Any) -> None:
    user = make_user()
    client = Client()
    client.force_login(user)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "correct horse battery",
            "new_password1": "short1",
            "new_password2": "short1",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]


def test_reset_link_works_once_and_the_answer_never_reveals_an_account(
    client: Client, make_user: Any
) -> None:
    user = make_user(username="reset.me")
    known = client.post("/accounts/password/reset/", {"email": "reset.me@example.org"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["reset.me@example.org"]
    assert "reset.me" in mail.outbox[0].body
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    assert link is not None

    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    assert form.context["validlink"]
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert AuditEvent.objects.filter(
        object_type="accounts.user", object_id=str(user.pk), detail={"password": "reset"}
    ).exists()

    again = client.get(link.group(1), follow=True)
    assert not again.context["validlink"], "a used link is dead"


def test_reserved_usernames_are_refused_at_registration(client: Client) -> None:
    response = client.post(
        "/accounts/register/",
        {
            "username": "deleted-12",
            "email": "d12@example.org",
            "password1": NEW,
            "password2": NEW,
            "privacy": "on",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
