"""Named reads of projects, and the control areas suggested for an evaluation."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
import shapely
from django.db.models import OuterRef, QuerySet, Subquery

from prossima.accounts.models import Organisation
from prossima.interventions.models import Evaluation, Project

MAX_SUGGESTIONS = 5


def projects_of(tenant: Organisation) -> QuerySet[Project]:
    """Return a tenant's projects, latest start first."""
    return Project.objects.filter(tenant=tenant)


def published_projects() -> QuerySet[Project]:
    """Return every published project with the verdict of its latest evaluation."""
    latest = Evaluation.objects.filter(project=OuterRef("pk")).order_by("-created_at")
    return (
        Project.objects.filter(published=True)
        .select_related("tenant")
        .annotate(latest_verdict=Subquery(latest.values("verdict")[:1]))
    )


def _candidate_squares(treated: shapely.Geometry, events: Any) -> dict[str, shapely.Geometry]:
    """Return squares the size of the project area tiled over the incidents' extent."""
    minx, miny, maxx, maxy = treated.bounds
    side_x, side_y = maxx - minx, maxy - miny
    ex0, ey0 = float(events.lon.min()), float(events.lat.min())
    ex1, ey1 = float(events.lon.max()), float(events.lat.max())
    squares = {}
    nx = min(40, max(1, math.floor((ex1 - ex0) / side_x)))
    ny = min(40, max(1, math.floor((ey1 - ey0) / side_y)))
    for i in range(nx):
        for j in range(ny):
            x, y = ex0 + i * side_x, ey0 + j * side_y
            squares[f"{y + side_y / 2:.4f}, {x + side_x / 2:.4f}"] = shapely.box(
                x, y, x + side_x, y + side_y
            )
    return squares


def control_suggestions(project: Project) -> list[dict[str, Any]]:
    """Return candidate control areas whose past monthly counts follow the project area's.

    Candidates are the comune's sub-areas when it has them, else squares the
    size of the project area over the incidents' extent.
    """
    from prossima.analysis.impact import suggest_controls
    from prossima.analytics.queries import events_for

    if project.dataset is None or not project.dataset.incidents.exists():
        return []
    treated = shapely.from_geojson(project.area)
    start = project.start_date.replace(day=1)
    # Only the year before the start decides the suggestion: read no more than that.
    since = start.replace(year=start.year - 1)
    try:
        events = events_for(
            project.dataset, {"since": since.isoformat(), "until": project.start_date.isoformat()}
        )
    except ValueError:  # no incidents in that year
        return []
    tenant = project.tenant
    candidates: dict[str, shapely.Geometry] = {}
    if tenant.comune_id is not None:
        for name, text in tenant.comune.subareas.values_list("name", "boundary"):  # type: ignore[union-attr]
            candidates[name] = shapely.from_geojson(text)
    if not candidates:
        candidates = _candidate_squares(treated, events)
    try:
        ranked = suggest_controls(
            events, treated, candidates, project.start_date.isoformat(), months_before=12
        )
    except ValueError:
        return []
    out = []
    for name, row in ranked.head(MAX_SUGGESTIONS).iterrows():
        correlation = row.get("correlation")
        out.append(
            {
                "name": str(name),
                "correlation": None if pd.isna(correlation) else float(correlation),
                "geojson": json.dumps(shapely.geometry.mapping(candidates[str(name)])),
            }
        )
    return out
