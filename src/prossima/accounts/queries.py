"""Named reads about people, organisations and the audit log."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from prossima.accounts.models import ApiToken, AuditEvent, Membership, Organisation, User


def organisations_for_directory() -> QuerySet[Organisation]:
    """Return organisations for the public directory, with their comune and parent."""
    return Organisation.objects.select_related("comune", "parent").order_by("kind", "name")


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    """Return the memberships of an organisation, people first by name."""
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__last_name", "user__username", "role")
    )


def audit_events_for(organisation: Organisation, limit: int = 200) -> QuerySet[AuditEvent]:
    """Return the newest audit events about one organisation."""
    return AuditEvent.objects.filter(organisation_id=organisation.pk)[:limit]


def user_for_api_token(raw: str) -> User | None:
    """Return the active user owning a valid raw API token, or None."""
    if not raw:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(raw), revoked=False, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Record use at most hourly: a hot row must not be rewritten on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 3600:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def tokens_of(user: Any) -> QuerySet[ApiToken]:
    """Return a user's API tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")
