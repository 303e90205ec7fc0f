"""API of services (public directory) and referrals (pseudonymous cases), same rules as the web.

A referral that the caller may not see answers 404, like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from prossima.accounts.actions import do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.config.api import AUTHENTICATED
from prossima.config.openapi import ErrorOut
from prossima.inclusion import referral_queries as queries
from prossima.inclusion.models import Referral, Service
from prossima.inclusion.referrals import (
    do_record_referral_step,
    do_record_referral_view,
    do_refer_case,
)

referrals_router = Router()


class ServiceOut(Schema):
    id: int
    tenant: str
    provider: str
    name: str
    kind: str
    target_groups: list[str]
    eligibility: str
    address: str
    lon: float | None
    lat: float | None
    contact: str
    capacity: int | None
    accepts_referrals: bool


class ReferralIn(Schema):
    service: int
    case_code: str
    age_band: str
    target_group: str
    reason: str = ""


class StepIn(Schema):
    status: str
    note: str = ""


class StepOut(Schema):
    status: str
    note: str
    at: dt.datetime


class ReferralOut(Schema):
    id: int
    tenant: str
    service: int
    service_name: str
    provider: str
    case_code: str
    age_band: str
    target_group: str
    reason: str
    status: str
    referrer_organisation: str
    created_at: dt.datetime
    closed_at: dt.datetime | None
    steps: list[StepOut]


class OutcomeOut(Schema):
    service: int
    service_name: str
    provider: str
    suppressed: bool
    referred: int | None
    completed: int | None
    completion_rate: float | None


def _service_out(s: Service) -> dict[str, Any]:
    return {
        "id": s.pk,
        "tenant": s.tenant.slug,
        "provider": s.provider.name,
        "name": s.name,
        "kind": s.kind,
        "target_groups": list(s.target_groups),
        "eligibility": s.eligibility,
        "address": s.address,
        "lon": s.lon,
        "lat": s.lat,
        "contact": s.contact,
        "capacity": s.capacity,
        "accepts_referrals": s.accepts_referrals,
    }


def _referral_out(r: Referral, *, steps: bool = True) -> dict[str, Any]:
    return {
        "id": r.pk,
        "tenant": r.tenant.slug,
        "service": r.service_id,
        "service_name": r.service.name,
        "provider": r.service.provider.name,
        "case_code": r.case_code,
        "age_band": r.age_band,
        "target_group": r.target_group,
        "reason": r.reason,
        "status": r.status,
        "referrer_organisation": r.referrer_organisation.name,
        "created_at": r.created_at,
        "closed_at": r.closed_at,
        "steps": [{"status": e.status, "note": e.note, "at": e.at} for e in r.events.all()]
        if steps
        else [],
    }


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


def _visible_referral(request: HttpRequest, referral_id: int) -> Referral:
    found = (
        Referral.objects.select_related(
            "tenant", "service", "service__provider", "referrer_organisation"
        )
        .filter(pk=referral_id)
        .first()
    )
    if found is None or not request.user.has_perm("inclusion.view_referral", found):
        raise HttpError(404, f"No referral {referral_id} that you may see.")
    return found


@referrals_router.get(
    "/services",
    response={200: list[ServiceOut], 404: ErrorOut},
    auth=None,
    summary="The public directory of services (no authentication)",
)
def list_services(
    request: HttpRequest,
    tenant: str | None = None,
    target_group: str | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """List active services, optionally of one comune (slug), target group and kind."""
    organisation = None
    if tenant:
        organisation = Organisation.objects.filter(slug=tenant).first()
        if organisation is None:
            raise HttpError(404, f"No organisation {tenant!r}.")
    return [_service_out(s) for s in queries.services_of(organisation, target_group, kind)]


@referrals_router.get(
    "/referrals",
    response=list[ReferralOut],
    auth=AUTHENTICATED,
    summary="The referrals you may see (the listing is audited)",
)
def list_referrals(request: HttpRequest) -> list[dict[str, Any]]:
    """List the caller's visible referrals, without their steps."""
    found = list(queries.referrals_for(request.user).select_related("referrer_organisation"))
    do_record_audit(
        request.user, AuditEvent.Action.VIEW, "inclusion.referral", "", "list",
        detail={"count": len(found), "via": "api"}, request=request,
    )  # fmt: skip
    return [_referral_out(r, steps=False) for r in found]


@referrals_router.post(
    "/referrals",
    response={201: ReferralOut, 404: ErrorOut},
    auth=AUTHENTICATED,
    summary="Refer a pseudonymous case to a service (social workers and officers)",
)
def create_referral(request: HttpRequest, payload: ReferralIn) -> Status:
    """Create a referral; the case code must not look like a name or personal data."""
    service = (
        Service.objects.select_related("tenant", "provider").filter(pk=payload.service).first()
    )
    if service is None:
        raise HttpError(404, f"No service {payload.service}.")
    data = payload.dict()
    data.pop("service")
    try:
        referral = do_refer_case(request.user, service, **data)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except ValidationError as exc:
        raise HttpError(422, _errors(exc)) from None
    return Status(201, _referral_out(_visible_referral(request, referral.pk)))


@referrals_router.get(
    "/referrals/{int:referral_id}",
    response=ReferralOut,
    auth=AUTHENTICATED,
    summary="A referral with its steps (audited)",
)
def get_referral(request: HttpRequest, referral_id: int) -> dict[str, Any]:
    """Return a referral the caller may see, and audit the access."""
    found = _visible_referral(request, referral_id)
    do_record_referral_view(request.user, found, request=request)
    return _referral_out(found)


@referrals_router.post(
    "/referrals/{int:referral_id}/steps",
    response={201: ReferralOut},
    auth=AUTHENTICATED,
    summary="Record the next step of a referral (the provider and the social services)",
)
def add_step(request: HttpRequest, referral_id: int, payload: StepIn) -> Status:
    """Move a referral to its next status."""
    found = _visible_referral(request, referral_id)
    if not request.user.has_perm("inclusion.update_referral", found):
        raise HttpError(403, "You may see this referral but not record its steps.")
    try:
        do_record_referral_step(request.user, found, payload.status, payload.note)
    except ValidationError as exc:
        raise HttpError(422, _errors(exc)) from None
    return Status(201, _referral_out(_visible_referral(request, referral_id)))


@referrals_router.get(
    "/outcomes/{tenant_slug}",
    response=list[OutcomeOut],
    auth=AUTHENTICATED,
    summary="Completion rate per service, services with few referrals suppressed",
)
def get_outcomes(request: HttpRequest, tenant_slug: str) -> list[dict[str, Any]]:
    """Return the outcomes per service of a comune, without small cells."""
    tenant = Organisation.objects.filter(slug=tenant_slug).first()
    if tenant is None or not request.user.has_perm("inclusion.view_referral_outcomes", tenant):
        raise HttpError(404, f"No outcomes of {tenant_slug!r} that you may see.")
    return [
        {
            "service": row["service"].pk,
            "service_name": row["service"].name,
            "provider": row["service"].provider.name,
            "suppressed": row["suppressed"],
            "referred": row["referred"],
            "completed": row["completed"],
            "completion_rate": row["completion_rate"],
        }
        for row in queries.outcomes(tenant)
    ]
