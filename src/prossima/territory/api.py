"""API endpoints for comuni: search, detail with population, boundary, sub-areas, lookup."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from prossima.config.openapi import ErrorOut
from prossima.territory.models import Comune
from prossima.territory.queries import (
    comune_at,
    comune_by_code,
    population_summary,
    search_comuni,
)

router = Router()


class ComuneOut(Schema):
    istat_code: str
    cadastral_code: str
    name: str
    province: str
    province_code: str
    region: str
    region_code: str
    population: int | None
    area_km2: float | None
    centroid: list[float] | None
    url: str


class PyramidBand(Schema):
    band: str
    males: int
    females: int


class PopulationOut(Schema):
    year: int
    total: int
    males: int
    females: int
    minors_share: float | None
    aged_65_plus_share: float | None
    aged_80_plus_share: float | None
    old_age_dependency: float | None
    pyramid: list[PyramidBand]


class ComuneDetailOut(ComuneOut):
    bbox: list[float] | None
    population_detail: PopulationOut | None
    attribution: str


class SearchParams(Schema):
    q: str = ""
    limit: int = 20


def _comune_out(c: Comune) -> dict[str, Any]:
    return {
        "istat_code": c.istat_code,
        "cadastral_code": c.cadastral_code,
        "name": c.name,
        "province": c.province.name,
        "province_code": c.province.code,
        "region": c.region.name,
        "region_code": c.region.code,
        "population": c.population,
        "area_km2": c.area_km2,
        "centroid": ([c.centroid_lon, c.centroid_lat] if c.centroid_lon is not None else None),
        "url": c.get_absolute_url(),
    }


def _get(istat_code: str) -> Comune:
    found = comune_by_code(istat_code)
    if found is None:
        raise HttpError(
            404, f"No comune with ISTAT code {istat_code!r}; codes have six digits, e.g. 037006."
        )
    return found


@router.get("", response=list[ComuneOut], summary="Search comuni by name or code")
def list_comuni(request: HttpRequest, params: Query[SearchParams]) -> list[dict[str, Any]]:
    """Return comuni whose name contains ``q`` or whose ISTAT/cadastral code matches."""
    if not 1 <= params.limit <= 100:
        raise HttpError(422, "limit must be between 1 and 100.")
    return [_comune_out(c) for c in search_comuni(params.q, limit=params.limit)]


@router.get(
    "/at", response={200: ComuneOut, 404: ErrorOut}, summary="Find the comune containing a point"
)
def comune_at_point(request: HttpRequest, lon: float, lat: float) -> dict[str, Any]:
    """Return the comune whose boundary contains the WGS84 point (lon, lat)."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise HttpError(422, "lon must be within -180..180 and lat within -90..90 (WGS84).")
    found = comune_at(lon, lat)
    if found is None:
        raise HttpError(404, "No loaded comune contains this point.")
    return _comune_out(found)


@router.get("/{istat_code}", response=ComuneDetailOut, summary="A comune with its population")
def comune_detail(request: HttpRequest, istat_code: str) -> dict[str, Any]:
    """Return a comune with its population summary and five-year pyramid."""
    c = _get(istat_code)
    summary = population_summary(c)
    population = None
    if summary is not None:
        population = {
            "year": summary.year,
            "total": summary.total,
            "males": summary.males_total,
            "females": summary.females_total,
            "minors_share": summary.minors_share,
            "aged_65_plus_share": summary.aged_65_plus_share,
            "aged_80_plus_share": summary.aged_80_plus_share,
            "old_age_dependency": summary.old_age_dependency,
            "pyramid": summary.pyramid,
        }
    bbox = c.bbox()
    return {
        **_comune_out(c),
        "bbox": list(bbox) if bbox else None,
        "population_detail": population,
        "attribution": "Openpolis (CC-BY 4.0), ISTAT",
    }


@router.get(
    "/{istat_code}/boundary",
    response=dict[str, Any],
    url_name="comune_boundary",
    summary="Boundary of a comune as a GeoJSON Feature",
)
def comune_boundary(
    request: HttpRequest, istat_code: str, simplified: bool = True
) -> dict[str, Any]:
    """Return the boundary (WGS84); ``simplified=false`` gives the full-detail geometry."""
    c = _get(istat_code)
    text = c.boundary_simplified if simplified else c.boundary
    if not text:
        raise Http404
    return {
        "type": "Feature",
        "id": c.istat_code,
        "geometry": json.loads(text),
        "properties": {
            "istat_code": c.istat_code,
            "name": c.name,
            "attribution": "Openpolis, CC-BY 4.0",
        },
    }


@router.get(
    "/{istat_code}/subareas",
    response=dict[str, Any],
    url_name="comune_subareas",
    summary="Sub-areas of a comune as a GeoJSON FeatureCollection",
)
def comune_subareas(request: HttpRequest, istat_code: str) -> dict[str, Any]:
    """Return the comune's sub-areas (simplified boundaries)."""
    c = _get(istat_code)
    features = [
        {
            "type": "Feature",
            "id": f"{a.kind}:{a.code}",
            "geometry": json.loads(a.boundary_simplified),
            "properties": {"code": a.code, "name": a.name, "kind": a.kind},
        }
        for a in c.subareas.all()
    ]
    return {"type": "FeatureCollection", "features": features}
