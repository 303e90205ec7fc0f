"""Named reads for analyses: the incidents a run uses, runs, layers and public layers."""

from __future__ import annotations

import datetime as dt
import re
import time
import zoneinfo
from typing import Any

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db.models import Q, QuerySet

from prossima.accounts.models import Organisation
from prossima.analysis.events import EventSet
from prossima.analytics.models import AnalysisRun, RunKind, RunLayer
from prossima.incidents.models import Dataset, Incident

TIME_RESOLUTIONS = ["exact", "hour", "day", "month"]
# Most points the restricted map asks for at once; beyond it the page asks for
# a narrower filter rather than sending tens of thousands of markers.
MAX_MAP_POINTS = 20_000
# Publishing clears the shared cache at once; the timeout only bounds stale entries.
PUBLIC_LAYER_CACHE_SECONDS = 300


def area_choices(dataset: Dataset) -> list[tuple[str, str]]:
    """Return the areas a run or the map can be limited to.

    The comune's imported sub-areas when there are any, else the area names
    written in the source file (e.g. Toronto's neighbourhoods).
    """
    tenant = dataset.tenant
    if tenant.comune_id is not None:
        subareas = list(
            tenant.comune.subareas.order_by("name").values_list("id", "name")  # type: ignore[union-attr]
        )
        if subareas:
            return [(f"subarea:{pk}", name) for pk, name in subareas]
    labels = (
        Incident.objects.filter(dataset=dataset)
        .exclude(area_label="")
        .values_list("area_label", flat=True)
        .distinct()
        .order_by("area_label")
    )
    return [(f"label:{label}", label) for label in labels[:2000]]


def _local_midnight(day: str | dt.date, zone: str) -> dt.datetime:
    date = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return dt.datetime.combine(date, dt.time(), tzinfo=zoneinfo.ZoneInfo(zone))


def incidents_for(dataset: Dataset, params: dict[str, Any]) -> QuerySet[Incident]:
    """Return the dataset's incidents selected by categories, period and area."""
    zone = dataset.tenant.timezone
    qs = Incident.objects.filter(dataset=dataset)
    if params.get("categories"):
        qs = qs.filter(category__code__in=params["categories"])
    if params.get("since"):
        qs = qs.filter(occurred_from__gte=_local_midnight(params["since"], zone))
    if params.get("until"):
        qs = qs.filter(occurred_from__lt=_local_midnight(params["until"], zone))
    area = str(params.get("area") or "")
    kind, _sep, value = area.partition(":")
    if kind == "subarea" and value.isdigit():
        qs = qs.filter(subarea_id=int(value))
    elif kind == "label" and value:
        qs = qs.filter(area_label=value)
    return qs


def events_for(dataset: Dataset, params: dict[str, Any], crs: str | None = None) -> EventSet:
    """Return the selected incidents as an EventSet for the analytic core.

    The category is the taxonomy code, or the source's label for incidents
    not mapped to the taxonomy; the area name travels as the ``subarea``
    attribute (used by the fairness check of backtests). ``crs`` projects to
    a given metric CRS (a stored grid's) instead of the data's UTM zone.
    Raises ValueError when nothing is selected.
    """
    rows = list(
        incidents_for(dataset, params)
        .order_by("occurred_from", "pk")
        .values_list(
            "lon",
            "lat",
            "occurred_from",
            "category__code",
            "source_category",
            "area_label",
            "time_resolution",
        )
    )
    if not rows:
        raise ValueError("No incidents match the chosen categories, period and area.")
    frame = pd.DataFrame(rows, columns=["lon", "lat", "t", "code", "label", "area", "resolution"])
    category = frame["code"].where(frame["code"].notna(), frame["label"]).astype(str)
    present = set(frame["resolution"])
    resolution = max(
        present, key=lambda r: TIME_RESOLUTIONS.index(r) if r in TIME_RESOLUTIONS else 0
    )
    return EventSet.from_lonlat(
        frame["lon"].to_numpy(np.float64),
        frame["lat"].to_numpy(np.float64),
        pd.to_datetime(frame["t"], utc=True),
        pd.Categorical(category),
        crs=crs,
        attributes={"subarea": frame["area"].to_numpy(dtype=object)},
        time_resolution=resolution,
        tz=dataset.tenant.timezone,
    )


def runs_of(tenant: Organisation, kind: str | None = None) -> QuerySet[AnalysisRun]:
    """Return a tenant's runs, newest first, with their dataset and job."""
    qs = AnalysisRun.objects.filter(tenant=tenant).select_related("dataset", "job", "created_by")
    return qs.filter(kind=kind) if kind else qs


def finished_runs(tenant: Organisation, kinds: list[str] | None = None) -> QuerySet[AnalysisRun]:
    """Return the runs of a tenant whose results are stored, newest first."""
    qs = runs_of(tenant).filter(finished_at__isnull=False)
    return qs.filter(kind__in=kinds) if kinds else qs


def layer_of(run: AnalysisRun, name: str) -> RunLayer | None:
    """Return a stored layer of a run, or None."""
    return RunLayer.objects.filter(run=run, name=name).first()


def published_run(tenant: Organisation, kind: str = RunKind.HOTSPOTS) -> AnalysisRun | None:
    """Return the tenant's latest published run of ``kind`` (what the public page shows)."""
    return (
        AnalysisRun.objects.filter(tenant=tenant, kind=kind, published_at__isnull=False)
        .select_related("dataset")
        # The page shows the run's facts; the layer itself is fetched separately.
        .defer("public_layer")
        .order_by("-published_at")
        .first()
    )


def public_tenants() -> QuerySet[Organisation]:
    """Return the tenants that publish at least one aggregated layer."""
    return (
        Organisation.objects.filter(Q(runs__published_at__isnull=False)).distinct().order_by("name")
    )


def incident_months(dataset: Dataset) -> list[str]:
    """Return every month (YYYY-MM, local time) from the dataset's first to last incident."""
    qs = Incident.objects.filter(dataset=dataset).order_by("occurred_from")
    first = qs.values_list("occurred_from", flat=True).first()
    last = qs.reverse().values_list("occurred_from", flat=True).first()
    if first is None or last is None:
        return []
    zone = zoneinfo.ZoneInfo(dataset.tenant.timezone)
    start = pd.Period(first.astimezone(zone).strftime("%Y-%m"), freq="M")
    end = pd.Period(last.astimezone(zone).strftime("%Y-%m"), freq="M")
    return [str(p) for p in pd.period_range(start, end, freq="M")]


def map_points(dataset: Dataset, params: dict[str, Any]) -> tuple[list[list[Any]], int]:
    """Return up to MAX_MAP_POINTS incidents as [lat, lon, category, local date] and the total."""
    qs = incidents_for(dataset, params)
    total = qs.count()
    if total > MAX_MAP_POINTS:
        return [], total
    zone = zoneinfo.ZoneInfo(dataset.tenant.timezone)
    points = [
        [round(lat, 6), round(lon, 6), code or label, when.astimezone(zone).date().isoformat()]
        for lat, lon, code, label, when in qs.values_list(
            "lat", "lon", "category__code", "source_category", "occurred_from"
        )
    ]
    return points, total


def public_layer_cache_key(slug: str) -> str:
    """Return the cache key of a tenant's public layer."""
    return f"analytics:public-layer:{slug}"


# Each web worker keeps the text a few seconds in its own memory: reading 400 KB
# from the shared cache on every request costs more than serving it (measured
# p95 at 50 clients: 100 ms from the file cache alone). A withdrawal therefore
# reaches every worker within LOCAL_SECONDS.
LOCAL_SECONDS = 5.0
_local: dict[str, tuple[float, str]] = {}


def forget_local_public_layer(slug: str) -> None:
    """Drop this process's copy of a tenant's public layer."""
    _local.pop(slug, None)


# An organisation's short name (a SlugField of at most 80 characters).
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")


def public_layer_text(slug: str) -> str | None:
    """Return the stored public hotspot layer of a tenant, from the caches when possible."""
    if not SLUG.fullmatch(slug):
        # No tenant has this name: answer without a cache entry for text from the URL.
        return None
    now = time.monotonic()
    held = _local.get(slug)
    if held is not None and held[0] > now:
        return held[1] or None
    key = public_layer_cache_key(slug)
    text = cache.get(key)
    if text is None:
        run = (
            AnalysisRun.objects.filter(
                tenant__slug=slug, kind=RunKind.HOTSPOTS, published_at__isnull=False
            )
            .order_by("-published_at")
            .values_list("public_layer", flat=True)
            .first()
        )
        # An empty string caches "nothing published" too, so misses cost no query either.
        text = run or ""
        cache.set(key, text, PUBLIC_LAYER_CACHE_SECONDS)
    if text:
        # Only published layers: a copy per name a client makes up would grow without end.
        _local[slug] = (now + LOCAL_SECONDS, text)
    return text or None
