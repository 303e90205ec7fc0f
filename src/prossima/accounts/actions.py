"""Every write to people, organisations, memberships, tokens and the audit log."""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from prossima.accounts.models import (
    ApiToken,
    AuditEvent,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from prossima.accounts.permissions import forget_memberships, memberships_of


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def do_record_audit(
    actor: Any,
    action: str,
    object_type: str,
    object_id: Any = "",
    object_label: str = "",
    *,
    organisation: Organisation | None = None,
    comune_code: str = "",
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to the audit log and return it."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_label=(
            actor.get_username() if authenticated else "system" if actor is None else "anonymous"
        ),
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        object_label=object_label[:300],
        organisation_id=organisation.pk if organisation is not None else None,
        comune_code=comune_code,
        detail=detail or {},
        ip_address=_client_ip(request),
    )


def do_record_password_change(user: Any, how: str, *, request: HttpRequest | None = None) -> None:
    """Audit a password change (``how``: "change" or "reset") and tell the account's owner.

    The e-mail lets the owner notice a change they did not make (ASVS 2.2.3); it
    never contains the password.
    """
    if user.email:
        subject = _("Your Prossima password was changed")
        body = _(
            "The password of your Prossima account %(username)s was changed on %(when)s. "
            "If you did not change it, ask for a new one with “Forgotten password?” on the "
            "log-in page and tell your organisation's managers."
        ) % {
            "username": user.get_username(),
            "when": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        }
        transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))
    do_record_audit(
        user if how == "change" else None,
        AuditEvent.Action.UPDATE,
        "accounts.user",
        user.pk,
        user.get_username(),
        detail={"password": how},
        request=request,
    )


def check_perm(actor: Any, perm: str, obj: Any = None) -> None:
    """Raise PermissionDenied unless ``actor`` holds ``perm``; ``None`` is the system itself."""
    if actor is None:
        return
    if not actor.has_perm(perm, obj):
        raise PermissionDenied(_("You do not have permission to do this."))


@transaction.atomic
def do_register_user(
    *,
    username: str,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    language: str = "",
    active: bool = False,
) -> User:
    """Create a citizen account; it stays inactive until the e-mail is verified."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("An account with this e-mail address already exists.")})
    user = User.objects.create_user(
        username=username,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        is_active=active,
        preferred_language=language,
        email_verified=active,
    )
    do_record_audit(None, AuditEvent.Action.CREATE, "accounts.user", user.pk, user.username)
    return user


@transaction.atomic
def do_verify_email(user: User) -> User:
    """Mark the e-mail verified and activate the account."""
    user.email_verified = True
    user.is_active = True
    user.save(update_fields=["email_verified", "is_active"])
    do_record_audit(user, AuditEvent.Action.UPDATE, "accounts.user", user.pk, "email verified")
    return user


def _validate_organisation(
    kind: str, comune: Any, parent: Organisation | None, country: str
) -> None:
    if kind not in OrganisationKind.values:
        raise ValidationError(
            {
                "kind": _("Unknown organisation kind %(kind)s; accepted: %(accepted)s.")
                % {"kind": kind, "accepted": ", ".join(OrganisationKind.values)}
            }
        )
    if kind == OrganisationKind.COMUNE and comune is None:
        raise ValidationError({"comune": _("An organisation of kind comune needs its comune.")})
    if kind == OrganisationKind.POLICE_COMMAND and (
        parent is None
        or parent.kind not in (OrganisationKind.COMUNE, OrganisationKind.PARTNER_CITY)
    ):
        raise ValidationError(
            {"parent": _("A police command must belong to a comune or a partner city.")}
        )
    if kind == OrganisationKind.PARTNER_CITY and country.upper() == "IT":
        raise ValidationError(
            {"country": _("A partner city is outside Italy; give its two-letter country code.")}
        )


@transaction.atomic
def do_create_organisation(
    actor: Any,
    *,
    name: str,
    kind: str,
    comune: Any = None,
    parent: Organisation | None = None,
    country: str = "IT",
    city: str = "",
    ipa_code: str = "",
    website: str = "",
    slug: str = "",
    is_demo: bool = False,
    timezone_name: str = "",
) -> Organisation:
    """Create an organisation after checking the rules of its kind.

    ``timezone_name`` (IANA, e.g. America/Toronto) defaults to the parent's
    zone, else Europe/Rome.
    """
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Only platform administrators create organisations."))
    _validate_organisation(kind, comune, parent, country)
    zone = timezone_name or (parent.timezone if parent is not None else "Europe/Rome")
    if zone not in zoneinfo.available_timezones():
        raise ValidationError(
            {
                "timezone": _("Unknown time zone %(zone)s; use an IANA name such as Europe/Rome.")
                % {"zone": zone}
            }
        )
    if kind == OrganisationKind.POLICE_COMMAND and comune is None and parent is not None:
        comune = parent.comune
    base = slug or slugify(name)[:70] or "org"
    candidate, n = base, 1
    while Organisation.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    org = Organisation.objects.create(
        name=name,
        kind=kind,
        comune=comune,
        parent=parent,
        country=country.upper(),
        city=city,
        ipa_code=ipa_code,
        website=website,
        slug=candidate,
        is_demo=is_demo,
        timezone=zone,
    )
    do_record_audit(
        actor,
        AuditEvent.Action.CREATE,
        "accounts.organisation",
        org.pk,
        org.name,
        organisation=org,
    )
    return org


@transaction.atomic
def do_add_membership(actor: Any, organisation: Organisation, user: User, role: str) -> Membership:
    """Give ``user`` a role in ``organisation``."""
    check_perm(actor, "accounts.change_membership", organisation)
    if role not in Role.values:
        raise ValidationError(
            {
                "role": _("Unknown role %(role)s; accepted: %(accepted)s.")
                % {"role": role, "accepted": ", ".join(Role.values)}
            }
        )
    membership, _created = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=role
    )
    forget_memberships(user)
    do_record_audit(
        actor,
        AuditEvent.Action.CREATE,
        "accounts.membership",
        membership.pk,
        f"{user.get_username()} {role}",
        organisation=organisation,
    )
    return membership


@transaction.atomic
def do_remove_membership(actor: Any, membership: Membership) -> None:
    """Remove a role from a member."""
    check_perm(actor, "accounts.change_membership", membership.organisation)
    organisation = membership.organisation
    label = f"{membership.user.get_username()} {membership.role}"
    pk = membership.pk
    membership.delete()
    forget_memberships(membership.user)
    do_record_audit(
        actor,
        AuditEvent.Action.DELETE,
        "accounts.membership",
        pk,
        label,
        organisation=organisation,
    )


@transaction.atomic
def do_issue_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create an API token for ``user``; return it with the raw secret, shown once."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100] or "token",
        digest=ApiToken.digest_of(raw),
        prefix=raw[:8],
        expires_at=timezone.now() + timedelta(days=int(settings.PROSSIMA["API_TOKEN_DAYS"])),
    )
    do_record_audit(user, AuditEvent.Action.CREATE, "accounts.apitoken", token.pk, token.name)
    return token, raw


@transaction.atomic
def do_revoke_api_token(actor: User, token: ApiToken) -> None:
    """Revoke a token so it no longer authenticates."""
    check_perm(actor, "accounts.change_user", token.user)
    token.revoked = True
    token.save(update_fields=["revoked"])
    do_record_audit(actor, AuditEvent.Action.UPDATE, "accounts.apitoken", token.pk, "revoked")


def role_summary(user: Any) -> list[tuple[Organisation, str]]:
    """Return (organisation, role label) pairs for display."""
    return [(m.organisation, m.get_role_display()) for m in memberships_of(user)]
