"""API of proximity policing: beats, patrol plans and visits, with the web's permissions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from prossima.config.api import AUTHENTICATED
from prossima.config.openapi import ErrorOut
from prossima.incidents.queries import tenants_for
from prossima.policing.actions import do_log_visit
from prossima.policing.models import BeatPlan, PatrolBox, PatrolPlan, Visit

router = Router()


class BeatOut(Schema):
    id: int
    number: int
    name: str
    cells: int
    workload: float
    compactness: float
    geometry: dict[str, Any]


class BeatPlanOut(Schema):
    id: int
    tenant: str
    name: str
    version: int
    is_active: bool
    n_beats: int
    stats: dict[str, Any]
    beats: list[BeatOut]


class BoxOut(Schema):
    id: int
    order: int
    cell_id: str
    lon: float
    lat: float
    rank_in_city: int | None
    planned_minutes: int
    done_minutes: int


class PatrolPlanOut(Schema):
    id: int
    beat_id: int
    shift_start: dt.datetime
    shift_end: dt.datetime
    minutes_per_visit: int
    visits_per_box: int
    boxes: list[BoxOut]


class VisitIn(Schema):
    arrived_at: dt.datetime
    minutes: int
    people_met: int = 0
    problems: str = ""


class VisitOut(Schema):
    id: int
    box_id: int
    arrived_at: dt.datetime
    minutes: int
    people_met: int
    problems: str


def _plan_out(plan: BeatPlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "tenant": plan.tenant.slug,
        "name": plan.name,
        "version": plan.version,
        "is_active": plan.is_active,
        "n_beats": plan.n_beats,
        "stats": plan.stats,
        "beats": [
            {
                "id": b.pk,
                "number": b.number,
                "name": b.name,
                "cells": b.cells,
                "workload": b.workload,
                "compactness": b.compactness,
                "geometry": json.loads(b.geometry),
            }
            for b in plan.beats.all()
        ],
    }


@router.get(
    "/beat-plans",
    response=list[BeatPlanOut],
    auth=AUTHENTICATED,
    summary="Computed beat plans of the tenants you work for (newest first)",
)
def list_beat_plans(request: HttpRequest, active: bool = False) -> list[dict[str, Any]]:
    """List computed beat plans with their beats as GeoJSON geometries."""
    plans = BeatPlan.objects.filter(
        tenant__in=tenants_for(request.user), finished_at__isnull=False
    ).select_related("tenant")
    if active:
        plans = plans.filter(is_active=True)
    return [_plan_out(p) for p in plans.order_by("-created_at")[:50]]


def _patrol_for(request: HttpRequest, patrol_id: int) -> PatrolPlan:
    patrol = get_object_or_404(
        PatrolPlan.objects.select_related("beat__plan__tenant"), pk=patrol_id
    )
    if not request.user.has_perm("policing.view_beats", patrol.beat.plan.tenant):
        raise HttpError(404, "No such patrol plan.")
    return patrol


@router.get(
    "/patrol-plans/{int:patrol_id}",
    response=PatrolPlanOut,
    auth=AUTHENTICATED,
    summary="A patrol plan with its boxes and the minutes done so far",
)
def get_patrol_plan(request: HttpRequest, patrol_id: int) -> dict[str, Any]:
    """Return a patrol plan, its boxes and the dosage done."""
    from prossima.policing.queries import dosage

    patrol = _patrol_for(request, patrol_id)
    return {
        "id": patrol.pk,
        "beat_id": patrol.beat_id,
        "shift_start": patrol.shift_start,
        "shift_end": patrol.shift_end,
        "minutes_per_visit": patrol.minutes_per_visit,
        "visits_per_box": patrol.visits_per_box,
        "boxes": [
            {
                "id": row["box"].pk,
                "order": row["box"].order,
                "cell_id": row["box"].cell_id,
                "lon": row["box"].lon,
                "lat": row["box"].lat,
                "rank_in_city": row["box"].rank_in_city,
                "planned_minutes": row["planned"],
                "done_minutes": row["done"],
            }
            for row in dosage(patrol)
        ],
    }


@router.post(
    "/boxes/{int:box_id}/visits",
    response={201: VisitOut, 400: ErrorOut},
    auth=AUTHENTICATED,
    summary="Log a visit to a box (officers)",
)
def log_visit(request: HttpRequest, box_id: int, payload: VisitIn) -> Status:
    """Record the logged-in officer's visit: time in the box, people spoken with, problems."""
    box = get_object_or_404(PatrolBox.objects.select_related("plan__beat__plan__tenant"), pk=box_id)
    if not request.user.has_perm("policing.view_beats", box.plan.beat.plan.tenant):
        raise HttpError(404, "No such box.")
    try:
        visit = do_log_visit(
            request.user,
            box,
            arrived_at=payload.arrived_at,
            minutes=payload.minutes,
            people_met=payload.people_met,
            problems=payload.problems,
        )
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    except ValidationError as exc:
        raise HttpError(400, " ".join(exc.messages)) from None
    return Status(201, _visit_out(visit))


def _visit_out(visit: Visit) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "box_id": visit.box_id,
        "arrived_at": visit.arrived_at,
        "minutes": visit.minutes,
        "people_met": visit.people_met,
        "problems": visit.problems,
    }


@router.get("/visits", response=list[VisitOut], auth=AUTHENTICATED, summary="Visits you may see")
def list_visits(request: HttpRequest) -> list[dict[str, Any]]:
    """List your own visits and, for managers, those of their tenants' officers."""
    visits = Visit.objects.filter(
        box__plan__beat__plan__tenant__in=tenants_for(request.user)
    ).select_related("box__plan__beat__plan__tenant")
    return [_visit_out(v) for v in visits[:500] if request.user.has_perm("policing.view_visit", v)]
