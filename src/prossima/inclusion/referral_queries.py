"""Reads of services and referrals: the directory, the cases a user may see, outcomes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from prossima.accounts.models import Organisation
from prossima.accounts.permissions import SOCIAL_ROLES, memberships_of, tenant_ids_with_role
from prossima.inclusion.models import Referral, Service
from prossima.inclusion.referrals import COMPLETED_STATUSES


def services_of(
    tenant: Organisation | None, target_group: str | None = None, kind: str | None = None
) -> QuerySet[Service]:
    """Return the active services of ``tenant`` (of every tenant when None), filtered."""
    found = Service.objects.filter(active=True).select_related("tenant", "provider")
    if tenant is not None:
        found = found.filter(tenant=tenant)
    if kind:
        found = found.filter(kind=kind)
    services = found.order_by("tenant__name", "name")
    if target_group:
        # target_groups is a JSON list; a containment lookup is not portable to SQLite.
        ids = [s.pk for s in services if target_group in s.target_groups]
        services = services.filter(pk__in=ids)
    return services


def referrals_for(user: Any) -> QuerySet[Referral]:
    """Return the referrals ``user`` may see, as the ``inclusion.view_referral`` rule says."""
    found = Referral.objects.select_related("tenant", "service", "service__provider")
    if not getattr(user, "is_authenticated", False):
        return found.none()
    if user.is_superuser:
        return found
    organisations = {m.organisation_id for m in memberships_of(user)}
    return found.filter(
        Q(referrer=user)
        | Q(service__provider_id__in=organisations)
        | Q(tenant_id__in=tenant_ids_with_role(user, SOCIAL_ROLES))
    )


def public_min_count(min_count: int | None = None) -> int:
    """Return the smallest publishable count: ``min_count``, never below the setting."""
    floor = int(settings.PROSSIMA["PUBLIC_MIN_COUNT"])
    return max(floor, int(min_count)) if min_count is not None else floor


def outcomes(tenant: Organisation, min_count: int | None = None) -> list[dict[str, Any]]:
    """Return referrals and completions per service of ``tenant``, without small cells.

    A service with fewer referrals than :func:`public_min_count` is listed as
    suppressed, with no numbers. No total is given, so suppressed cells cannot
    be recovered by subtraction.
    """
    k = public_min_count(min_count)
    rows = (
        Service.objects.filter(tenant=tenant)
        .annotate(
            referred=Count("referrals"),
            completed=Count("referrals", filter=Q(referrals__status__in=COMPLETED_STATUSES)),
        )
        .select_related("provider")
        .order_by("name")
    )
    result: list[dict[str, Any]] = []
    for service in rows:
        referred = int(service.referred)
        if referred == 0:
            continue
        completed = int(service.completed)
        suppressed = referred < k
        result.append(
            {
                "service": service,
                "suppressed": suppressed,
                "referred": None if suppressed else referred,
                "completed": None if suppressed else completed,
                "completion_rate": None if suppressed else completed / referred,
            }
        )
    return result
