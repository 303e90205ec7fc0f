"""Every write to analysis runs: launch, compute and store, publish.

A run is computed by a background job. Its results (summary and layers) are
written in one transaction at the end, so a run whose worker died has
nothing half-written: its job is marked failed and it can be retried.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import shapely
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent
from prossima.analysis.grid import Grid
from prossima.analytics import queries
from prossima.analytics.forms import form_for
from prossima.analytics.models import AnalysisRun, RunKind, RunLayer
from prossima.incidents.models import Dataset
from prossima.incidents.queries import dataset_version
from prossima.jobs.actions import do_enqueue_job

RUN_JOB = "analytics.run"
# A forecast layer keeps the highest-ranked cells: what a patrol plan can act on.
FORECAST_TOP_PERCENT = 5.0
# "Why here?" is stored for the top cells (at most this many), so a click on the
# map reads a stored explanation instead of refitting the model.
EXPLAINED_TOP_PERCENT = 1.0
MAX_EXPLAINED = 500

Report = Callable[[int, int, str], None]


def clean_params(
    kind: str, dataset: Dataset, data: dict[str, Any], *, fill_defaults: bool = True
) -> dict[str, Any]:
    """Return validated run parameters or raise ValidationError naming each bad field.

    With ``fill_defaults`` (the API), fields left out take the form's
    defaults, which are the command line's.
    """
    form = form_for(kind, dataset)
    if fill_defaults:
        merged = {
            name: field.initial
            for name, field in form.fields.items()
            if field.initial is not None and name not in data
        }
        merged.update(data)
        data = merged
    bound = form_for(kind, dataset, data)
    if not bound.is_valid():
        raise ValidationError(
            {field: [str(e) for e in errors] for field, errors in bound.errors.items()}
        )
    return bound.params()


@transaction.atomic
def do_launch_run(
    actor: Any, dataset: Dataset, kind: str, params: dict[str, Any], *, cleaned: bool = False
) -> AnalysisRun:
    """Record a run of ``kind`` on ``dataset`` and queue its job.

    ``params`` are validated unless ``cleaned`` says the caller did it with
    the same form.
    """
    tenant = dataset.tenant
    check_perm(actor, "analytics.launch_run", tenant)
    if not cleaned:
        params = clean_params(kind, dataset, params)
    # Lock the dataset row so two launches cannot take the same version number.
    Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
    last = AnalysisRun.objects.filter(dataset=dataset, kind=kind).aggregate(v=Max("version"))
    run = AnalysisRun.objects.create(
        tenant=tenant,
        dataset=dataset,
        kind=kind,
        version=(last["v"] or 0) + 1,
        params=params,
        dataset_version=dataset_version(dataset),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    run.job = do_enqueue_job(actor, RUN_JOB, {"run_id": run.pk}, tenant=tenant)
    run.save(update_fields=["job"])
    do_record_audit(
        actor,
        AuditEvent.Action.CREATE,
        "analytics.analysisrun",
        run.pk,
        str(run),
        organisation=tenant,
        detail={"kind": kind, "params": params},
    )
    return run


def _boundary(dataset: Dataset, params: dict[str, Any]) -> BaseGeometry | None:
    """Return the study area: the chosen sub-area, else the tenant's comune, else none."""
    area = str(params.get("area") or "")
    if area.startswith("subarea:"):
        from prossima.territory.models import SubArea

        sub = SubArea.objects.filter(pk=int(area.split(":", 1)[1])).first()
        if sub is not None:
            return shapely.from_geojson(sub.boundary)
    tenant = dataset.tenant
    if tenant.comune_id is not None:
        return shapely.from_geojson(tenant.comune.boundary)  # type: ignore[union-attr]
    return None


def _dumps(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), allow_nan=False, ensure_ascii=False)


def _clean_json(value: Any) -> Any:
    """Return ``value`` with NaN/inf as None and numpy scalars as Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _hotspots(events: Any, boundary: Any, p: dict[str, Any], report: Report) -> Any:
    from prossima.analysis.layers import hotspot_layer

    grid = Grid.from_events(events, float(p["cell"]), boundary)
    layer = hotspot_layer(
        events,
        grid,
        bandwidth=p.get("bandwidth"),
        kernel=p.get("kernel", "quartic"),
        permutations=int(p.get("permutations", 0)),
        seed=p.get("seed"),
        fdr=bool(p.get("fdr", False)),
        progress=lambda d, t: report(d, t, "Gi*"),
    )
    return layer.summary, {"cells": layer.geojson()}


def _emerging(events: Any, boundary: Any, p: dict[str, Any], report: Report) -> Any:
    from prossima.analysis.layers import emerging_layer

    grid = Grid.from_events(events, float(p["cell"]), boundary)
    layer = emerging_layer(
        events,
        grid,
        step=p.get("step", "1M"),
        time_window=int(p.get("time_window", 1)),
        alpha=float(p.get("alpha", 0.10)),
        trend_alpha=float(p.get("trend_alpha", 0.05)),
        fdr=bool(p.get("fdr", False)),
        progress=lambda d, t: report(d, t, "emerging hot spots"),
    )
    return layer.summary, {"cells": layer.geojson()}


def _nearrepeat(events: Any, boundary: Any, p: dict[str, Any], report: Report) -> Any:
    from prossima.analysis.hotspots.near_repeat import knox

    space = [float(v) for v in str(p["space_bands"]).split(",") if v.strip()]
    times = [float(v) for v in str(p["time_bands"]).split(",") if v.strip()]
    res = knox(
        events,
        space,
        times,
        int(p.get("permutations", 99)),
        p.get("seed"),
        lambda d, t: report(d, t, "Knox test"),
    )
    table = res.to_dict()
    table["time_resolution"] = events.time_resolution
    summary = {
        "events_analysed": len(events),
        "time_resolution": events.time_resolution,
        "month_only": events.time_resolution == "month",
    }
    return summary, {"table": table}


def _default_origin(events: Any) -> pd.Timestamp:
    """Return the local day after the last event: forecast what comes next."""
    last = pd.Timestamp(int(events.t.max()), tz="UTC").tz_convert(events.tz)
    return (last.normalize() + pd.Timedelta(days=1)).tz_localize(None).tz_localize(events.tz)


def _forecast(events: Any, boundary: Any, p: dict[str, Any], report: Report) -> Any:
    from prossima.analysis.forecast import forecast

    origin = p.get("origin") or _default_origin(events).date().isoformat()
    report(0, 2, "fitting the model")
    fc = forecast(
        events,
        origin,
        float(p.get("horizon_days", 7)),
        p.get("model", "ensemble"),
        float(p["cell"]),
        boundary,
    )
    report(1, 2, "explaining the top cells")
    n = fc.grid.n_cells
    top_n = max(1, math.ceil(n * FORECAST_TOP_PERCENT / 100))
    order = np.argsort(fc.ranks, kind="stable")[:top_n]
    keep = np.zeros(n, dtype=bool)
    keep[order] = True
    percentile = np.round(100.0 * (1.0 - (fc.ranks - 1) / n), 2)
    geo = fc.grid.geojson(
        {
            "score": np.round(fc.scores, 8),
            "rank": fc.ranks,
            "percentile": percentile,
            "top1": fc.ranks <= max(1, math.ceil(n * 0.01)),
        }
    )
    explained = min(MAX_EXPLAINED, max(1, math.ceil(n * EXPLAINED_TOP_PERCENT / 100)))
    ids = fc.grid.cell_ids
    explanations = {ids[i]: fc.explain(ids[i]) for i in order[:explained]}
    for feature, k in zip(geo["features"], keep, strict=True):
        if k:
            feature["properties"]["explained"] = feature["properties"]["cell_id"] in explanations
    geo["features"] = [f for f, k in zip(geo["features"], keep, strict=True) if k]
    summary = {
        "events_analysed": len(events),
        "model": fc.model.name,
        # Local times: the dates people plan with.
        "origin": fc.origin.tz_convert(events.tz).isoformat(),
        "end": fc.end.tz_convert(events.tz).isoformat(),
        "cells": n,
        "cells_in_layer": int(keep.sum()),
        "cells_explained": len(explanations),
        "cell_size_m": fc.grid.cell_size,
    }
    return summary, {"cells": geo, "explanations": explanations}


def _backtest(events: Any, boundary: Any, p: dict[str, Any], report: Report) -> Any:
    from prossima.analysis.forecast.backtest import backtest

    coverages = [float(v) / 100 for v in str(p.get("coverage", "1,2,5,10")).split(",") if v.strip()]
    res = backtest(
        events,
        list(p["models"]),
        p["test_start"],
        p["test_end"],
        horizon=float(p.get("horizon_days", 7)),
        cell_size=float(p["cell"]),
        coverages=coverages,
        boundary=boundary,
        progress=lambda d, t: report(d, t, "backtest periods"),
    )
    models = list(p["models"])
    doc = res.to_json(baseline=next((m for m in models if m.startswith("retro")), models[0]))
    summary = {"events_analysed": len(events), "periods": len(res.origins)}
    return summary, {"results": doc}


COMPUTE: dict[str, Callable[[Any, Any, dict[str, Any], Report], Any]] = {
    RunKind.HOTSPOTS: _hotspots,
    RunKind.EMERGING: _emerging,
    RunKind.NEARREPEAT: _nearrepeat,
    RunKind.FORECAST: _forecast,
    RunKind.BACKTEST: _backtest,
}


def do_compute_run(run: AnalysisRun, report: Report) -> dict[str, Any]:
    """Compute a run and store its summary and layers in one transaction."""
    if run.finished_at is not None:
        return {"run_id": run.pk, "already_done": True}
    dataset = run.dataset
    report(0, 1, "reading the incidents")
    events = queries.events_for(dataset, run.params)
    boundary = _boundary(dataset, run.params)
    summary, layers = COMPUTE[run.kind](events, boundary, run.params, report)
    summary = _clean_json(summary)
    with transaction.atomic():
        RunLayer.objects.filter(run=run).delete()
        for name, doc in layers.items():
            features = len(doc.get("features", [])) if isinstance(doc, dict) else 0
            RunLayer.objects.create(
                run=run, name=name, content=_dumps(_clean_json(doc)), features=features
            )
        run.summary = summary
        run.events_analysed = len(events)
        run.finished_at = timezone.now()
        run.save(update_fields=["summary", "events_analysed", "finished_at"])
    return {"run_id": run.pk, "events_analysed": len(events)}


def public_layer(run: AnalysisRun, min_count: int) -> dict[str, Any]:
    """Return the aggregated layer the public may see: cells with at least ``min_count``.

    Only the count and the Gi* class of those cells are kept: no density
    surface (it would let the suppressed cells be read back), no times.
    """
    layer = queries.layer_of(run, "cells")
    if layer is None:
        raise ValueError("This run has no stored cells to publish.")
    doc = json.loads(layer.content)
    features = []
    for feature in doc["features"]:
        props = feature["properties"]
        count = int(props.get("count") or 0)
        if count < min_count:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": feature["geometry"],
                "properties": {"count": count, "gi_class": int(props.get("gi_class") or 0)},
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "properties": {
            "min_count": min_count,
            "period": {"since": run.params.get("since"), "until": run.params.get("until")},
            "cell_size_m": run.summary.get("cell_size_m"),
        },
    }


def _forget_public_layer(run: AnalysisRun) -> None:
    slug = run.tenant.slug
    key = queries.public_layer_cache_key(slug)

    def forget() -> None:
        cache.delete(key)
        queries.forget_local_public_layer(slug)

    # Now, and again after commit: a request between the two could re-cache the old text.
    forget()
    transaction.on_commit(forget)


@transaction.atomic
def do_publish_run(actor: Any, run: AnalysisRun, min_count: int | None = None) -> AnalysisRun:
    """Publish the aggregated layer of a finished hotspot run on the tenant's public page."""
    check_perm(actor, "analytics.publish_run", run.tenant)
    if run.kind != RunKind.HOTSPOTS:
        raise ValidationError(_("Only hotspot runs have an aggregated layer to publish."))
    if run.finished_at is None:
        raise ValidationError(_("The run has not finished yet."))
    k = int(min_count if min_count is not None else settings.PROSSIMA["PUBLIC_MIN_COUNT"])
    if k < int(settings.PROSSIMA["PUBLIC_MIN_COUNT"]):
        raise ValidationError(
            _("The minimum count shown publicly cannot be below the platform's %(k)s.")
            % {"k": settings.PROSSIMA["PUBLIC_MIN_COUNT"]}
        )
    run.public_layer = _dumps(public_layer(run, k))
    run.public_min_count = k
    run.published_at = timezone.now()
    run.save(update_fields=["public_layer", "public_min_count", "published_at"])
    _forget_public_layer(run)
    do_record_audit(
        actor,
        AuditEvent.Action.UPDATE,
        "analytics.analysisrun",
        run.pk,
        str(run),
        organisation=run.tenant,
        detail={"published": True, "min_count": k},
    )
    return run


@transaction.atomic
def do_unpublish_run(actor: Any, run: AnalysisRun) -> AnalysisRun:
    """Withdraw a run from the public page."""
    check_perm(actor, "analytics.publish_run", run.tenant)
    run.public_layer = ""
    run.published_at = None
    run.save(update_fields=["public_layer", "published_at"])
    _forget_public_layer(run)
    do_record_audit(
        actor,
        AuditEvent.Action.UPDATE,
        "analytics.analysisrun",
        run.pk,
        str(run),
        organisation=run.tenant,
        detail={"published": False},
    )
    return run
