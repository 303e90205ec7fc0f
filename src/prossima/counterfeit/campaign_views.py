"""Pages of the awareness campaigns: the public list and page, record, edit and import.

Campaigns and their reach are public. The before/after table of a campaign's
page shows the tenant's seizure totals, which are not public: only those who
see the tenant's aggregates (``counterfeit.view_seizure_totals``) get it.
Recording, editing and importing are for the tenant's managers; anyone else
gets a 404 there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from prossima.accounts.models import Organisation
from prossima.accounts.permissions import TENANT_KINDS
from prossima.counterfeit import campaigns
from prossima.counterfeit.campaign_forms import (
    CampaignFilterForm,
    CampaignForm,
    CampaignImportForm,
)
from prossima.counterfeit.campaigns import (
    CampaignFileError,
    CampaignImportRefusedError,
    do_import_campaigns,
    do_record_campaign,
    do_update_campaign,
)
from prossima.counterfeit.models import Campaign
from prossima.web.forms import add_validation_errors

PAGE_SIZE = 50
MAX_PROBLEMS_SHOWN = 200
MANAGE = "counterfeit.manage_campaigns"


def _tenant(request: HttpRequest, slug: str) -> Organisation:
    """Return the tenant when the user manages its campaigns; a 404 otherwise."""
    tenant = get_object_or_404(
        Organisation.objects.select_related("comune"), slug=slug, kind__in=TENANT_KINDS
    )
    if not request.user.has_perm(MANAGE, tenant):
        raise Http404
    return tenant


def _campaign(pk: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.select_related("tenant", "tenant__comune", "created_by"), pk=pk
    )


def _managed_tenants(request: HttpRequest) -> list[Organisation]:
    """Return the tenants whose campaigns the user records (none for visitors)."""
    if not request.user.is_authenticated:
        return []
    tenants = Organisation.objects.filter(kind__in=TENANT_KINDS).order_by("name")
    return [t for t in tenants if request.user.has_perm(MANAGE, t)]


def campaign_list(request: HttpRequest) -> HttpResponse:
    """List every campaign, newest first; filter by comune and audience."""
    form = CampaignFilterForm(request.GET or None)
    qs = Campaign.objects.select_related("tenant")
    if form.is_valid():
        if form.cleaned_data.get("tenant"):
            qs = qs.filter(tenant__slug=form.cleaned_data["tenant"])
        if form.cleaned_data.get("audience"):
            qs = qs.filter(audience=form.cleaned_data["audience"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for campaign in page:
        campaign.channel_labels = campaigns.channel_labels(campaign)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "counterfeit/campaigns/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "managed": _managed_tenants(request),
        },
    )


def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a campaign and, to those who see the tenant's totals, the seizures before/after."""
    campaign = _campaign(pk)
    tenant = campaign.tenant
    show_counts = request.user.has_perm("counterfeit.view_seizure_totals", tenant)
    return render(
        request,
        "counterfeit/campaigns/detail.html",
        {
            "campaign": campaign,
            "tenant": tenant,
            "channels": campaigns.channel_labels(campaign),
            "show_counts": show_counts,
            "comparison": campaigns.before_after(campaign) if show_counts else None,
            "can_manage": request.user.has_perm(MANAGE, tenant),
        },
    )


def _save(
    request: HttpRequest, tenant: Organisation, campaign: Campaign | None
) -> tuple[CampaignForm, Campaign | None]:
    """Validate the posted campaign and save it; return the form and what was saved."""
    if request.method != "POST":
        initial = CampaignForm.initial_for(campaign) if campaign is not None else None
        return CampaignForm(initial=initial), None
    form = CampaignForm(request.POST)
    if not form.is_valid():
        return form, None
    try:
        if campaign is None:
            saved = do_record_campaign(request.user, tenant, **form.cleaned_data)
        else:
            saved = do_update_campaign(request.user, campaign, **form.cleaned_data)
    except ValidationError as exc:
        add_validation_errors(form, exc)
        return form, None
    return form, saved


@login_required
def campaign_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Record a campaign of a tenant."""
    tenant = _tenant(request, slug)
    form, saved = _save(request, tenant, None)
    if saved is not None:
        messages.success(request, _("Campaign recorded."))
        return redirect("counterfeit:campaign", pk=saved.pk)
    return render(request, "counterfeit/campaigns/form.html", {"tenant": tenant, "form": form})


@login_required
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a campaign, e.g. to record its reach once measured."""
    campaign = _campaign(pk)
    tenant = _tenant(request, campaign.tenant.slug)
    form, saved = _save(request, tenant, campaign)
    if saved is not None:
        messages.success(request, _("Changes saved."))
        return redirect("counterfeit:campaign", pk=saved.pk)
    return render(
        request,
        "counterfeit/campaigns/form.html",
        {"tenant": tenant, "campaign": campaign, "form": form},
    )


@login_required
def campaign_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Import a CSV of campaigns: the counts of what changed, or the problems (nothing saved)."""
    tenant = _tenant(request, slug)
    form = CampaignImportForm(request.POST or None, request.FILES or None)
    result = None
    error = ""
    problems: list[Any] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = do_import_campaigns(
                request.user,
                tenant,
                upload.read(),
                Path(upload.name or "campagne.csv").name,
                dry_run=form.cleaned_data["dry_run"],
            )
        except CampaignFileError as exc:
            error = str(exc)
        except CampaignImportRefusedError as exc:
            error = str(exc)
            problems = exc.problems
    return render(
        request,
        "counterfeit/campaigns/import.html",
        {
            "tenant": tenant,
            "form": form,
            "result": result,
            "error": error,
            "problems": problems[:MAX_PROBLEMS_SHOWN],
            "more_problems": max(0, len(problems) - MAX_PROBLEMS_SHOWN),
            "columns": [(label, synonyms) for label, synonyms in campaigns.COLUMNS.values()],
            "required": [str(campaigns.COLUMNS[n][0]) for n in campaigns.REQUIRED_COLUMNS],
        },
    )
