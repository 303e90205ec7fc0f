"""Vulnerability index pages (national and per comune), indicator uploads, safety audits."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from prossima.accounts.models import Organisation, OrganisationKind
from prossima.inclusion import queries
from prossima.inclusion.actions import (
    do_create_campaign,
    do_record_safety_audit,
    do_upload_indicators,
)
from prossima.inclusion.forms import CampaignForm, IndicatorUploadForm, SafetyAuditForm
from prossima.inclusion.models import AUDIT_PARAMETERS, AuditCampaign
from prossima.territory.models import Comune, Region
from prossima.web.ratelimit import rate_limited

NATIONAL_ROWS = 100


def index(request: HttpRequest) -> HttpResponse:
    """Show what the inclusion module offers and the comuni with sub-area indices."""
    tenants = Organisation.objects.filter(
        kind=OrganisationKind.COMUNE, comune__isnull=False
    ).select_related("comune")
    return render(
        request,
        "inclusion/index.html",
        {
            "tenants": tenants,
            "can_manage": [
                t for t in tenants if request.user.has_perm("inclusion.manage_indicators", t)
            ],
            "campaign_tenants": [
                t for t in tenants if request.user.has_perm("inclusion.manage_campaigns", t)
            ],
        },
    )


def national(request: HttpRequest) -> HttpResponse:
    """Rank the comuni (of Italy or of a region) by the ISTAT-based vulnerability index."""
    choices = queries.IndexSettings.from_query(request.GET)
    region = request.GET.get("region") or None
    if region is not None:  # an unknown code ranks no comune: say so rather than fail
        get_object_or_404(Region, code=region)
    doc = queries.national_index(choices, region)
    codes = list(doc["index"]["ranks"])
    rows = queries.ranked_rows(doc, queries.comune_names(codes), limit=NATIONAL_ROWS)
    return render(
        request,
        "inclusion/national.html",
        {
            "rows": rows,
            "settings": choices,
            "regions": Region.objects.order_by("name"),
            "region": region,
            "count": len(codes),
            "weights": queries.labelled_weights(doc),
            "missing": queries.missing_text(doc),
        },
    )


def comune_index(request: HttpRequest, istat: str) -> HttpResponse:
    """Show the vulnerability map and ranked table of a comune's sub-areas."""
    comune = get_object_or_404(Comune, istat_code=istat)
    tenant = Organisation.objects.filter(kind=OrganisationKind.COMUNE, comune=comune).first()
    choices = queries.IndexSettings.from_query(request.GET)
    doc = None
    error = ""
    if tenant is not None:
        try:
            restricted = request.user.has_perm("prossima.view_restricted", tenant)
            doc = queries.subarea_index(tenant, choices, include_incidents=restricted)
        except ValueError as exc:
            error = str(exc)
    names = dict(comune.subareas.values_list("code", "name"))
    context: dict[str, Any] = {
        "comune": comune,
        "tenant": tenant,
        "settings": choices,
        "error": error,
        "can_upload": tenant is not None
        and request.user.has_perm("inclusion.manage_indicators", tenant),
    }
    if doc is not None and tenant is not None:
        context.update(
            {
                "rows": queries.ranked_rows(doc, names),
                "weights": queries.labelled_weights(doc),
                "missing": queries.missing_text(doc),
                "geojson": queries.subarea_geojson(tenant, doc),
                "boundary_url": reverse("api:comune_boundary", args=[comune.istat_code]),
            }
        )
    return render(request, "inclusion/comune.html", context)


@login_required
def upload(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload a CSV of indicators per sub-area (all-or-nothing)."""
    tenant = get_object_or_404(Organisation, slug=slug)
    if not request.user.has_perm("inclusion.manage_indicators", tenant) or tenant.comune is None:
        raise Http404
    form = IndicatorUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            done = do_upload_indicators(request.user, tenant, file.read(), filename=file.name)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("%(n)s values stored from %(file)s.") % {"n": done.rows, "file": done.filename},
            )
            return redirect("inclusion:comune", istat=tenant.comune.istat_code)
    return render(request, "inclusion/upload.html", {"form": form, "tenant": tenant})


@login_required
def campaign_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Organise a safety-audit walk."""
    tenant = get_object_or_404(Organisation, slug=slug)
    if not request.user.has_perm("inclusion.manage_campaigns", tenant):
        raise Http404
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        campaign = do_create_campaign(request.user, tenant, **form.cleaned_data)
        return redirect("inclusion:campaign", pk=campaign.pk)
    return render(request, "inclusion/campaign_form.html", {"form": form, "tenant": tenant})


def campaign(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a campaign's public safety map (cell averages) and, for staff, its points."""
    found = get_object_or_404(AuditCampaign.objects.select_related("tenant__comune"), pk=pk)
    summary = queries.campaign_summary(found)
    return render(
        request,
        "inclusion/campaign.html",
        {
            "campaign": found,
            "summary": [(label, summary.get(name)) for name, label in AUDIT_PARAMETERS],
            "n_audits": summary["n"],
            "feeling": summary["feeling"],
            "cells_url": reverse("inclusion:campaign_cells", args=[found.pk]),
            "boundary_url": reverse("api:comune_boundary", args=[found.tenant.comune.istat_code])
            if found.tenant.comune is not None
            else "",
            "audits": list(found.audits.all()[:200])
            if request.user.has_perm("inclusion.view_audits", found.tenant)
            else None,
        },
    )


def campaign_cells(request: HttpRequest, pk: int) -> JsonResponse:
    """Return the campaign's audits averaged on 100 m cells (public)."""
    found = get_object_or_404(AuditCampaign, pk=pk)
    return JsonResponse(queries.audit_cells(found))


@login_required
@rate_limited("safety-audit")
def audit(request: HttpRequest, pk: int) -> HttpResponse:
    """Record an audit point from a phone: where, eight scores, feeling, note."""
    found = get_object_or_404(AuditCampaign.objects.select_related("tenant__comune"), pk=pk)
    form = SafetyAuditForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            do_record_safety_audit(
                request.user,
                found,
                lon=form.cleaned_data["lon"],
                lat=form.cleaned_data["lat"],
                scores=form.scores(),
                feeling=form.cleaned_data["feeling"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Audit recorded. Thank you: walk on to the next point."))
            return redirect("inclusion:audit", pk=found.pk)
    return render(
        request,
        "inclusion/audit.html",
        {
            "campaign": found,
            "form": form,
            "boundary_url": reverse("api:comune_boundary", args=[found.tenant.comune.istat_code])
            if found.tenant.comune is not None
            else "",
        },
    )
