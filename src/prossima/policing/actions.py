"""Every write of proximity policing: beat plans, their edits, patrol plans and visits.

Workload of a cell blends three parts, each normalised to sum 1 over the
city: forecast risk (the long-memory retrospective model of the forecasting
core, which the backtests found hardest to beat on police data), incidents of
the last 365 days, and area (every cell the same, standing for travel and
presence). Managers choose the weights; defaults 0.4 / 0.4 / 0.2 give harm
the larger say while keeping quiet areas from becoming huge beats.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.analysis.events import utm_crs_for
from prossima.analysis.grid import Grid, project_boundary
from prossima.analytics.models import AnalysisRun, RunKind
from prossima.analytics.queries import events_for, layer_of
from prossima.incidents.models import Dataset
from prossima.jobs.actions import do_enqueue_job
from prossima.policing.models import Beat, BeatPlan, PatrolBox, PatrolPlan, Visit

BEATS_JOB = "policing.beats"
DEFAULT_WEIGHTS = {"risk": 0.4, "incidents": 0.4, "area": 0.2}
# Koper (1995): stops of about 10-15 minutes keep the deterrent effect longest;
# longer stays add little.
DEFAULT_MINUTES_PER_VISIT = 15
# Share of a shift left for hot-spot visits after calls, reports and travel.
PATROL_SHARE_OF_SHIFT = 0.5
MAX_BOXES = 8

Report = Callable[[int, int, str], None]


def _grid_for(tenant: Organisation, dataset: Dataset | None, cell_size: float) -> Grid:
    """Return the grid of the tenant's comune, or of its incidents for a partner city."""
    if tenant.comune_id is not None:
        boundary = shapely.from_geojson(tenant.comune.boundary)  # type: ignore[union-attr]
        centre = boundary.centroid
        crs = utm_crs_for(np.array([centre.x]), np.array([centre.y]))
        return Grid.from_area(project_boundary(boundary, crs), cell_size, crs)
    if dataset is None:
        raise ValidationError(_("A partner city needs a dataset: its incidents outline the area."))
    events = events_for(dataset, {})
    return Grid.from_events(events, cell_size)


def _subarea_groups(tenant: Organisation, grid: Grid) -> np.ndarray:
    """Return the sub-area index of each cell (by its centre), -1 where none."""
    groups = np.full(grid.n_cells, -1, dtype=np.int64)
    if tenant.comune_id is None:
        return groups
    areas = list(tenant.comune.subareas.values_list("boundary", flat=True))  # type: ignore[union-attr]
    if not areas:
        return groups
    from pyproj import Transformer

    cx, cy = grid.centroids()
    lon, lat = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True).transform(cx, cy)
    tree = shapely.STRtree([shapely.from_geojson(text) for text in areas])
    cell_idx, area_idx = tree.query(shapely.points(lon, lat), predicate="intersects")
    groups[cell_idx] = area_idx
    return groups


def workload_parts(
    tenant: Organisation, dataset: Dataset | None, grid: Grid
) -> dict[str, np.ndarray]:
    """Return the per-cell workload parts: forecast risk, recent incidents and area."""
    parts = {"area": np.ones(grid.n_cells)}
    if dataset is None or not dataset.incidents.exists():
        parts["risk"] = np.zeros(grid.n_cells)
        parts["incidents"] = np.zeros(grid.n_cells)
        return parts
    from prossima.analysis.forecast import make_model

    events = events_for(dataset, {}, crs=grid.crs)
    last = pd.Timestamp(int(events.t.max()), tz="UTC")
    origin = last.normalize() + pd.Timedelta(days=1)
    recent = events.between(origin - pd.Timedelta(days=365), origin)
    parts["incidents"] = grid.counts(recent)
    model = make_model("retrospective")
    model.fit(events, grid)
    parts["risk"] = np.asarray(model.predict(origin, 28.0), dtype=np.float64)
    return parts


def _clean_weights(weights: dict[str, float] | None) -> dict[str, float]:
    merged = {**DEFAULT_WEIGHTS, **(weights or {})}
    unknown = set(merged) - set(DEFAULT_WEIGHTS)
    if unknown:
        raise ValidationError(
            _("Unknown workload parts %(parts)s; accepted: risk, incidents, area.")
            % {"parts": ", ".join(sorted(unknown))}
        )
    if any(v < 0 for v in merged.values()) or sum(merged.values()) <= 0:
        raise ValidationError(_("Workload weights must be 0 or more, and not all 0."))
    return {k: float(v) for k, v in merged.items()}


@transaction.atomic
def do_request_beats(
    actor: Any,
    tenant: Organisation,
    *,
    name: str,
    n_beats: int,
    dataset: Dataset | None = None,
    cell_size: float = 250.0,
    weights: dict[str, float] | None = None,
    keep_subareas: bool = False,
) -> BeatPlan:
    """Record a new beat plan and queue the job that computes it."""
    check_perm(actor, "policing.manage_beats", tenant)
    if not 1 <= n_beats <= 200:
        raise ValidationError(_("The number of beats must be between 1 and 200."))
    if not 100 <= cell_size <= 1000:
        raise ValidationError(_("The cell side must be between 100 and 1,000 metres."))
    if dataset is not None and dataset.tenant_id != tenant.pk:
        raise ValidationError(_("The dataset belongs to another tenant."))
    plan = BeatPlan.objects.create(
        tenant=tenant,
        dataset=dataset,
        name=name,
        version=_next_version(tenant),
        n_beats=n_beats,
        params={
            "cell_size": cell_size,
            "weights": _clean_weights(weights),
            "keep_subareas": keep_subareas,
        },
        crs="",
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    plan.job = do_enqueue_job(actor, BEATS_JOB, {"plan_id": plan.pk}, tenant=tenant)
    plan.save(update_fields=["job"])
    do_record_audit(
        actor,
        AuditEvent.Action.CREATE,
        "policing.beatplan",
        plan.pk,
        str(plan),
        organisation=tenant,
    )
    return plan


def _next_version(tenant: Organisation) -> int:
    last = BeatPlan.objects.select_for_update().filter(tenant=tenant).aggregate(v=Max("version"))
    return int(last["v"] or 0) + 1


def do_compute_beats(plan: BeatPlan, report: Report) -> dict[str, Any]:
    """Compute the beats of a requested plan and store them (one transaction)."""
    from prossima.analysis.beats import combine_workload, make_beats

    if plan.finished_at is not None:
        return {"plan_id": plan.pk, "already_done": True}
    tenant = plan.tenant
    report(0, 3, "laying the grid")
    grid = _grid_for(tenant, plan.dataset, float(plan.params["cell_size"]))
    if plan.n_beats > grid.n_cells:
        raise ValidationError(
            _("%(n)s beats cannot be drawn on %(cells)s cells; use smaller cells or fewer beats.")
            % {"n": plan.n_beats, "cells": grid.n_cells}
        )
    report(1, 3, "measuring the workload")
    parts = workload_parts(tenant, plan.dataset, grid)
    workload = combine_workload(parts, plan.params["weights"])
    groups = _subarea_groups(tenant, grid) if plan.params.get("keep_subareas") else None
    report(2, 3, "drawing the beats")
    try:
        result = make_beats(grid, plan.n_beats, workload, groups=groups, seed=0)
    except ValueError as exc:
        # E.g. a thin sub-area whose cells fall apart: the job shows why.
        raise ValidationError(str(exc)) from None
    _store(plan, grid, result.labels, workload, groups)
    return {"plan_id": plan.pk, "beats": plan.n_beats, "cells": grid.n_cells}


def _store(
    plan: BeatPlan,
    grid: Grid,
    labels: np.ndarray,
    workload: np.ndarray,
    groups: np.ndarray | None,
) -> None:
    from prossima.analysis.beats import beats_geojson, evaluate_beats

    stats = evaluate_beats(grid, labels, workload, groups=groups, n_beats=plan.n_beats)
    doc = beats_geojson(grid, labels, workload)
    with transaction.atomic():
        Beat.objects.filter(plan=plan).delete()
        for feature in doc["features"]:
            props = feature["properties"]
            Beat.objects.create(
                plan=plan,
                number=int(props["beat"]) + 1,
                name=_("Beat %(n)s") % {"n": int(props["beat"]) + 1},
                geometry=json.dumps(feature["geometry"]),
                cells=int(props["cells"]),
                workload=float(props["workload"]),
                compactness=float(props["compactness"]),
            )
        plan.crs = grid.crs
        plan.cell_ids = grid.cell_ids
        plan.labels = [int(v) for v in labels]
        plan.workload = [round(float(v), 8) for v in workload]
        plan.stats = stats.to_dict()
        if groups is not None:
            # Edits must keep the same sub-areas whole.
            plan.params = {**plan.params, "groups": [int(g) for g in groups]}
        plan.geojson = json.dumps(doc, separators=(",", ":"))
        plan.finished_at = timezone.now()
        plan.save()


def plan_groups(plan: BeatPlan) -> np.ndarray | None:
    """Return the sub-area of each cell that the plan keeps whole, or None."""
    groups = plan.params.get("groups")
    return None if groups is None else np.asarray(groups, dtype=np.int64)


def plan_grid(plan: BeatPlan) -> Grid:
    """Return the grid a stored plan was drawn on."""
    return Grid.from_cell_ids(plan.cell_ids, plan.crs)


@transaction.atomic
def do_save_edited_beats(actor: Any, plan: BeatPlan, labels: list[int]) -> BeatPlan:
    """Save a manager's edit of a plan as its next version, after checking it."""
    from prossima.analysis.beats import evaluate_beats

    check_perm(actor, "policing.manage_beats", plan.tenant)
    if plan.finished_at is None:
        raise ValidationError(_("This plan has not been computed yet."))
    grid = plan_grid(plan)
    array = np.asarray(labels, dtype=np.int64)
    if len(array) != grid.n_cells:
        raise ValidationError(
            _("The edit gives %(got)s cells; the plan has %(n)s.")
            % {"got": len(array), "n": grid.n_cells}
        )
    workload = np.asarray(plan.workload, dtype=np.float64)
    groups = plan_groups(plan)
    stats = evaluate_beats(grid, array, workload, groups=groups, n_beats=plan.n_beats)
    if stats.problems:
        raise ValidationError(stats.problems)
    edited = BeatPlan.objects.create(
        tenant=plan.tenant,
        dataset=plan.dataset,
        name=plan.name,
        version=_next_version(plan.tenant),
        based_on=plan,
        n_beats=plan.n_beats,
        params={**plan.params, "edited": True},
        crs=plan.crs,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _store(edited, grid, array, workload, groups)
    do_record_audit(
        actor,
        AuditEvent.Action.UPDATE,
        "policing.beatplan",
        edited.pk,
        str(edited),
        organisation=plan.tenant,
        detail={"edited_from": plan.pk},
    )
    return edited


@transaction.atomic
def do_activate_beat_plan(actor: Any, plan: BeatPlan) -> BeatPlan:
    """Make a computed plan the one in use (the others of the tenant stop being)."""
    check_perm(actor, "policing.manage_beats", plan.tenant)
    if plan.finished_at is None:
        raise ValidationError(_("This plan has not been computed yet."))
    BeatPlan.objects.filter(tenant=plan.tenant, is_active=True).update(is_active=False)
    plan.is_active = True
    plan.save(update_fields=["is_active"])
    do_record_audit(
        actor,
        AuditEvent.Action.UPDATE,
        "policing.beatplan",
        plan.pk,
        "active",
        organisation=plan.tenant,
    )
    return plan


def latest_forecast(tenant: Organisation) -> AnalysisRun | None:
    """Return the tenant's latest finished forecast run."""
    return (
        AnalysisRun.objects.filter(tenant=tenant, kind=RunKind.FORECAST, finished_at__isnull=False)
        .order_by("-finished_at")
        .first()
    )


def box_count(shift_minutes: float, minutes_per_visit: int, visits_per_box: int) -> int:
    """Return how many boxes fit the patrol share of a shift at the given dosage."""
    available = shift_minutes * PATROL_SHARE_OF_SHIFT
    return max(1, min(MAX_BOXES, math.floor(available / (minutes_per_visit * visits_per_box))))


@transaction.atomic
def do_create_patrol_plan(
    actor: Any,
    beat: Beat,
    *,
    shift_start: dt.datetime,
    shift_end: dt.datetime,
    minutes_per_visit: int = DEFAULT_MINUTES_PER_VISIT,
    visits_per_box: int = 2,
    notes: str = "",
) -> PatrolPlan:
    """Plan a shift in a beat: its top forecast cells, dosage per box and the reasons."""
    tenant = beat.plan.tenant
    check_perm(actor, "policing.plan_patrols", tenant)
    if shift_end <= shift_start:
        raise ValidationError(_("The shift must end after it starts."))
    if shift_end - shift_start > dt.timedelta(hours=12):
        raise ValidationError(_("A shift lasts at most 12 hours."))
    if not 5 <= minutes_per_visit <= 60 or not 1 <= visits_per_box <= 6:
        raise ValidationError(_("Minutes per visit must be 5 to 60 and visits per box 1 to 6."))
    run = latest_forecast(tenant)
    if run is None:
        raise ValidationError(
            _("There is no forecast yet: launch one from the analyses page, then plan the shift.")
        )
    cells_layer = layer_of(run, "cells")
    explanations_layer = layer_of(run, "explanations")
    cells = json.loads(cells_layer.content)["features"] if cells_layer else []
    explanations = json.loads(explanations_layer.content) if explanations_layer else {}
    area = shapely.from_geojson(beat.geometry)
    inside = []
    for feature in cells:
        polygon = shapely.geometry.shape(feature["geometry"])
        if area.contains(polygon.centroid):
            inside.append((feature, polygon))
    inside.sort(key=lambda fp: fp[0]["properties"]["rank"])
    n = box_count((shift_end - shift_start).total_seconds() / 60, minutes_per_visit, visits_per_box)
    plan = PatrolPlan.objects.create(
        beat=beat,
        shift_start=shift_start,
        shift_end=shift_end,
        forecast_run=run,
        minutes_per_visit=minutes_per_visit,
        visits_per_box=visits_per_box,
        notes=notes,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    for order, (feature, polygon) in enumerate(inside[:n], start=1):
        props = feature["properties"]
        centre = polygon.centroid
        PatrolBox.objects.create(
            plan=plan,
            order=order,
            cell_id=props["cell_id"],
            geometry=json.dumps(feature["geometry"]),
            lon=round(centre.x, 6),
            lat=round(centre.y, 6),
            score=float(props["score"]),
            rank_in_city=int(props["rank"]),
            planned_minutes=minutes_per_visit * visits_per_box,
            reasons=explanations.get(props["cell_id"], {}),
        )
    do_record_audit(
        actor,
        AuditEvent.Action.CREATE,
        "policing.patrolplan",
        plan.pk,
        str(plan),
        organisation=tenant,
    )
    return plan


@transaction.atomic
def do_log_visit(
    actor: Any,
    box: PatrolBox,
    *,
    arrived_at: dt.datetime,
    minutes: int,
    people_met: int = 0,
    problems: str = "",
) -> Visit:
    """Record an officer's visit to a box of a patrol plan."""
    tenant = box.plan.beat.plan.tenant
    check_perm(actor, "policing.log_visit", tenant)
    if not 1 <= minutes <= 480:
        raise ValidationError(_("Minutes in the box must be between 1 and 480."))
    if people_met < 0:
        raise ValidationError(_("People spoken with cannot be negative."))
    visit = Visit.objects.create(
        box=box,
        officer=actor,
        arrived_at=arrived_at,
        minutes=minutes,
        people_met=people_met,
        problems=problems.strip()[:2000],
    )
    do_record_audit(
        actor, AuditEvent.Action.CREATE, "policing.visit", visit.pk, str(box), organisation=tenant
    )
    return visit
