"""Analysis runs, the restricted map of a tenant and the public aggregated page."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_POST

from prossima.accounts.actions import do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.analytics import queries
from prossima.analytics.actions import do_launch_run, do_publish_run, do_unpublish_run
from prossima.analytics.forms import FORMS, form_for
from prossima.analytics.models import AnalysisRun, RunKind
from prossima.analytics.presentation import (
    EMERGING_STYLES,
    GI_CLASSES,
    backtest_table,
    gi_class_rows,
    knox_table,
    map_labels,
    parameter_rows,
    slim_layer,
)
from prossima.incidents.models import Category, Dataset
from prossima.incidents.queries import datasets_of, tenants_for

MAP_KINDS = [RunKind.HOTSPOTS, RunKind.EMERGING, RunKind.FORECAST]


def _tenant_for(request: HttpRequest, slug: str, perm: str) -> Organisation:
    tenant = get_object_or_404(Organisation, slug=slug)
    if not request.user.has_perm(perm, tenant):
        # The same answer as a missing tenant: restricted pages reveal nothing.
        raise Http404
    return tenant


def _run_for(request: HttpRequest, pk: int) -> AnalysisRun:
    run = get_object_or_404(
        AnalysisRun.objects.select_related("tenant", "dataset", "job", "created_by"), pk=pk
    )
    if not request.user.has_perm("analytics.view_run", run.tenant):
        raise Http404
    return run


def _dataset_for(request: HttpRequest, pk: int, perm: str) -> Dataset:
    dataset = get_object_or_404(Dataset.objects.select_related("tenant"), pk=pk)
    if not request.user.has_perm(perm, dataset.tenant):
        raise Http404
    return dataset


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """List the tenants the user analyses, their datasets and latest runs."""
    tenants = [
        {
            "tenant": tenant,
            "datasets": datasets_of(tenant),
            "runs": queries.runs_of(tenant)[:20],
            "can_launch": request.user.has_perm("analytics.launch_run", tenant),
        }
        for tenant in tenants_for(request.user)
    ]
    return render(request, "analytics/index.html", {"tenants": tenants, "kinds": RunKind.choices})


@login_required
def launch(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Show the parameters of an analysis and launch it as a background job."""
    dataset = _dataset_for(request, pk, "analytics.launch_run")
    if kind not in FORMS:
        raise Http404
    initial: dict[str, Any] = {}
    again = request.GET.get("from")
    if again and again.isdigit():
        previous = AnalysisRun.objects.filter(pk=int(again), dataset=dataset, kind=kind).first()
        if previous is not None:
            initial = dict(previous.params)
    form = form_for(kind, dataset, request.POST or None)
    if initial and request.method != "POST":
        form.initial.update(initial)
    if request.method == "POST" and form.is_valid():
        run = do_launch_run(request.user, dataset, kind, form.params(), cleaned=True)
        return redirect("analytics:run", pk=run.pk)
    return render(
        request,
        "analytics/launch.html",
        {"form": form, "dataset": dataset, "kind": kind, "kind_label": RunKind(kind).label},
    )


@login_required
def run(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a run: parameters, dataset version, state, results and publication."""
    found = _run_for(request, pk)
    do_record_audit(
        request.user,
        AuditEvent.Action.VIEW,
        "analytics.analysisrun",
        found.pk,
        str(found),
        organisation=found.tenant,
        request=request,
    )
    context: dict[str, Any] = {
        "run": found,
        "layers": list(found.layers.defer("content")),
        "can_publish": found.kind == RunKind.HOTSPOTS
        and request.user.has_perm("analytics.publish_run", found.tenant),
        "can_launch": request.user.has_perm("analytics.launch_run", found.tenant),
        "on_map": found.kind in MAP_KINDS,
        "public_min_count": settings.PROSSIMA["PUBLIC_MIN_COUNT"],
        "categories": _category_labels(found),
        "parameters": parameter_rows(form_for(found.kind, found.dataset), found.params),
        "gi_rows": gi_class_rows(found.summary.get("gi_class_counts", {})),
    }
    if found.finished_at and found.kind == RunKind.NEARREPEAT:
        layer = queries.layer_of(found, "table")
        context["knox"] = knox_table(json.loads(layer.content)) if layer else None
    if found.finished_at and found.kind == RunKind.BACKTEST:
        layer = queries.layer_of(found, "results")
        context["backtest"] = backtest_table(json.loads(layer.content)) if layer else None
    return render(request, "analytics/run.html", context)


def _category_labels(found: AnalysisRun) -> list[str]:
    codes = found.params.get("categories") or []
    labels = dict(
        Category.objects.filter(tenant=found.tenant, code__in=codes).values_list(
            "code", "label_it" if request_language_is_italian() else "label_en"
        )
    )
    return [labels.get(c, c) for c in codes]


def request_language_is_italian() -> bool:
    """Return whether the active language is Italian."""
    from django.utils.translation import get_language

    return (get_language() or "it").startswith("it")


@login_required
@gzip_page
def layer(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Return a stored layer of a run as JSON; ``?view=`` trims it for the map."""
    found = _run_for(request, pk)
    stored = queries.layer_of(found, name)
    if stored is None or name == "explanations":
        raise Http404
    view = request.GET.get("view", "")
    do_record_audit(
        request.user,
        AuditEvent.Action.EXPORT if not view else AuditEvent.Action.VIEW,
        "analytics.runlayer",
        stored.pk,
        f"{found} / {name}",
        organisation=found.tenant,
        request=request,
    )
    content = stored.content
    if view:
        content = json.dumps(slim_layer(found.kind, json.loads(content), view))
    response = HttpResponse(content, content_type="application/geo+json")
    if not view:
        response["Content-Disposition"] = (
            f'attachment; filename="{found.kind}-v{found.version}-{name}.geojson"'
        )
    return response


@login_required
def explain(request: HttpRequest, pk: int, cell_id: str) -> JsonResponse:
    """Return the stored "why here?" of one forecast cell."""
    found = _run_for(request, pk)
    stored = queries.layer_of(found, "explanations")
    if stored is None:
        raise Http404
    doc = json.loads(stored.content).get(cell_id)
    if doc is None:
        return JsonResponse(
            {"detail": _("Explanations are stored for the top cells of the forecast only.")},
            status=404,
        )
    return JsonResponse(doc)


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish or withdraw a hotspot run's aggregated layer."""
    found = _run_for(request, pk)
    if not request.user.has_perm("analytics.publish_run", found.tenant):
        raise PermissionDenied
    try:
        if request.POST.get("action") == "unpublish":
            do_unpublish_run(request.user, found)
            messages.success(request, _("The layer is no longer public."))
        else:
            do_publish_run(request.user, found)
            messages.success(request, _("The aggregated layer is now on the public page."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("analytics:run", pk=found.pk)


@login_required
def map_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Show the restricted map of a tenant: incidents, stored layers, filters, time slider."""
    tenant = _tenant_for(request, slug, "analytics.view_run")
    datasets = list(datasets_of(tenant))
    dataset = next(
        (d for d in datasets if str(d.pk) == request.GET.get("dataset")),
        datasets[0] if datasets else None,
    )
    runs = (
        list(queries.finished_runs(tenant, list(MAP_KINDS)).filter(dataset=dataset)[:50])
        if dataset
        else []
    )
    do_record_audit(
        request.user,
        AuditEvent.Action.VIEW,
        "analytics.map",
        tenant.pk,
        tenant.name,
        organisation=tenant,
        request=request,
    )
    config = {
        "boundaryUrl": _boundary_url(tenant),
        "pointsUrl": reverse("analytics:points", args=[dataset.pk]) if dataset else "",
        "months": queries.incident_months(dataset) if dataset else [],
        "runs": [
            {
                "id": r.pk,
                "kind": r.kind,
                "label": str(r),
                "layerUrl": reverse("analytics:layer", args=[r.pk, "cells"]),
                "explainUrl": reverse("analytics:explain", args=[r.pk, "CELL"]),
                "runUrl": reverse("analytics:run", args=[r.pk]),
            }
            for r in runs
        ],
        "giClasses": GI_CLASSES,
        "emerging": EMERGING_STYLES,
    }
    return render(
        request,
        "analytics/map.html",
        {
            "tenant": tenant,
            "datasets": datasets,
            "dataset": dataset,
            "config": config,
            "categories": Category.objects.filter(tenant=tenant),
            "areas": queries.area_choices(dataset) if dataset else [],
            "labels": map_labels(),
        },
    )


def _boundary_url(tenant: Organisation) -> str:
    if tenant.comune_id is None:
        return ""
    return reverse("api:comune_boundary", args=[tenant.comune.istat_code])  # type: ignore[union-attr]


@login_required
@gzip_page
def points(request: HttpRequest, pk: int) -> JsonResponse:
    """Return the dataset's incidents for the map filters (restricted, audited)."""
    dataset = _dataset_for(request, pk, "incidents.view_incident")
    params: dict[str, Any] = {
        "categories": [c for c in request.GET.getlist("category") if c],
        "area": request.GET.get("area", ""),
    }
    month = request.GET.get("month", "")
    if month:
        try:
            year, mon = (int(v) for v in month.split("-"))
            params["since"] = f"{year:04d}-{mon:02d}-01"
            params["until"] = (
                f"{year + 1:04d}-01-01" if mon == 12 else f"{year:04d}-{mon + 1:02d}-01"
            )
        except ValueError:
            return JsonResponse({"detail": _("month must look like 2019-06.")}, status=400)
    found, total = queries.map_points(dataset, params)
    do_record_audit(
        request.user,
        AuditEvent.Action.VIEW,
        "incidents.incident",
        "",
        f"{dataset.name}: {total} on the map",
        organisation=dataset.tenant,
        detail={"filters": params},
        request=request,
    )
    return JsonResponse(
        {
            "total": total,
            "points": found,
            "limit": queries.MAX_MAP_POINTS,
            "too_many": total > queries.MAX_MAP_POINTS,
        }
    )


def public(request: HttpRequest, slug: str) -> HttpResponse:
    """Show a tenant's public page: only the aggregated, thresholded layer."""
    tenant = get_object_or_404(Organisation, slug=slug, kind__in=["comune", "partner_city"])
    published = queries.published_run(tenant)
    return render(
        request,
        "analytics/public.html",
        {
            "tenant": tenant,
            "run": published,
            "config": {
                "boundaryUrl": _boundary_url(tenant),
                "layerUrl": reverse("analytics:public_layer", args=[tenant.slug])
                if published
                else "",
                "giClasses": GI_CLASSES,
            },
            "labels": map_labels(),
        },
    )


def public_layer(request: HttpRequest, slug: str) -> HttpResponse:
    """Return the stored public layer of a tenant (no computation per request)."""
    text = queries.public_layer_text(slug)
    if text is None:
        raise Http404
    response = HttpResponse(text, content_type="application/geo+json")
    response["Cache-Control"] = "public, max-age=300"
    return response


def public_index(request: HttpRequest) -> HttpResponse:
    """List the comuni and partner cities that publish aggregated maps."""
    return render(request, "analytics/public_index.html", {"tenants": queries.public_tenants()})
