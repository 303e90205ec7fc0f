"""Writes of the research extracts: requesting, deciding, withdrawing, downloading.

Workflow: a researcher (or analyst, manager, administrator) of the research
institute or the association asks for an extract on behalf of their
organisation, saying what it is for; a manager of the association who is
not the requester approves it with an expiry date or rejects it with a
note; while it is approved and not expired, members of the requesting
organisation download it. Every step and every download is in the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.reports.indicators import BY_CODE
from prossima.reports.models import IndicatorValue, Level, RequestStatus, ResearchRequest
from prossima.reports.queries.research import Extract, is_downloadable, restricted_codes, site_url
from prossima.territory.models import Region

# A purpose shorter than this cannot say what the research question is (R6).
MIN_PURPOSE_CHARS = 40
DEFAULT_VALIDITY = dt.timedelta(days=365)
# Approval is a standing permission to take data away: renewed, not open-ended.
MAX_VALIDITY = dt.timedelta(days=3 * 365)
OBJECT_TYPE = "reports.researchrequest"


def _audit(actor: Any, action: str, request: ResearchRequest, **detail: Any) -> AuditEvent:
    return do_record_audit(
        actor,
        action,
        OBJECT_TYPE,
        request.pk,
        request.title,
        organisation=request.organisation,
        detail=detail,
    )


def _years(years: Iterable[Any]) -> tuple[list[int], list[str]]:
    """Return the years as sorted integers and the entries that are not years."""
    found: set[int] = set()
    bad: list[str] = []
    for year in years:
        try:
            found.add(int(year))
        except (TypeError, ValueError):
            bad.append(str(year))
    return sorted(found), bad


def _validate(
    *,
    title: str,
    purpose: str,
    indicators: list[str],
    years: list[Any],
    level: str,
    region: Region | None,
) -> tuple[list[str], list[int]]:
    """Return the indicator codes and years of a request, or raise naming every problem."""
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("Give the request a title.")
    if len(purpose.strip()) < MIN_PURPOSE_CHARS:
        errors["purpose"] = _(
            "Say what the research question is and why these data answer it "
            "(at least %(n)d characters)."
        ) % {"n": MIN_PURPOSE_CHARS}
    codes = list(dict.fromkeys(c.strip() for c in indicators if c and c.strip()))
    unknown = [c for c in codes if c not in BY_CODE]
    if not codes:
        errors["indicators"] = _("Choose at least one indicator.")
    elif unknown:
        errors["indicators"] = _("Unknown indicators: %(codes)s.") % {"codes": ", ".join(unknown)}
    chosen, bad = _years(years)
    if bad:
        errors["years"] = _("Not years: %(years)s.") % {"years": ", ".join(bad)}
    elif not chosen:
        errors["years"] = _("Choose at least one year.")
    elif "indicators" not in errors:
        stored = set(
            IndicatorValue.objects.filter(indicator__in=codes, year__in=chosen)
            .values_list("year", flat=True)
            .distinct()
        )
        missing = [str(y) for y in chosen if y not in stored]
        if missing:
            errors["years"] = _("No values are stored for these indicators in %(years)s.") % {
                "years": ", ".join(missing)
            }
    if level not in Level.values:
        errors["level"] = _("Choose comune, province or region.")
    if region is not None:
        if not isinstance(region, Region):
            errors["region"] = _("Choose a region of the list.")
        elif (
            not errors
            and not IndicatorValue.objects.filter(
                comune__region=region, indicator__in=codes, year__in=chosen
            ).exists()
        ):
            errors["region"] = _(
                "No values are stored for these indicators and years in %(region)s."
            ) % {"region": region.name}
    if errors:
        raise ValidationError(errors)
    return codes, chosen


@transaction.atomic
def do_request_extract(
    actor: Any,
    organisation: Organisation,
    *,
    title: str,
    purpose: str,
    indicators: list[str],
    years: list[Any],
    level: str,
    region: Region | None = None,
) -> ResearchRequest:
    """Submit a request for an aggregated extract on behalf of an organisation."""
    check_perm(actor, "reports.request_extract", organisation)
    codes, chosen = _validate(
        title=title,
        purpose=purpose,
        indicators=indicators,
        years=years,
        level=level,
        region=region,
    )
    request = ResearchRequest.objects.create(
        requester=actor,
        organisation=organisation,
        title=title.strip(),
        purpose=purpose.strip(),
        indicators=codes,
        years=chosen,
        level=level,
        region=region,
    )
    _audit(
        actor,
        AuditEvent.Action.CREATE,
        request,
        indicators=codes,
        restricted=restricted_codes(codes),
        years=chosen,
        level=level,
        region=region.code if region is not None else "",
    )
    return request


def _notify_decision(request: ResearchRequest) -> None:
    """E-mail the requester the decision, in their language."""
    user = request.requester
    if not user.email:
        return
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        if request.status == RequestStatus.APPROVED:
            subject = _("Research request approved: %(title)s") % {"title": request.title}
            body = _(
                "Your request “%(title)s” was approved. The extract can be downloaded "
                "until %(date)s."
            ) % {"title": request.title, "date": request.expires_on}
        else:
            subject = _("Research request rejected: %(title)s") % {"title": request.title}
            body = _("Your request “%(title)s” was rejected. The reason given:") % {
                "title": request.title
            }
            body += "\n\n" + request.decision_note
        link = site_url(reverse("reports:research_request", args=[request.pk]))
        send_mail(subject[:150], f"{body}\n\n{link}\n", None, [user.email], fail_silently=True)


@transaction.atomic
def do_decide_extract(
    actor: Any,
    request: ResearchRequest,
    decision: str,
    *,
    expires_on: dt.date | None = None,
    note: str = "",
) -> ResearchRequest:
    """Approve a submitted request until a date (one year by default) or reject it with a note."""
    check_perm(actor, "reports.decide_extract", request)
    if actor is not None and actor.pk == request.requester_id:
        raise PermissionDenied(_("Nobody decides on their own request."))
    request = ResearchRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted request can be decided."))
    today = timezone.localdate()
    note = note.strip()
    if decision == RequestStatus.APPROVED:
        expires_on = expires_on or today + DEFAULT_VALIDITY
        if expires_on < today:
            raise ValidationError({"expires_on": _("The date is in the past.")})
        if expires_on > today + MAX_VALIDITY:
            raise ValidationError(
                {"expires_on": _("Approve for at most three years; the request can be renewed.")}
            )
        request.expires_on = expires_on
    elif decision == RequestStatus.REJECTED:
        if not note:
            raise ValidationError({"decision_note": _("Say why the request is rejected.")})
        request.expires_on = None
    else:
        raise ValidationError({"decision": _("Approve or reject.")})
    request.status = decision
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(
        update_fields=["status", "decided_by", "decided_at", "decision_note", "expires_on"]
    )
    _audit(
        actor,
        AuditEvent.Action.UPDATE,
        request,
        decision=decision,
        expires_on=request.expires_on.isoformat() if request.expires_on else "",
        note=note,
    )
    transaction.on_commit(partial(_notify_decision, request))
    return request


@transaction.atomic
def do_withdraw_request(actor: Any, request: ResearchRequest) -> ResearchRequest:
    """Withdraw a request that has not been decided yet (its requester only)."""
    if actor is not None and actor.pk != request.requester_id:
        raise PermissionDenied(_("Only the requester withdraws a request."))
    request = ResearchRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.SUBMITTED:
        raise ValidationError(_("Only a request waiting for a decision can be withdrawn."))
    request.status = RequestStatus.WITHDRAWN
    request.save(update_fields=["status"])
    _audit(actor, AuditEvent.Action.UPDATE, request, decision=RequestStatus.WITHDRAWN)
    return request


def do_record_download(
    actor: Any, request: ResearchRequest, fmt: str, extract: Extract
) -> AuditEvent:
    """Check that the extract may be downloaded and log the download."""
    check_perm(actor, "reports.view_request", request)
    if not is_downloadable(request):
        raise PermissionDenied(_("This extract is not available for download."))
    return _audit(
        actor,
        AuditEvent.Action.EXPORT,
        request,
        format=fmt,
        rows=len(extract.cells),
        withheld=extract.withheld,
        threshold=extract.threshold,
    )
