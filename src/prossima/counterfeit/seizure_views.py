"""Pages of the seizure records: list, record, operation, import, dashboard and totals.

Details (places, addresses, references) are for the tenant's police and staff
(``counterfeit.view_seizure``); the association and the research institute
see the totals only (``counterfeit.view_seizure_totals``); anyone else gets a
404, as if the tenant had no seizure pages.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from prossima.accounts.models import Organisation
from prossima.accounts.permissions import TENANT_KINDS
from prossima.analytics.presentation import GI_CLASSES
from prossima.counterfeit import seizure_queries as queries
from prossima.counterfeit import seizures
from prossima.counterfeit.models import Seizure
from prossima.counterfeit.seizure_forms import (
    FilterForm,
    GoodsLineForm,
    ImportForm,
    PeriodForm,
    SeizureForm,
    goods_formset,
)
from prossima.counterfeit.seizures import (
    SeizureFileError,
    SeizureImportRefusedError,
    do_import_seizures,
    do_record_seizure,
    do_update_seizure,
)

PAGE_SIZE = 50
MAX_PROBLEMS_SHOWN = 200


def _tenant(request: HttpRequest, slug: str, *perms: str) -> Organisation:
    """Return the tenant when the user holds one of ``perms`` on it; a 404 otherwise."""
    tenant = get_object_or_404(
        Organisation.objects.select_related("comune"), slug=slug, kind__in=TENANT_KINDS
    )
    if not any(request.user.has_perm(perm, tenant) for perm in perms):
        raise Http404
    return tenant


def _seizure(request: HttpRequest, slug: str, pk: int, perm: str) -> Seizure:
    tenant = _tenant(request, slug, perm)
    return get_object_or_404(
        Seizure.objects.select_related("tenant", "comune", "recorded_by", "incident"),
        pk=pk,
        tenant=tenant,
    )


def _boundary_url(tenant: Organisation) -> str:
    comune = tenant.comune
    return reverse("api:comune_boundary", args=[comune.istat_code]) if comune is not None else ""


# --- The operations -------------------------------------------------------------------


@login_required
def seizure_list(request: HttpRequest, slug: str) -> HttpResponse:
    """List a tenant's operations, newest first, with filters."""
    tenant = _tenant(request, slug, "counterfeit.view_seizure")
    form = FilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = form.cleaned_data
    qs = queries.seizures_of(
        tenant,
        filters.get("date_from"),
        filters.get("date_to"),
        place_type=filters.get("place_type", ""),
        category=filters.get("category", ""),
        outcome=filters.get("outcome", ""),
        text=filters.get("q", ""),
    ).prefetch_related("goods")
    page = Paginator(qs.select_related("comune"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "counterfeit/seizures/list.html",
        {
            "tenant": tenant,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_record": request.user.has_perm("counterfeit.record_seizure", tenant),
        },
    )


def _apply_errors(exc: ValidationError, form: SeizureForm, lines: list[GoodsLineForm]) -> list[str]:
    """Put the errors of a refused operation on its fields; return those of no field."""
    general: list[str] = []
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    for key, errors in exc.message_dict.items():
        if key.startswith("goods-"):
            _prefix, index, name = key.split("-", 2)
            line = lines[int(index)]
            line.add_error(name if name in line.fields else None, errors)
        elif key in form.fields:
            form.add_error(key, errors)
        else:
            general.extend(errors)
    return general


def _save(
    request: HttpRequest, tenant: Organisation, seizure: Seizure | None
) -> tuple[SeizureForm, Any, list[str], Seizure | None]:
    """Validate the posted operation and lines and save them; return the forms and the result."""
    if seizure is not None:
        initial = SeizureForm.initial_for(seizure)
        lines = GoodsLineForm.initial_for(seizure)
    else:
        initial = {"comune": tenant.comune.name if tenant.comune is not None else ""}
        lines = []
    if request.method != "POST":
        return SeizureForm(initial=initial), goods_formset(initial=lines or None), [], None
    form = SeizureForm(request.POST)
    formset = goods_formset(request.POST, initial=lines or None)
    general: list[str] = []
    if not (form.is_valid() and formset.is_valid()):
        return form, formset, general, None
    kept = [
        f
        for f in formset.forms
        if not f.is_blank() and not (formset.can_delete and f.cleaned_data.get("DELETE"))
    ]
    fields = dict(form.cleaned_data)
    fields["comune"] = fields["comune"] or tenant.comune
    goods = [f.line() for f in kept]
    try:
        if seizure is None:
            saved = do_record_seizure(request.user, tenant, goods=goods, **fields)
        else:
            saved = do_update_seizure(request.user, seizure, goods=goods, **fields)
    except ValidationError as exc:
        general = _apply_errors(exc, form, kept)
        return form, formset, general, None
    return form, formset, general, saved


@login_required
def seizure_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Record an operation with its lines of goods."""
    tenant = _tenant(request, slug, "counterfeit.record_seizure")
    form, formset, general, saved = _save(request, tenant, None)
    if saved is not None:
        messages.success(request, _("Seizure recorded."))
        return redirect("counterfeit:seizure", slug=tenant.slug, pk=saved.pk)
    return render(
        request,
        "counterfeit/seizures/form.html",
        {"tenant": tenant, "form": form, "formset": formset, "general_errors": general},
    )


@login_required
def seizure_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Change an operation and its lines of goods."""
    found = _seizure(request, slug, pk, "counterfeit.record_seizure")
    form, formset, general, saved = _save(request, found.tenant, found)
    if saved is not None:
        messages.success(request, _("Changes saved."))
        return redirect("counterfeit:seizure", slug=found.tenant.slug, pk=found.pk)
    return render(
        request,
        "counterfeit/seizures/form.html",
        {
            "tenant": found.tenant,
            "seizure": found,
            "form": form,
            "formset": formset,
            "general_errors": general,
        },
    )


@login_required
def seizure_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Show an operation, its lines of goods and its point."""
    found = _seizure(request, slug, pk, "counterfeit.view_seizure")
    goods = list(found.goods.select_related("alert"))
    values = [g.genuine_value for g in goods if g.genuine_value is not None]
    point = None
    if found.lat is not None and found.lon is not None:
        point = [
            {
                "lat": found.lat,
                "lon": found.lon,
                "date": found.seized_on.isoformat(),
                "placeLabel": found.get_place_type_display(),
                "reference": found.reference,
                "url": "",
            }
        ]
    return render(
        request,
        "counterfeit/seizures/detail.html",
        {
            "tenant": found.tenant,
            "seizure": found,
            "goods": goods,
            "total_value": sum(values) if values else None,
            "points": point,
            "boundary_url": _boundary_url(found.tenant),
            "can_record": request.user.has_perm("counterfeit.record_seizure", found.tenant),
        },
    )


# --- Import ---------------------------------------------------------------------------


@login_required
def seizure_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Import a CSV of seizures: the counts of what changed, or the problems (nothing saved)."""
    tenant = _tenant(request, slug, "counterfeit.record_seizure")
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    error = ""
    problems: list[Any] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = do_import_seizures(
                request.user,
                tenant,
                raw=upload.read(),
                filename=Path(upload.name or "sequestri.csv").name,
                dry_run=form.cleaned_data["dry_run"],
            )
        except SeizureFileError as exc:
            error = str(exc)
        except SeizureImportRefusedError as exc:
            error = str(exc)
            problems = exc.problems
    return render(
        request,
        "counterfeit/seizures/import.html",
        {
            "tenant": tenant,
            "form": form,
            "result": result,
            "error": error,
            "problems": problems[:MAX_PROBLEMS_SHOWN],
            "more_problems": max(0, len(problems) - MAX_PROBLEMS_SHOWN),
            "columns": [(label, synonyms) for label, synonyms in seizures.COLUMNS.values()],
            "required": [str(seizures.COLUMNS[n][0]) for n in seizures.REQUIRED_COLUMNS],
        },
    )


# --- Dashboard and totals ---------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[PeriodForm, dt.date | None, dt.date | None]:
    start, end = PeriodForm.default_period(seizures.today())
    form = PeriodForm(request.GET or None, initial={"date_from": start, "date_to": end})
    if request.GET:
        if form.is_valid():
            return form, form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        return form, start, end
    return form, start, end


@login_required
def seizure_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """Show the totals of a period and, for the tenant's people, the map of the operations.

    The association and the research institute see the same totals and
    nothing else: no map, no points, no addresses.
    """
    tenant = _tenant(request, slug, "counterfeit.view_seizure", "counterfeit.view_seizure_totals")
    details = request.user.has_perm("counterfeit.view_seizure", tenant)
    form, date_from, date_to = _period(request)
    context: dict[str, Any] = {
        "tenant": tenant,
        "form": form,
        "date_from": date_from,
        "date_to": date_to,
        "totals": queries.totals(tenant, date_from, date_to),
        "details": details,
        "top_brands": queries.TOP_BRANDS,
    }
    if details:
        points, with_point = queries.map_points(tenant, date_from, date_to)
        street = queries.street_points(tenant, date_from, date_to).count()
        hotspots_url = ""
        if street >= queries.MIN_STREET_SEIZURES:
            params = request.GET.copy()
            params["date_from"] = date_from.isoformat() if date_from else ""
            params["date_to"] = date_to.isoformat() if date_to else ""
            hotspots_url = (
                reverse("counterfeit:seizure_hotspots", args=[tenant.slug])
                + "?"
                + params.urlencode()
            )
        context.update(
            {
                "points": points,
                "with_point": with_point,
                "too_many_points": with_point > queries.MAX_MAP_POINTS,
                "street_count": street,
                "street_minimum": queries.MIN_STREET_SEIZURES,
                "hotspots_url": hotspots_url,
                "gi_classes": GI_CLASSES,
                "boundary_url": _boundary_url(tenant),
            }
        )
    return render(request, "counterfeit/seizures/dashboard.html", context)


@login_required
def seizure_hotspots(request: HttpRequest, slug: str) -> JsonResponse:
    """Return the street-trade hot spots of a period as GeoJSON cells (or why there are none)."""
    tenant = _tenant(request, slug, "counterfeit.view_seizure")
    _form, date_from, date_to = _period(request)
    found = queries.street_hotspots(tenant, date_from, date_to)
    return JsonResponse(
        {
            "enough": found.enough,
            "count": found.count,
            "minimum": found.minimum,
            "message": ""
            if found.enough
            else _(
                "Too few street seizures to analyse: %(count)s in the period, "
                "at least %(minimum)s are needed."
            )
            % {"count": found.count, "minimum": found.minimum},
            "summary": found.summary,
            "cells": found.cells,
        }
    )


@login_required
def seizure_totals(request: HttpRequest) -> HttpResponse:
    """List the headline totals of every tenant whose totals the user sees."""
    form, date_from, date_to = _period(request)
    return render(
        request,
        "counterfeit/seizures/overview.html",
        {
            "form": form,
            "date_from": date_from,
            "date_to": date_to,
            "rows": queries.tenants_with_totals(request.user, date_from, date_to),
        },
    )
