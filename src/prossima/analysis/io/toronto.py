"""Read the Toronto Police Service Major Crime Indicators (MCI) CSV.

Time: ``occurrencedate`` is published as a UTC timestamp whose *date part* is
the local (America/Toronto) day of the occurrence, and ``occurrencehour``
(0-23) is the local hour. The event time is therefore built as the local wall
time ``date part + occurrencehour`` in America/Toronto, then stored as UTC;
its resolution is one hour. ``MCI`` is the category; ``Neighbourhood`` and
``premises_type`` are kept as attributes. ``Lat``/``Long`` are WGS84 (offset
by the publisher to the nearest intersection).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from prossima.analysis.io._base import (
    Parsed,
    ReadResult,
    RowChecker,
    map_unique,
    numeric,
    read_header,
    run_csv,
    text_categories,
    utc_ns,
)

__all__ = ["TORONTO_BBOX", "TORONTO_COLUMNS", "read_toronto"]

TORONTO_COLUMNS = ["occurrencedate", "occurrencehour", "MCI", "Lat", "Long"]
OPTIONAL = ["Neighbourhood", "premises_type"]
# City of Toronto with a margin of a few kilometres (lon_min, lat_min, lon_max, lat_max).
TORONTO_BBOX = (-79.75, 43.45, -79.0, 43.95)
TZ = "America/Toronto"
NUMERIC = ("occurrencehour", "Lat", "Long")


def _local_day(text: pd.Series) -> np.ndarray:
    day = text.str.slice(0, 10).str.replace("-", "/", regex=False)
    return pd.to_datetime(day, format="%Y/%m/%d", errors="coerce").to_numpy("datetime64[ns]")


def read_toronto(
    path: str | Path,
    *,
    crs: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    boundary: BaseGeometry | None = None,
    encoding: str = "utf-8",
    chunksize: int = 250_000,
) -> ReadResult:
    """Read a Toronto MCI CSV (optionally gzip) into a ReadResult."""

    header = read_header(path, encoding)
    extra = [c for c in OPTIONAL if c in header]
    area = bbox or TORONTO_BBOX

    def parse(chunk: pd.DataFrame, checker: RowChecker) -> Parsed:
        lon, lat = checker.check_coordinates(chunk["Long"], chunk["Lat"], "Long", "Lat", area)
        day = map_unique(chunk["occurrencedate"], _local_day)
        checker.reject(
            np.isnat(day),
            "occurrencedate is not a date (expected YYYY/MM/DD or YYYY-MM-DD at the start)",
            "occurrencedate",
            chunk["occurrencedate"],
        )
        hour, _ = numeric(chunk["occurrencehour"])
        with np.errstate(invalid="ignore"):
            bad_hour = ~((hour >= 0) & (hour <= 23) & (np.floor(hour) == hour))
        checker.reject(
            bad_hour,
            "occurrencehour is not a whole hour 0-23",
            "occurrencehour",
            chunk["occurrencehour"],
        )
        hour = np.where(np.isfinite(hour), hour, 0).astype(np.int64)
        local = day + hour.astype("timedelta64[h]")
        # Distinct (day, hour) pairs are few, so localize each once.
        key = np.where(np.isnat(local), np.int64(-1), local.astype(np.int64))
        codes, uniq = pd.factorize(key)
        uniq_t = np.where(uniq == -1, np.datetime64("NaT", "ns"), uniq.astype("datetime64[ns]"))
        t = utc_ns(pd.Series(uniq_t), TZ)[codes]
        category, empty = text_categories(chunk["MCI"])
        checker.reject(empty, "MCI (category) is empty", "MCI", "")
        return Parsed(
            lon=lon,
            lat=lat,
            t=t,
            category=category,
            attributes={c: text_categories(chunk[c])[0] for c in extra},
        )

    return run_csv(
        path,
        fmt="toronto",
        usecols=TORONTO_COLUMNS + extra,
        parse=parse,
        numeric_cols=NUMERIC,
        encoding=encoding,
        crs=crs,
        boundary=boundary,
        time_resolution="hour",
        tz=TZ,
        chunksize=chunksize,
    )
