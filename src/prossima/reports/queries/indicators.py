"""Reads of the indicators: who sees which, a comune's series, peer bands, national maps."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Max, QuerySet

from prossima.accounts.models import Organisation, OrganisationKind
from prossima.accounts.permissions import sees_all_aggregates
from prossima.practices.models import SIZE_CLASS_BOUNDS, SizeClass, size_class_of
from prossima.reports.indicators import BY_CODE, Indicator
from prossima.reports.models import IndicatorValue
from prossima.territory.models import Comune, Region

MAP_CACHE_VERSION_KEY = "reports:map-version"
# Fewer comparable comuni than this and the band would describe a handful of
# places: widen the group to the whole country, then give up.
MIN_PEERS = 5


def tenants_of(comune: Comune) -> list[Organisation]:
    """Return the platform organisations that govern a comune (its tenants)."""
    return list(Organisation.objects.filter(comune=comune, kind=OrganisationKind.COMUNE))


def is_own_staff(user: Any, comune: Comune) -> bool:
    """Return whether the user works on the comune's restricted data (sees small counts)."""
    return any(user.has_perm("prossima.view_restricted", t) for t in tenants_of(comune))


def may_see(user: Any, indicator: Indicator, comune: Comune | None = None) -> bool:
    """Return whether the user may see an indicator (of a comune, or nationally)."""
    if indicator.public:
        return True
    if getattr(user, "is_superuser", False) or sees_all_aggregates(user):
        return True
    return comune is not None and any(
        user.has_perm("prossima.view_aggregates", t) for t in tenants_of(comune)
    )


def latest_year(code: str) -> int | None:
    """Return the latest year with stored values of an indicator."""
    return IndicatorValue.objects.filter(indicator=code).aggregate(y=Max("year"))["y"]


def stored_years(code: str | None = None) -> list[int]:
    """Return the years with stored indicators (of one indicator if given), newest first."""
    found = (
        IndicatorValue.objects.all()
        if code is None
        else IndicatorValue.objects.filter(indicator=code)
    )
    return sorted(set(found.values_list("year", flat=True).distinct()), reverse=True)


@dataclass
class Point:
    """One value as it may be shown: None when there is none or it is suppressed."""

    year: int
    value: float | None
    suppressed: bool
    numerator: float | None


def shown(v: IndicatorValue, own: bool) -> Point:
    """Return a stored value as the viewer may see it (own staff see small counts)."""
    hidden = v.suppressed and not own
    return Point(v.year, None if hidden else v.value, hidden, None if hidden else v.numerator)


def series(comune: Comune, code: str, own: bool, breakdown: str = "") -> list[Point]:
    """Return a comune's values of an indicator by year."""
    found = IndicatorValue.objects.filter(
        comune=comune, indicator=code, breakdown=breakdown
    ).order_by("year")
    return [shown(v, own) for v in found]


def size_bounds(size_class: str) -> tuple[int, int | None]:
    """Return the population range (lower, upper or None) of a size class."""
    lower = 0
    for bound, code in SIZE_CLASS_BOUNDS:
        if code == size_class:
            return lower, bound
        lower = bound + 1
    return lower, None


@dataclass
class Band:
    """Where the middle half of comparable comuni lies."""

    p25: float
    median: float
    p75: float
    peers: int
    scope: str  # "region" (same size class and region) or "italy" (same size class)


def peer_band(comune: Comune, code: str, year: int, breakdown: str = "") -> Band | None:
    """Return the band of comuni like this one (size class, then region) for a year.

    Suppressed values are left out; so is the comune itself. A band, not a
    rank: the platform does not publish league tables of crime.
    """
    size = size_class_of(comune.population)
    if not size:
        return None
    lower, upper = size_bounds(size)
    found = IndicatorValue.objects.filter(
        indicator=code,
        year=year,
        breakdown=breakdown,
        suppressed=False,
        value__isnull=False,
        comune__population__gte=lower,
    ).exclude(comune=comune)
    if upper is not None:
        found = found.filter(comune__population__lte=upper)
    for scope, scoped in (
        ("region", found.filter(comune__region_id=comune.region_id)),
        ("italy", found),
    ):
        values = [v for v in scoped.values_list("value", flat=True) if v is not None]
        if len(values) >= MIN_PEERS:
            q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
            return Band(q1, q2, q3, len(values), scope)
    return None


def size_label(comune: Comune) -> str:
    """Return the name of the comune's size class."""
    size = size_class_of(comune.population)
    return str(SizeClass(size).label) if size else ""


def values_for_map(code: str, year: int) -> QuerySet[IndicatorValue]:
    """Return the stored, publishable values of an indicator for a year (all comuni)."""
    return IndicatorValue.objects.filter(
        indicator=code, year=year, breakdown="", suppressed=False, value__isnull=False
    )


def national_map(code: str, year: int) -> dict[str, Any]:
    """Return an indicator's values for a year by comune (points) and by region.

    Read from the stored aggregates and cached until the next computation; a
    region's value is its comuni's numerators over their denominators where
    the indicator is a ratio, otherwise the median of its comuni.
    """
    version = cache.get(MAP_CACHE_VERSION_KEY) or 0
    key = f"reports:map:{code}:{year}:{version}"
    found = cache.get(key)
    if found is not None:
        return found
    indicator = BY_CODE[code]
    rows = values_for_map(code, year).values_list(
        "comune__istat_code",
        "comune__name",
        "comune__centroid_lon",
        "comune__centroid_lat",
        "comune__region__code",
        "value",
        "numerator",
        "denominator",
    )
    comuni = []
    by_region: dict[str, list[tuple[float, float | None, float | None]]] = {}
    for istat, name, lon, lat, region, value, numerator, denominator in rows:
        if value is None:
            continue
        comuni.append([istat, name, lon, lat, round(value, 4)])
        by_region.setdefault(region, []).append((value, numerator, denominator))
    names = dict(Region.objects.values_list("code", "name"))
    regions = []
    for region, values in sorted(by_region.items()):
        ratio = indicator.value_of is None and all(d for _v, _n, d in values)
        if ratio:
            value = indicator.value(
                sum(n or 0 for _v, n, _d in values), sum(d or 0 for _v, _n, d in values)
            )
        else:
            value = statistics.median(v for v, _n, _d in values)
        regions.append(
            {
                "code": region,
                "name": names.get(region, region),
                "value": None if value is None else round(value, 4),
                "comuni": len(values),
            }
        )
    result = {"indicator": code, "year": year, "comuni": comuni, "regions": regions}
    cache.set(key, result, 24 * 3600)
    return result


def region_shapes() -> dict[str, Any]:
    """Return the simplified boundaries of the regions as GeoJSON (cached for a day)."""
    import json

    key = "reports:region-shapes"
    found = cache.get(key)
    if found is not None:
        return found
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name},
            "geometry": json.loads(shape),
        }
        for code, name, shape in Region.objects.exclude(boundary_simplified="").values_list(
            "code", "name", "boundary_simplified"
        )
    ]
    result = {"type": "FeatureCollection", "features": features}
    cache.set(key, result, 24 * 3600)
    return result
