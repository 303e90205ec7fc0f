"""Named reads of the seizures: lists, totals for a period, map points, street-trade hot spots.

Totals are aggregates (what the association and the research institute may
see); map points and the list carry places and addresses, for the tenant's
police and staff only. The street-trade hot spots run Gi* on 250 m cells over
the street seizures of a period, once there are enough of them to analyse.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import shapely
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats

from prossima.accounts.models import Organisation
from prossima.accounts.permissions import TENANT_KINDS
from prossima.analysis.events import EventSet
from prossima.analysis.grid import Grid
from prossima.counterfeit.models import (
    PlaceType,
    ProductCategory,
    QuantityUnit,
    SeizedGoods,
    Seizure,
)

# Gi* needs enough events for its z-scores to mean anything; below this the
# dashboard says there are too few street seizures to analyse.
MIN_STREET_SEIZURES = 30
HOTSPOT_CELL_M = 250.0
TOP_BRANDS = 20
# Most operations the map shows at once; beyond it the page asks for a shorter period.
MAX_MAP_POINTS = 5000


def seizures_of(
    tenant: Organisation,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    *,
    place_type: str = "",
    category: str = "",
    outcome: str = "",
    text: str = "",
) -> QuerySet[Seizure]:
    """Return the tenant's operations of a period (both days included), with optional filters."""
    qs = Seizure.objects.filter(tenant=tenant)
    if date_from is not None:
        qs = qs.filter(seized_on__gte=date_from)
    if date_to is not None:
        qs = qs.filter(seized_on__lte=date_to)
    if place_type:
        qs = qs.filter(place_type=place_type)
    if outcome:
        qs = qs.filter(outcome=outcome)
    if category:
        qs = qs.filter(goods__category=category)
    if text.strip():
        needle = text.strip()
        qs = qs.filter(
            Q(reference__icontains=needle)
            | Q(goods__brand__icontains=needle)
            | Q(address__icontains=needle)
            | Q(unit__icontains=needle)
        )
    if category or text.strip():
        qs = qs.distinct()
    return qs


@dataclass
class TotalRow:
    """The totals of one group of seizures (a category, a brand, a place, a month)."""

    key: str
    label: str
    operation_ids: set[int] = field(default_factory=set)
    quantity_by_unit: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    value: Decimal = Decimal(0)
    lines: int = 0
    lines_with_value: int = 0
    health_lines: int = 0

    @property
    def operations(self) -> int:
        """Return how many operations seized goods of this group."""
        return len(self.operation_ids)

    @property
    def quantities(self) -> list[tuple[str, str, Decimal]]:
        """Return (unit, unit label, quantity) in the order of the units."""
        return [
            (unit, str(label), self.quantity_by_unit[unit])
            for unit, label in QuantityUnit.choices
            if self.quantity_by_unit.get(unit)
        ]

    @property
    def health_share(self) -> float | None:
        """Return the share of the lines of goods that carry a health risk (0-1)."""
        return self.health_lines / self.lines if self.lines else None

    @property
    def health_percent(self) -> int | None:
        """Return the share with a health risk as a whole percentage."""
        share = self.health_share
        return None if share is None else round(share * 100)

    def add_line(
        self,
        seizure_id: int,
        quantity: Decimal,
        unit: str,
        unit_value: Decimal | None,
        health_risk: bool,
    ) -> None:
        """Count one line of goods."""
        self.operation_ids.add(seizure_id)
        self.quantity_by_unit[unit] += quantity
        self.lines += 1
        if unit_value is not None:
            self.value += quantity * unit_value
            self.lines_with_value += 1
        if health_risk:
            self.health_lines += 1

    def as_dict(self) -> dict[str, Any]:
        """Return the row as JSON-ready values (quantities and value as strings)."""
        return {
            "key": self.key,
            "label": self.label,
            "operations": self.operations,
            "quantity_by_unit": {u: str(q) for u, _l, q in self.quantities},
            "genuine_value": str(self.value.quantize(Decimal("0.01"))),
            "lines": self.lines,
            "health_share": self.health_share,
        }


@dataclass
class Totals:
    """The totals of a tenant's seizures over a period."""

    overall: TotalRow
    by_category: list[TotalRow]
    by_brand: list[TotalRow]
    by_place: list[TotalRow]
    by_month: list[TotalRow]
    brands_named: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the totals as JSON-ready values."""
        return {
            "overall": self.overall.as_dict(),
            "by_category": [r.as_dict() for r in self.by_category],
            "by_brand": [r.as_dict() for r in self.by_brand],
            "by_place": [r.as_dict() for r in self.by_place],
            "by_month": [r.as_dict() for r in self.by_month],
        }


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months = []
    day = first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def _month_label(day: dt.date) -> str:
    return formats.date_format(day, "YEAR_MONTH_FORMAT")


def totals(
    tenant: Organisation, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> Totals:
    """Return the operations, quantities by unit, genuine market value and share with a
    health risk, overall and per product category, brand (the top 20), place type and month.

    An operation counts once in each group it has goods in; brands are grouped
    without regard to case, and goods without a brand are left out of the brands.
    """
    qs = seizures_of(tenant, date_from, date_to)
    overall = TotalRow("", "")
    categories = {value: TotalRow(value, str(label)) for value, label in ProductCategory.choices}
    places = {value: TotalRow(value, str(label)) for value, label in PlaceType.choices}
    brands: dict[str, TotalRow] = {}
    months: dict[dt.date, TotalRow] = {}
    operations = list(qs.values_list("id", "place_type", "seized_on"))
    for pk, place, day in operations:
        month = day.replace(day=1)
        if month not in months:
            months[month] = TotalRow(month.strftime("%Y-%m"), _month_label(month))
        months[month].operation_ids.add(pk)
        overall.operation_ids.add(pk)
        if place in places:
            places[place].operation_ids.add(pk)
    lines = SeizedGoods.objects.filter(seizure__in=qs.values("id")).values_list(
        "seizure_id",
        "seizure__place_type",
        "seizure__seized_on",
        "category",
        "brand",
        "quantity",
        "quantity_unit",
        "genuine_unit_value",
        "health_risk",
    )
    for pk, place, day, category, brand, quantity, unit, unit_value, health in lines:
        line = (pk, quantity, unit, unit_value, health)
        overall.add_line(*line)
        if category in categories:
            categories[category].add_line(*line)
        if place in places:
            places[place].add_line(*line)
        months[day.replace(day=1)].add_line(*line)
        name = " ".join(brand.split())
        if name:
            key = name.casefold()
            if key not in brands:
                brands[key] = TotalRow(key, name)
            brands[key].add_line(*line)
    by_month = []
    if months:
        for month in _months(min(months), max(months)):
            by_month.append(
                months.get(month) or TotalRow(month.strftime("%Y-%m"), _month_label(month))
            )
    ranked = sorted(brands.values(), key=lambda r: (-r.operations, -r.value, r.label.casefold()))
    return Totals(
        overall=overall,
        by_category=sorted(
            (r for r in categories.values() if r.lines),
            key=lambda r: (-r.operations, -r.value, r.label),
        ),
        by_brand=ranked[:TOP_BRANDS],
        by_place=[r for r in places.values() if r.operations],
        by_month=by_month,
        brands_named=len(brands),
    )


def map_points(
    tenant: Organisation, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> tuple[list[dict[str, Any]], int]:
    """Return the operations with a point (up to MAX_MAP_POINTS) and how many have one."""
    qs = seizures_of(tenant, date_from, date_to).filter(lon__isnull=False, lat__isnull=False)
    total = qs.count()
    if total > MAX_MAP_POINTS:
        return [], total
    labels = dict(PlaceType.choices)
    points = [
        {
            "lat": round(float(lat or 0), 6),
            "lon": round(float(lon or 0), 6),
            "date": day.isoformat(),
            "place": place,
            "placeLabel": str(labels.get(place, place)),
            "reference": reference,
            "url": reverse("counterfeit:seizure", args=[tenant.slug, pk]),
        }
        for pk, lat, lon, day, place, reference in qs.values_list(
            "id", "lat", "lon", "seized_on", "place_type", "reference"
        )
    ]
    return points, total


def street_points(
    tenant: Organisation, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> QuerySet[Seizure]:
    """Return the street seizures of a period that have a point: what the hot spots analyse."""
    return seizures_of(tenant, date_from, date_to, place_type=PlaceType.STREET).filter(
        lon__isnull=False, lat__isnull=False
    )


@dataclass
class StreetHotspots:
    """The street-trade hot spots of a period, or why there are none."""

    count: int
    minimum: int = MIN_STREET_SEIZURES
    cells: dict[str, Any] | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def enough(self) -> bool:
        """Return whether there are enough street seizures to analyse."""
        return self.count >= self.minimum


def street_events(tenant: Organisation, rows: Iterable[tuple[float, float, dt.date]]) -> EventSet:
    """Return seizure points as an EventSet (as analytics.queries.events_for does for incidents).

    A seizure is known by its day: each is placed at local midnight of the
    tenant's time zone, with a time resolution of a day.
    """
    frame = pd.DataFrame(list(rows), columns=["lon", "lat", "day"])
    zone = zoneinfo.ZoneInfo(tenant.timezone)
    times = pd.to_datetime(
        [dt.datetime.combine(d, dt.time(), tzinfo=zone) for d in frame["day"]], utc=True
    )
    return EventSet.from_lonlat(
        frame["lon"].to_numpy(np.float64),
        frame["lat"].to_numpy(np.float64),
        times,
        pd.Categorical([PlaceType.STREET.value] * len(frame)),
        time_resolution="day",
        tz=tenant.timezone,
    )


def street_hotspots(
    tenant: Organisation, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> StreetHotspots:
    """Return the Gi* hot spots of street seizures on 250 m cells, when there are enough.

    The cells are those of the tenant's comune (or, for a partner city, of the
    seizures' convex hull). Only cells with seizures or a significant class
    are returned, as GeoJSON with ``count``, ``gi_class`` (-3..3) and ``gi_z``.
    """
    from prossima.analysis.layers import hotspot_layer

    rows = [
        (float(lon or 0), float(lat or 0), day)
        for lon, lat, day in street_points(tenant, date_from, date_to).values_list(
            "lon", "lat", "seized_on"
        )
    ]
    result = StreetHotspots(count=len(rows))
    if not result.enough:
        return result
    events = street_events(tenant, rows)
    boundary = None
    comune = tenant.comune
    if comune is not None and comune.boundary:
        boundary = shapely.from_geojson(comune.boundary)
    grid = Grid.from_events(events, HOTSPOT_CELL_M, boundary)
    layer = hotspot_layer(events, grid)
    counts = layer.properties["count"]
    classes = layer.properties["gi_class"]
    keep = (counts > 0) | (classes != 0)
    doc = layer.geojson()
    features = []
    for feature, kept in zip(doc["features"], keep.tolist(), strict=True):
        if not kept:
            continue
        props = feature["properties"]
        feature["properties"] = {
            "cell_id": props["cell_id"],
            "count": props["count"],
            "gi_class": props["gi_class"],
            "gi_z": None if props["gi_z"] is None else round(props["gi_z"], 3),
        }
        features.append(feature)
    result.cells = {"type": "FeatureCollection", "features": features}
    result.summary = {
        "events_analysed": layer.summary["events_analysed"],
        "events_outside_grid": layer.summary["events_outside_grid"],
        "cells": layer.summary["cells"],
        "cell_size_m": layer.summary["cell_size_m"],
        "hot_cells": int((classes > 0).sum()),
        "cold_cells": int((classes < 0).sum()),
    }
    return result


def tenants_with_totals(
    user: Any, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> list[dict[str, Any]]:
    """Return, for each tenant whose seizure totals the user sees, its headline totals."""
    tenants = (
        Organisation.objects.filter(kind__in=TENANT_KINDS, seizures__isnull=False)
        .distinct()
        .order_by("name")
    )
    rows = []
    for tenant in tenants:
        if not user.has_perm("counterfeit.view_seizure_totals", tenant):
            continue
        overall = totals(tenant, date_from, date_to).overall
        rows.append({"tenant": tenant, "totals": overall})
    return rows
