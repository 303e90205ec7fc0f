"""Registration, login, organisations, memberships, API tokens and the audit log."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from prossima.accounts import actions
from prossima.accounts.models import (
    AppendOnlyError,
    AuditEvent,
    Membership,
    OrganisationKind,
    Role,
    User,
)


@pytest.fixture(autouse=True)
def _locmem_mail(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_registration_sends_a_link_that_activates_the_account(client: Any) -> None:
    response = client.post(
        reverse("accounts:register"),
        {
            "username": "giovanna",
            "email": "Giovanna@Example.org",
            "password1": "una-frase-lunga-42",
            "password2": "una-frase-lunga-42",
            "privacy": "on",
        },
    )
    assert response.status_code == 200
    user = User.objects.get(username="giovanna")
    assert user.email == "giovanna@example.org"
    assert not user.is_active
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/verify/\S+/", mail.outbox[0].body)
    assert link is not None
    # Not active yet: login fails.
    assert not client.login(username="giovanna", password="una-frase-lunga-42")
    path = link.group(0).split("testserver", 1)[1]
    assert client.get(path).status_code == 302
    user.refresh_from_db()
    assert user.is_active
    assert user.email_verified
    response = client.post(
        reverse("accounts:login"),
        {"username": "giovanna@example.org", "password": "una-frase-lunga-42"},
    )
    assert response.status_code == 302, "log in by e-mail address works"


def test_registration_rejects_duplicates_and_weak_passwords(client: Any, make_user: Any) -> None:
    make_user(username="taken")
    response = client.post(
        reverse("accounts:register"),
        {
            "username": "taken",
            "email": "user1@example.org",
            "password1": "123",
            "password2": "123",
            "privacy": "on",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "username" in form.errors
    assert "password1" in form.errors
    assert User.objects.filter(username="taken").count() == 1
    assert not mail.outbox


def test_verification_link_with_wrong_token_is_refused(client: Any, make_user: Any) -> None:
    user = make_user(is_active=False)
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    response = client.get(reverse("accounts:verify", args=[uid, "wrong-token"]))
    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.is_active


def test_organisation_kinds_are_checked(make_org: Any, bologna: Any, english: Any) -> None:
    with pytest.raises(ValidationError, match="comune"):
        make_org(OrganisationKind.COMUNE, "No comune")
    with pytest.raises(ValidationError, match="police command"):
        make_org(OrganisationKind.POLICE_COMMAND, "Orphan command")
    with pytest.raises(ValidationError, match="outside Italy"):
        make_org(OrganisationKind.PARTNER_CITY, "Roma partner", country="IT")
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)
    police = make_org(OrganisationKind.POLICE_COMMAND, "PL", parent=comune)
    assert police.comune_id == bologna.pk, "a police command inherits its comune"
    assert police.governing_comune_id() == bologna.pk
    partner = make_org(OrganisationKind.PARTNER_CITY, "Toronto", country="ca", city="Toronto")
    assert partner.country == "CA"


def test_only_managers_change_memberships(
    make_org: Any, make_user: Any, bologna: Any, english: Any
) -> None:
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)
    manager = make_user(comune, Role.MANAGER)
    analyst = make_user(comune, Role.ANALYST)
    newcomer = make_user()
    with pytest.raises(PermissionDenied):
        actions.do_add_membership(analyst, comune, newcomer, Role.OFFICER)
    membership = actions.do_add_membership(manager, comune, newcomer, Role.OFFICER)
    assert newcomer.has_perm("prossima.view_restricted", comune)
    with pytest.raises(ValidationError, match="Unknown role"):
        actions.do_add_membership(manager, comune, newcomer, "sheriff")
    actions.do_remove_membership(manager, membership)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert not newcomer.has_perm("prossima.view_restricted", comune)
    logged = AuditEvent.objects.filter(object_type="accounts.membership", organisation_id=comune.pk)
    assert {e.action for e in logged} >= {"create", "delete"}


def test_every_write_is_audited(make_org: Any, bologna: Any) -> None:
    before = AuditEvent.objects.count()
    make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)
    assert AuditEvent.objects.count() == before + 1


def test_audit_log_refuses_updates_and_deletes_in_the_orm() -> None:
    event = actions.do_record_audit(None, AuditEvent.Action.VIEW, "test", 1, "x")
    event.object_label = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(object_label="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE accounts_auditevent SET object_label = 'rewritten' WHERE id = %s",
        "DELETE FROM accounts_auditevent WHERE id = %s",
    ],
)
def test_audit_log_refuses_updates_and_deletes_in_raw_sql(sql: str) -> None:
    event = actions.do_record_audit(None, AuditEvent.Action.VIEW, "test", 1, "x")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).object_label == "x"


def test_members_and_audit_pages_follow_the_rules(
    client: Any, make_org: Any, make_user: Any, bologna: Any
) -> None:
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)
    admin = make_user(comune, Role.ADMINISTRATOR, username="alda")
    outsider = make_user(username="mario")
    page = reverse("accounts:organisation", args=[comune.slug])
    audit = reverse("accounts:organisation_audit", args=[comune.slug])

    response = client.get(page)
    assert response.status_code == 200
    assert response.context["members"] is None
    assert client.get(audit).status_code == 302  # to login

    client.force_login(outsider)
    assert client.get(page).context["members"] is None
    assert client.get(audit).status_code == 403

    client.force_login(admin)
    response = client.get(page)
    assert [m.user.username for m in response.context["members"]] == ["alda"]
    before = AuditEvent.objects.filter(action="view").count()
    assert client.get(audit).status_code == 200
    assert AuditEvent.objects.filter(action="view").count() == before + 1, "reading is audited"


def test_api_token_lifecycle(client: Any, make_user: Any, make_org: Any, bologna: Any) -> None:
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)
    user = make_user(comune, Role.ANALYST, username="giulia")
    assert client.get("/api/me").status_code == 401

    client.force_login(user)
    client.post(reverse("accounts:create_token"), {"name": "GIS"})
    raw = client.get(reverse("accounts:profile")).context["new_token"]
    assert raw
    assert len(raw) > 30
    client.logout()

    response = client.get("/api/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "giulia"
    assert body["memberships"] == [
        {"organisation": comune.slug, "organisation_kind": "comune", "role": "analyst"}
    ]
    assert client.get("/api/me", headers={"Authorization": "Bearer wrong"}).status_code == 401

    token = user.api_tokens.get()
    assert token.digest != raw, "only the digest is stored"
    actions.do_revoke_api_token(user, token)
    response = client.get("/api/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_managers_add_and_remove_members_on_the_web(
    client: Any, make_org: Any, make_user: Any, bologna: Any
) -> None:
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)
    manager = make_user(comune, Role.MANAGER)
    officer = make_user(comune, Role.OFFICER)
    newcomer = make_user(username="nuova")
    page = reverse("accounts:organisation", args=[comune.slug])

    client.force_login(officer)
    assert client.get(page).context["form"] is None
    response = client.post(page, {"email": newcomer.email, "role": Role.ANALYST})
    assert response.status_code == 403

    client.force_login(manager)
    response = client.post(page, {"email": "nobody@example.org", "role": Role.ANALYST})
    assert list(response.context["form"].errors) == ["email"]
    response = client.post(page, {"email": newcomer.email.upper(), "role": Role.ANALYST})
    assert response.status_code == 302
    membership = Membership.objects.get(user=newcomer, organisation=comune)
    assert membership.role == Role.ANALYST

    client.force_login(officer)
    remove = reverse("accounts:remove_member", args=[comune.slug, membership.pk])
    assert client.post(remove).status_code == 403
    client.force_login(manager)
    assert client.post(remove).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_logins_are_audited(client: Any, make_user: Any) -> None:
    make_user(username="luca")
    response = client.post(
        reverse("accounts:login"), {"username": "luca", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="login").get()
    assert event.actor_label == "luca"
    assert event.ip_address == "127.0.0.1"
