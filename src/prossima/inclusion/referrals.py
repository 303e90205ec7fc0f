"""Every write to services and referrals: the directory, a referral and its steps.

Referral cases are pseudonymous. :func:`validate_case_code` refuses codes that
look like a name, a birth date or a tax code; the reason is free text the
referrer is told to keep free of identifying details.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.accounts.permissions import REFERRING_ROLES, memberships_of, tenant_of
from prossima.inclusion.models import (
    AgeBand,
    Referral,
    ReferralEvent,
    ReferralStatus,
    Service,
    ServiceKind,
    TargetGroup,
)

S = ReferralStatus
# The steps a referral may take from each status; statuses missing here are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REFERRED: frozenset({S.ACCEPTED, S.DECLINED}),
    S.ACCEPTED: frozenset({S.ENROLLED, S.CLOSED}),
    S.ENROLLED: frozenset({S.ATTENDING, S.COMPLETED, S.CLOSED}),
    S.ATTENDING: frozenset({S.COMPLETED, S.CLOSED}),
    S.COMPLETED: frozenset({S.JOB_PLACEMENT, S.CLOSED}),
}
FINAL_STATUSES = frozenset({S.DECLINED, S.CLOSED, S.JOB_PLACEMENT})
# Statuses that count as having completed the programme in the outcomes.
COMPLETED_STATUSES = frozenset({S.COMPLETED, S.JOB_PLACEMENT})

# A case code is 3-40 letters, digits and _ . / -, starting with a letter or digit,
# with at least one digit. It must not look like personal data: no run of five or
# more letters (a name), nothing shaped like a date, nothing shaped like a codice
# fiscale.
CASE_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{2,39}$")
NAME_LIKE_RE = re.compile(r"[A-Za-z]{5,}")
DATE_LIKE_RE = re.compile(
    r"(?<!\d)(\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d{1,2})(?!\d)"
)
CODICE_FISCALE_RE = re.compile(r"[A-Za-z]{6}\d{2}[A-Za-z]\d{2}[A-Za-z]\d{3}[A-Za-z]")


def validate_case_code(code: str) -> str:
    """Return the stripped case code, or raise ValidationError if it may identify a person."""
    code = (code or "").strip()
    if (
        not CASE_CODE_RE.match(code)
        or not any(c.isdigit() for c in code)
        or NAME_LIKE_RE.search(code)
        or DATE_LIKE_RE.search(code)
        or CODICE_FISCALE_RE.search(code)
    ):
        raise ValidationError(
            {
                "case_code": _(
                    "The case code %(code)r may identify the person. Use a code of your own "
                    "of 3 to 40 letters, digits and the signs _ . / -, with at least one digit "
                    "and no more than four letters in a row, e.g. SS-2026-014: never a name, "
                    "a birth date or a tax code."
                )
                % {"code": code[:40]}
            }
        )
    return code


def _validate_service_fields(fields: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if fields.get("kind") not in ServiceKind.values:
        errors["kind"] = _("Unknown kind; accepted: %(accepted)s.") % {
            "accepted": ", ".join(ServiceKind.values)
        }
    groups = list(fields.get("target_groups") or [])
    unknown = [g for g in groups if g not in TargetGroup.values]
    if not groups or unknown:
        errors["target_groups"] = _("Choose at least one target group among: %(accepted)s.") % {
            "accepted": ", ".join(TargetGroup.values)
        }
    lon, lat = fields.get("lon"), fields.get("lat")
    if (lon is None) != (lat is None):
        errors["lat"] = _("Give both longitude and latitude, or neither.")
    elif lon is not None and lat is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        errors["lat"] = _("Coordinates must be longitude and latitude (WGS84).")
    if not str(fields.get("name") or "").strip():
        errors["name"] = _("The service needs a name.")
    if errors:
        raise ValidationError(errors)


SERVICE_FIELDS = (
    "provider",
    "name",
    "kind",
    "target_groups",
    "eligibility",
    "address",
    "lon",
    "lat",
    "contact",
    "capacity",
    "accepts_referrals",
    "active",
)


@transaction.atomic
def do_create_service(
    actor: Any,
    tenant: Organisation,
    *,
    provider: Organisation,
    name: str,
    kind: str,
    target_groups: Iterable[str],
    eligibility: str = "",
    address: str = "",
    lon: float | None = None,
    lat: float | None = None,
    contact: str = "",
    capacity: int | None = None,
    accepts_referrals: bool = False,
    active: bool = True,
) -> Service:
    """Add a service of ``provider`` to the tenant's public directory."""
    check_perm(actor, "inclusion.manage_services", tenant)
    fields: dict[str, Any] = {
        "provider": provider,
        "name": name.strip(),
        "kind": kind,
        "target_groups": list(target_groups),
        "eligibility": eligibility,
        "address": address,
        "lon": lon,
        "lat": lat,
        "contact": contact,
        "capacity": capacity,
        "accepts_referrals": accepts_referrals,
        "active": active,
    }
    _validate_service_fields(fields)
    service = Service.objects.create(tenant=tenant, **fields)
    do_record_audit(
        actor, AuditEvent.Action.CREATE, "inclusion.service", service.pk, service.name,
        organisation=tenant,
    )  # fmt: skip
    return service


@transaction.atomic
def do_update_service(actor: Any, service: Service, **changes: Any) -> Service:
    """Change fields of a service (see :data:`SERVICE_FIELDS`)."""
    check_perm(actor, "inclusion.manage_services", service.tenant)
    unknown = set(changes) - set(SERVICE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown service fields {sorted(unknown)}; accepted: {SERVICE_FIELDS}.")
    fields = {name: getattr(service, name) for name in SERVICE_FIELDS}
    fields.update(changes)
    if "name" in changes:
        fields["name"] = str(fields["name"]).strip()
    fields["target_groups"] = list(fields["target_groups"])
    _validate_service_fields(fields)
    for name in changes:
        setattr(service, name, fields[name])
    service.save(update_fields=list(changes))
    do_record_audit(
        actor, AuditEvent.Action.UPDATE, "inclusion.service", service.pk, service.name,
        organisation=service.tenant, detail={"fields": sorted(changes)},
    )  # fmt: skip
    return service


def _referring_organisation(actor: Any, tenant: Organisation) -> Organisation:
    """Return the organisation (the comune or its police) the actor refers cases for."""
    for membership in memberships_of(actor):
        organisation = membership.organisation
        if membership.role in REFERRING_ROLES and tenant_of(organisation) == tenant:
            return organisation
    return tenant  # a platform administrator, or the system


@transaction.atomic
def do_refer_case(
    actor: Any,
    service: Service,
    *,
    case_code: str,
    age_band: str,
    target_group: str,
    reason: str = "",
) -> Referral:
    """Refer a pseudonymous case to a service of the actor's comune."""
    check_perm(actor, "inclusion.refer_case", service.tenant)
    errors: dict[str, str] = {}
    if not service.active or not service.accepts_referrals:
        errors["service"] = _("This service does not accept referrals.")
    if age_band not in AgeBand.values:
        errors["age_band"] = _("Unknown age band; accepted: %(accepted)s.") % {
            "accepted": ", ".join(AgeBand.values)
        }
    if target_group not in service.target_groups:
        errors["target_group"] = _(
            "The service is not for this target group; it serves: %(accepted)s."
        ) % {"accepted": ", ".join(service.target_groups)}
    try:
        case_code = validate_case_code(case_code)
    except ValidationError as exc:
        errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    referral = Referral.objects.create(
        tenant=service.tenant,
        service=service,
        case_code=case_code,
        age_band=age_band,
        target_group=target_group,
        reason=reason,
        referrer=actor,
        referrer_organisation=_referring_organisation(actor, service.tenant),
    )
    ReferralEvent.objects.create(referral=referral, status=S.REFERRED, author=actor)
    # The label names the service, never the case code: the audit log has other readers.
    do_record_audit(
        actor, AuditEvent.Action.CREATE, "inclusion.referral", referral.pk,
        f"#{referral.pk} → {service.name}", organisation=service.tenant,
    )  # fmt: skip
    return referral


@transaction.atomic
def do_record_referral_step(
    actor: Any, referral: Referral, status: str, note: str = ""
) -> ReferralEvent:
    """Move a referral to its next status (see :data:`TRANSITIONS`) with a note."""
    check_perm(actor, "inclusion.update_referral", referral)
    # Two people may record a step at once: read the status under a row lock.
    referral.status = (
        Referral.objects.select_for_update().values_list("status", flat=True).get(pk=referral.pk)
    )
    allowed = TRANSITIONS.get(referral.status, frozenset())
    if status not in allowed:
        accepted = ", ".join(sorted(allowed)) or _("none, the referral is closed")
        raise ValidationError(
            {
                "status": _(
                    "A referral in status %(current)s cannot move to %(status)s; "
                    "accepted: %(accepted)s."
                )
                % {"current": referral.status, "status": status, "accepted": accepted}
            }
        )
    referral.status = status
    fields = ["status"]
    if status in FINAL_STATUSES:
        referral.closed_at = timezone.now()
        fields.append("closed_at")
    referral.save(update_fields=fields)
    event = ReferralEvent.objects.create(referral=referral, status=status, note=note, author=actor)
    do_record_audit(
        actor, AuditEvent.Action.UPDATE, "inclusion.referral", referral.pk,
        f"#{referral.pk} {status}", organisation=referral.tenant, detail={"status": status},
    )  # fmt: skip
    return event


def do_record_referral_view(actor: Any, referral: Referral, request: Any = None) -> None:
    """Audit that ``actor`` opened a referral (the page or the API)."""
    do_record_audit(
        actor, AuditEvent.Action.VIEW, "inclusion.referral", referral.pk, f"#{referral.pk}",
        organisation=referral.tenant, request=request,
    )  # fmt: skip
