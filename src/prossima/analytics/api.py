"""API endpoints for analysis runs, their layers and the public aggregated layers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from prossima.accounts.actions import do_record_audit
from prossima.accounts.models import AuditEvent
from prossima.analytics import queries
from prossima.analytics.actions import do_launch_run
from prossima.analytics.models import AnalysisRun, RunKind
from prossima.config.api import AUTHENTICATED
from prossima.config.openapi import ErrorOut
from prossima.incidents.models import Dataset
from prossima.incidents.queries import tenants_for

router = Router()


class RunOut(Schema):
    id: int
    tenant: str
    dataset_id: int
    kind: str
    version: int
    params: dict[str, Any]
    dataset_version: int
    status: str
    events_analysed: int | None
    summary: dict[str, Any]
    created_at: dt.datetime
    finished_at: dt.datetime | None
    published_at: dt.datetime | None
    job_id: int | None
    layers: list[str]


class RunIn(Schema):
    dataset_id: int
    kind: str
    params: dict[str, Any] = {}


def _run_out(run: AnalysisRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "tenant": run.tenant.slug,
        "dataset_id": run.dataset_id,
        "kind": run.kind,
        "version": run.version,
        "params": run.params,
        "dataset_version": run.dataset_version,
        "status": run.status,
        "events_analysed": run.events_analysed,
        "summary": run.summary,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "published_at": run.published_at,
        "job_id": run.job_id,
        "layers": sorted(n for n in run.layers.values_list("name", flat=True)),
    }


def _visible_run(request: HttpRequest, run_id: int) -> AnalysisRun:
    run = get_object_or_404(
        AnalysisRun.objects.select_related("tenant", "dataset", "job"), pk=run_id
    )
    if not request.user.has_perm("analytics.view_run", run.tenant):
        raise Http404
    return run


@router.get(
    "/runs",
    response=list[RunOut],
    auth=AUTHENTICATED,
    summary="Analysis runs of the tenants you work on",
)
def list_runs(
    request: HttpRequest, dataset_id: int | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    """List runs, newest first (at most 200), optionally of one dataset or kind."""
    runs = AnalysisRun.objects.filter(tenant__in=tenants_for(request.user)).select_related(
        "tenant", "job"
    )
    if dataset_id is not None:
        runs = runs.filter(dataset_id=dataset_id)
    if kind:
        runs = runs.filter(kind=kind)
    return [_run_out(r) for r in runs.prefetch_related("layers")[:200]]


@router.post(
    "/runs",
    response={201: RunOut, 400: ErrorOut, 404: ErrorOut},
    auth=AUTHENTICATED,
    summary="Launch an analysis run",
)
def launch_run(request: HttpRequest, payload: RunIn) -> Status:
    """Launch hotspots, nearrepeat, emerging, forecast or backtest on a dataset.

    Parameters left out take the command line's defaults; the run is computed
    by a background job (follow its ``status``). Errors: 400 names each bad
    field, 403 without the analyst role, 404 for a dataset you cannot see.
    """
    dataset = Dataset.objects.select_related("tenant").filter(pk=payload.dataset_id).first()
    if dataset is None or not request.user.has_perm("incidents.view_incident", dataset.tenant):
        raise HttpError(404, "No such dataset.")
    if payload.kind not in RunKind.values:
        raise HttpError(400, f"kind: accepted values are {', '.join(RunKind.values)}.")
    try:
        run = do_launch_run(request.user, dataset, payload.kind, payload.params)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"params": exc.messages}
        raise HttpError(400, "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())) from None
    return Status(201, _run_out(run))


@router.get("/runs/{int:run_id}", response=RunOut, auth=AUTHENTICATED, summary="One run")
def get_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    """Return a run with its parameters, state and summary."""
    return _run_out(_visible_run(request, run_id))


@router.get(
    "/runs/{int:run_id}/layers/{name}",
    auth=AUTHENTICATED,
    summary="A stored layer of a run (GeoJSON or JSON)",
    openapi_extra={
        "responses": {
            200: {
                "description": "GeoJSON FeatureCollection (cells) or JSON (table, results, "
                "explanations)",
                "content": {"application/geo+json": {}},
            }
        }
    },
)
def get_layer(request: HttpRequest, run_id: int, name: str) -> HttpResponse:
    """Return a stored layer exactly as computed; the export is audited."""
    run = _visible_run(request, run_id)
    layer = queries.layer_of(run, name)
    if layer is None:
        raise HttpError(
            404, f"No layer {name!r}; this run has: {', '.join(_run_out(run)['layers'])}."
        )
    do_record_audit(
        request.user,
        AuditEvent.Action.EXPORT,
        "analytics.runlayer",
        layer.pk,
        f"{run} / {name}",
        organisation=run.tenant,
        request=request,
    )
    kind = "application/geo+json" if name == "cells" else "application/json"
    return HttpResponse(layer.content, content_type=kind)


@router.get(
    "/public/{slug}/hotspots",
    auth=None,
    summary="Public aggregated hotspot layer of a comune or partner city",
    openapi_extra={
        "responses": {
            200: {
                "description": "GeoJSON cells with at least the published minimum count "
                "(properties: count, gi_class); no points, no times.",
                "content": {"application/geo+json": {}},
            }
        }
    },
)
def public_hotspots(request: HttpRequest, slug: str) -> HttpResponse:
    """Return the stored public layer (served from the cache, never recomputed)."""
    text = queries.public_layer_text(slug)
    if text is None:
        raise HttpError(404, "This comune or partner city has not published a hotspot layer.")
    response = HttpResponse(text, content_type="application/geo+json")
    response["Cache-Control"] = "public, max-age=300"
    return response
