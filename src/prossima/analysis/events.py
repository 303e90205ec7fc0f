"""Hold a set of point events (incidents) in projected metres, with time and category.

API
---
``EventSet`` is an immutable bundle of parallel arrays, one entry per event:

- ``x``, ``y``: ``float64`` metres in the projected CRS named by ``crs``
  (for example ``"EPSG:32617"``, UTM zone 17N for Toronto).
- ``lon``, ``lat``: ``float64`` WGS84 degrees, kept so that outputs can be
  written back in WGS84 without an inverse projection.
- ``t``: ``numpy.datetime64[ns]`` holding **UTC instants**. numpy has no time
  zones, so the convention is fixed: every value is UTC. Timestamps enter
  timezone-aware (``EventSet.from_lonlat`` refuses naive pandas/datetime
  input) and ``tz`` remembers the local zone of the source for display.
- ``category``: ``pandas.Categorical`` of strings (compact for millions of rows).
- ``weight``: optional ``float64`` array (for example the number of offences).
- ``attributes``: dict of extra per-event arrays (Toronto ``Neighbourhood``,
  police.uk ``LSOA code``); repetitive text is a ``pandas.Categorical``.
- ``time_resolution``: how precise ``t`` is at the source: ``"exact"``,
  ``"hour"`` (Toronto MCI) or ``"month"`` (police.uk, time = first of month).

Build one with ``EventSet.from_lonlat(lon, lat, t, category, crs=None)``: when
``crs`` is ``None`` the UTM zone of the centroid of the events is chosen
(``utm_crs_for``), north or south of the equator. Filter with ``select(mask)``,
``before(ts)``, ``between(a, b)``, ``of_category(*names)``; ``len(events)``
gives the count; ``to_lonlat()`` returns ``(lon, lat)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
from pyproj import CRS, Transformer

__all__ = ["EventSet", "project_lonlat", "to_utc_ns", "utm_crs_for"]

WGS84 = "EPSG:4326"

# A per-event attribute: a numpy array, or a Categorical for repetitive text (less memory).
Attribute = np.ndarray | pd.Categorical


def concat_attribute(parts: list[Attribute]) -> Attribute:
    """Concatenate attribute arrays, keeping Categoricals categorical."""
    cats = [p for p in parts if isinstance(p, pd.Categorical)]
    if len(cats) == len(parts):
        return cast(pd.Categorical, union_categoricals(cast(Any, cats)))
    return np.concatenate([np.asarray(p, dtype=object) for p in parts])


def utm_crs_for(lon: np.ndarray, lat: np.ndarray) -> str:
    """Return the EPSG code of the WGS84 UTM zone holding the centroid of the points."""
    if len(lon) == 0:
        raise ValueError("Cannot choose a UTM zone for an empty set of events; pass crs=.")
    # The mean of finite coordinates is robust enough for city-sized data.
    clon = float(np.nanmean(lon))
    clat = float(np.nanmean(lat))
    zone = int(np.floor((clon + 180.0) / 6.0)) % 60 + 1
    return f"EPSG:{32600 + zone if clat >= 0 else 32700 + zone}"


def project_lonlat(lon: np.ndarray, lat: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 lon/lat degrees to ``crs`` and return ``(x, y)``."""
    target = CRS.from_user_input(crs)
    if not target.is_projected:
        raise ValueError(
            f"CRS {crs!r} is not projected (its units are not metres); "
            "give a projected CRS such as a UTM zone, e.g. EPSG:32632."
        )
    transformer = Transformer.from_crs(WGS84, target, always_xy=True)
    x, y = transformer.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, np.float64), np.asarray(y, np.float64)


def to_utc_ns(t: Any) -> np.ndarray:
    """Return timezone-aware timestamps as ``datetime64[ns]`` UTC instants.

    Accept a pandas Series/DatetimeIndex with a time zone, a sequence of aware
    ``datetime`` objects, or a ``numpy.datetime64`` array (taken as UTC, since
    numpy has no time zones). Naive pandas or ``datetime`` input is refused.
    """
    if isinstance(t, np.ndarray) and np.issubdtype(t.dtype, np.datetime64):
        return t.astype("datetime64[ns]")
    idx = pd.DatetimeIndex(t) if not isinstance(t, pd.DatetimeIndex) else t
    if idx.tz is None:
        raise ValueError(
            "Timestamps must be timezone-aware (e.g. 2024-05-01T10:00+02:00); "
            "localize them first, for example with Series.dt.tz_localize('Europe/Rome')."
        )
    return idx.tz_convert("UTC").tz_localize(None).as_unit("ns").to_numpy()


def _as_utc64(ts: Any) -> np.datetime64:
    """Return one aware timestamp as a UTC ``datetime64[ns]`` scalar."""
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is None:
        raise ValueError(f"Timestamp {ts!r} must be timezone-aware.")
    return np.datetime64(stamp.tz_convert("UTC").tz_localize(None).as_unit("ns").value, "ns")


@dataclass(frozen=True, eq=False)
class EventSet:
    """Point events with projected coordinates, UTC times and categories."""

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray
    category: pd.Categorical[Any]
    crs: str
    lon: np.ndarray
    lat: np.ndarray
    weight: np.ndarray | None = None
    attributes: dict[str, Attribute] = field(default_factory=dict)
    time_resolution: str = "exact"
    tz: str = "UTC"

    def __post_init__(self) -> None:
        n = len(self.x)
        sizes = {
            "y": len(self.y),
            "t": len(self.t),
            "category": len(self.category),
            "lon": len(self.lon),
            "lat": len(self.lat),
        }
        if self.weight is not None:
            sizes["weight"] = len(self.weight)
        sizes.update({f"attributes[{k!r}]": len(v) for k, v in self.attributes.items()})
        bad = {k: v for k, v in sizes.items() if v != n}
        if bad:
            raise ValueError(f"EventSet arrays must all have length {n} (len(x)); got {bad}.")
        if self.t.dtype != np.dtype("datetime64[ns]"):
            raise ValueError(f"EventSet.t must be datetime64[ns] UTC, got {self.t.dtype}.")

    @classmethod
    def from_lonlat(
        cls,
        lon: Iterable[float],
        lat: Iterable[float],
        t: Any,
        category: Iterable[str] | pd.Categorical[Any],
        *,
        crs: str | None = None,
        weight: Iterable[float] | None = None,
        attributes: Mapping[str, Iterable[Any]] | None = None,
        time_resolution: str = "exact",
        tz: str = "UTC",
    ) -> EventSet:
        """Build an EventSet from WGS84 lon/lat, projected to ``crs`` or to the UTM zone."""
        lon_a = np.asarray(lon, dtype=np.float64)
        lat_a = np.asarray(lat, dtype=np.float64)
        if not (np.isfinite(lon_a).all() and np.isfinite(lat_a).all()):
            raise ValueError("lon/lat must be finite; reject rows without coordinates first.")
        if len(lon_a) and (np.abs(lat_a).max() > 90 or np.abs(lon_a).max() > 180):
            raise ValueError("lon must lie in [-180, 180] and lat in [-90, 90] (WGS84 degrees).")
        target = crs or utm_crs_for(lon_a, lat_a)
        x, y = project_lonlat(lon_a, lat_a, target)
        cat: pd.Categorical[Any] = (
            category if isinstance(category, pd.Categorical) else pd.Categorical(list(category))
        )
        return cls(
            x=x,
            y=y,
            t=to_utc_ns(t),
            category=cat,
            crs=target,
            lon=lon_a,
            lat=lat_a,
            weight=None if weight is None else np.asarray(weight, dtype=np.float64),
            attributes={
                k: v if isinstance(v, pd.Categorical) else np.asarray(v)
                for k, v in (attributes or {}).items()
            },
            time_resolution=time_resolution,
            tz=tz,
        )

    @classmethod
    def concat(cls, parts: list[EventSet]) -> EventSet:
        """Return the events of ``parts`` (same CRS) one after the other.

        Attributes present in every part are kept; the time resolution is the
        coarsest of the parts and the local zone is the first part's.
        """
        if not parts:
            raise ValueError("Nothing to concatenate: give at least one EventSet.")
        crs = {p.crs for p in parts}
        if len(crs) > 1:
            raise ValueError(f"EventSets have different CRSs {sorted(crs)}; read them with crs=.")
        order = ["exact", "hour", "day", "month"]
        coarsest = max(
            (p.time_resolution for p in parts), key=lambda r: order.index(r) if r in order else 0
        )
        keys = set.intersection(*(set(p.attributes) for p in parts))
        weights = [p.weight for p in parts]
        return cls(
            x=np.concatenate([p.x for p in parts]),
            y=np.concatenate([p.y for p in parts]),
            t=np.concatenate([p.t for p in parts]),
            category=union_categoricals([p.category for p in parts]),
            crs=parts[0].crs,
            lon=np.concatenate([p.lon for p in parts]),
            lat=np.concatenate([p.lat for p in parts]),
            weight=None
            if all(w is None for w in weights)
            else np.concatenate([p.weights_or_ones() for p in parts]),
            attributes={
                k: concat_attribute([p.attributes[k] for p in parts]) for k in sorted(keys)
            },
            time_resolution=coarsest,
            tz=parts[0].tz,
        )

    def __len__(self) -> int:
        return len(self.x)

    def __repr__(self) -> str:
        span = ""
        if len(self):
            span = f", {self.t.min()}..{self.t.max()} UTC"
        return f"EventSet({len(self)} events, crs={self.crs}{span})"

    def select(self, mask: np.ndarray) -> EventSet:
        """Return the events where ``mask`` (boolean or integer index array) selects them."""
        idx = np.asarray(mask)
        return EventSet(
            x=self.x[idx],
            y=self.y[idx],
            t=self.t[idx],
            category=self.category[idx],
            crs=self.crs,
            lon=self.lon[idx],
            lat=self.lat[idx],
            weight=None if self.weight is None else self.weight[idx],
            attributes={k: v[idx] for k, v in self.attributes.items()},
            time_resolution=self.time_resolution,
            tz=self.tz,
        )

    def before(self, ts: dt.datetime | pd.Timestamp | str) -> EventSet:
        """Return the events strictly before the aware timestamp ``ts``."""
        return self.select(self.t < _as_utc64(ts))

    def between(
        self, start: dt.datetime | pd.Timestamp | str, end: dt.datetime | pd.Timestamp | str
    ) -> EventSet:
        """Return the events with ``start <= t < end`` (both aware timestamps)."""
        return self.select((self.t >= _as_utc64(start)) & (self.t < _as_utc64(end)))

    def of_category(self, *names: str) -> EventSet:
        """Return the events whose category is one of ``names``."""
        unknown = set(names) - set(self.category.categories)
        if unknown:
            known = ", ".join(map(str, self.category.categories))
            raise ValueError(f"Unknown categories {sorted(unknown)}; known: {known}.")
        return self.select(np.asarray(self.category.isin(list(names))))

    def to_lonlat(self) -> tuple[np.ndarray, np.ndarray]:
        """Return WGS84 ``(lon, lat)`` arrays."""
        return self.lon, self.lat

    def times(self) -> pd.DatetimeIndex:
        """Return the event times as an aware DatetimeIndex in the source's local zone."""
        return pd.DatetimeIndex(self.t).tz_localize("UTC").tz_convert(self.tz)

    def weights_or_ones(self) -> np.ndarray:
        """Return ``weight`` or an array of ones when the events are unweighted."""
        return np.ones(len(self)) if self.weight is None else self.weight
