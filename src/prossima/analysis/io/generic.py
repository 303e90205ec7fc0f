"""Read any CSV or GeoJSON of point events through a column mapping.

``ColumnMap`` names the columns: ``x`` and ``y`` (longitude and latitude in
WGS84, or projected coordinates when ``source_crs`` is given), ``time``,
optional ``category`` (every event gets ``"all"`` without it) and optional
``weight``. ``time_format`` is a ``strftime`` pattern (e.g. ``%d/%m/%Y %H:%M``);
without it ISO 8601 is expected. Times that carry a UTC offset are used as
they are; times without one are local wall times in ``timezone``.

GeoJSON: Point features; ``x``/``y`` are ignored (the geometry gives the
location), ``time``/``category``/``weight`` name feature properties. A reject's
``line`` is the 1-based feature number in the FeatureCollection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from prossima.analysis.events import WGS84
from prossima.analysis.io._base import (
    SOURCE_LINE,
    WORLD_BBOX,
    Parsed,
    ReadResult,
    RowChecker,
    assemble,
    numeric,
    open_text,
    run_csv,
    utc_ns,
)

__all__ = ["ColumnMap", "guess_column_map", "read_generic", "read_geojson"]

X_NAMES = ("longitude", "lon", "long", "lng", "x")
Y_NAMES = ("latitude", "lat", "y")
TIME_NAMES = ("datetime", "timestamp", "time", "date", "occurred", "occurrencedate", "month")
CATEGORY_NAMES = ("category", "type", "crime type", "offence", "offense", "crime", "mci")


@dataclass(frozen=True)
class ColumnMap:
    """Name the columns of a generic file and how to read them."""

    x: str = "longitude"
    y: str = "latitude"
    time: str = "date"
    category: str | None = None
    weight: str | None = None
    time_format: str | None = None
    timezone: str = "UTC"
    source_crs: str | None = None


def guess_column_map(header: list[str], **given: Any) -> ColumnMap:
    """Return a ColumnMap from common column names, overridden by non-None ``given`` values."""
    lower = {h.lower().strip(): h for h in header}

    def pick(names: tuple[str, ...]) -> str | None:
        return next((lower[n] for n in names if n in lower), None)

    guess: dict[str, Any] = {
        "x": pick(X_NAMES),
        "y": pick(Y_NAMES),
        "time": pick(TIME_NAMES),
        "category": pick(CATEGORY_NAMES),
    }
    guess.update({k: v for k, v in given.items() if v is not None})
    missing = [k for k in ("x", "y", "time") if not guess.get(k)]
    if missing:
        raise ValueError(
            f"Cannot tell which column holds {', '.join(missing)} among {header}; "
            "name them with --x, --y and --time (ColumnMap(x=..., y=..., time=...))."
        )
    return ColumnMap(**{k: v for k, v in guess.items() if v is not None})


def parse_times(text: pd.Series, time_format: str | None, timezone: str) -> np.ndarray:
    """Parse time text to UTC ``datetime64[ns]``; unparsable values become NaT."""
    fmt = time_format or "ISO8601"
    s = text.str.strip()
    try:
        parsed = pd.to_datetime(s, format=fmt, errors="coerce")
    except ValueError:
        # Mixed UTC offsets cannot share one zone; read them as instants.
        parsed = pd.to_datetime(s, format=fmt, errors="coerce", utc=True)
    idx = pd.DatetimeIndex(parsed)
    if idx.tz is None:
        return utc_ns(idx, timezone)
    return idx.tz_convert("UTC").tz_localize(None).as_unit("ns").to_numpy()


def read_generic(
    path: str | Path,
    columns: ColumnMap,
    *,
    crs: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    boundary: BaseGeometry | None = None,
    encoding: str = "utf-8",
    chunksize: int = 250_000,
) -> ReadResult:
    """Read a CSV (optionally gzip) whose columns are named by ``columns``."""
    usecols = [columns.x, columns.y, columns.time]
    usecols += [c for c in (columns.category, columns.weight) if c]
    to_wgs = (
        Transformer.from_crs(columns.source_crs, WGS84, always_xy=True)
        if columns.source_crs
        else None
    )
    area = bbox or WORLD_BBOX
    numeric_cols = tuple(c for c in (columns.x, columns.y, columns.weight) if c)

    def parse(chunk: pd.DataFrame, checker: RowChecker) -> Parsed:
        xs, ys = chunk[columns.x], chunk[columns.y]
        if to_wgs is not None:
            xv, xmiss = numeric(xs)
            yv, ymiss = numeric(ys)
            checker.reject(xmiss | ymiss, "missing coordinates", f"{columns.x}/{columns.y}", "")
            checker.reject(~np.isfinite(xv), "x is not a number", columns.x, xs)
            checker.reject(~np.isfinite(yv), "y is not a number", columns.y, ys)
            lon_v, lat_v = to_wgs.transform(np.nan_to_num(xv), np.nan_to_num(yv))
            xs = pd.Series(np.where(checker.ok, lon_v, np.nan))
            ys = pd.Series(np.where(checker.ok, lat_v, np.nan))
        lon, lat = checker.check_coordinates(xs, ys, columns.x, columns.y, area)
        t = parse_times(chunk[columns.time], columns.time_format, columns.timezone)
        expected = columns.time_format or "ISO 8601, e.g. 2024-05-01T14:30"
        checker.reject(
            np.isnat(t),
            f"{columns.time} is not a time in the format {expected}",
            columns.time,
            chunk[columns.time],
        )
        weight = None
        if columns.weight:
            weight, _ = numeric(chunk[columns.weight])
            checker.reject(
                ~(np.isfinite(weight) & (weight >= 0)),
                "weight is not a number >= 0",
                columns.weight,
                chunk[columns.weight],
            )
        if columns.category:
            cat = pd.Categorical(chunk[columns.category].str.strip().replace("", "(none)"))
        else:
            cat = pd.Categorical(np.full(len(chunk), "all", dtype=object))
        return Parsed(lon=lon, lat=lat, t=t, category=cat, weight=weight)

    return run_csv(
        path,
        fmt="generic",
        usecols=usecols,
        parse=parse,
        numeric_cols=numeric_cols,
        encoding=encoding,
        crs=crs,
        boundary=boundary,
        time_resolution="exact",
        tz=columns.timezone,
        chunksize=chunksize,
    )


def read_geojson(
    path: str | Path,
    columns: ColumnMap,
    *,
    crs: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    boundary: BaseGeometry | None = None,
    encoding: str = "utf-8",
) -> ReadResult:
    """Read Point features of a GeoJSON FeatureCollection; properties named by ``columns``."""
    try:
        with open_text(path, encoding) as fh:
            doc = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg}).") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not valid {encoding} text ({exc.reason}).") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ValueError(f"{path}: expected a GeoJSON FeatureCollection.")
    feats = doc.get("features") or []
    names = {k for f in feats[:1000] for k in ((f or {}).get("properties") or {})}
    wanted = [c for c in (columns.time, columns.category, columns.weight) if c]
    absent = [c for c in wanted if feats and c not in names]
    if absent:
        raise ValueError(
            f"{path}: the features have no property {absent}; name the properties with "
            f"--time/--category/--weight (found: {sorted(names)})."
        )
    xs, ys, ts, cats, ws = [], [], [], [], []
    for f in feats:
        geom = (f or {}).get("geometry") or {}
        props = (f or {}).get("properties") or {}
        coords = geom.get("coordinates") if geom.get("type") == "Point" else None
        if isinstance(coords, list) and len(coords) >= 2:
            xs.append(str(coords[0]))
            ys.append(str(coords[1]))
        else:
            xs.append("")
            ys.append("")
        ts.append("" if props.get(columns.time) is None else str(props.get(columns.time)))
        cats.append(str(props.get(columns.category, "")) if columns.category else "all")
        ws.append(str(props.get(columns.weight, "")) if columns.weight else "1")
    checker = RowChecker(np.arange(1, len(feats) + 1))
    lon, lat = checker.check_coordinates(
        pd.Series(xs, dtype=object), pd.Series(ys, dtype=object), "lon", "lat", bbox or WORLD_BBOX
    )
    t = parse_times(pd.Series(ts, dtype=object), columns.time_format, columns.timezone)
    checker.reject(np.isnat(t), f"{columns.time} is not a time", columns.time, np.array(ts, object))
    weight = pd.to_numeric(pd.Series(ws), errors="coerce").to_numpy(np.float64, na_value=np.nan)
    checker.reject(
        ~np.isfinite(weight), "weight is not a number", str(columns.weight), np.array(ws, object)
    )
    if boundary is not None:
        checker.check_boundary(lon, lat, boundary)
    ok = checker.ok
    part = Parsed(
        lon=lon[ok],
        lat=lat[ok],
        t=t[ok],
        category=pd.Categorical(np.asarray(cats, dtype=object)[ok]),
        weight=weight[ok] if columns.weight else None,
        attributes={SOURCE_LINE: np.asarray(checker.lines[ok], dtype=np.int64)},
    )
    return assemble(
        [part],
        [checker.rejects()],
        path=path,
        fmt="geojson",
        rows=len(feats),
        crs=crs,
        time_resolution="exact",
        tz=columns.timezone,
    )
