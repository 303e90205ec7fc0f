"""Read data.police.uk street-level crime CSVs.

Time: police.uk publishes only the month (``Month``, ``YYYY-MM``). The event
time is the first day of that month at 00:00 Europe/London, stored as UTC; its
resolution is one month, so near-repeat bands shorter than a month are
meaningless on this data. ``Crime type`` is the category; ``LSOA code`` and
``Crime ID`` are kept as attributes. Rows without ``Longitude``/``Latitude``
(published as "No Location") are rejected and reported.
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
    read_header,
    run_csv,
    text_categories,
    utc_ns,
)

__all__ = ["POLICEUK_BBOX", "POLICEUK_COLUMNS", "read_policeuk"]

POLICEUK_COLUMNS = ["Month", "Longitude", "Latitude", "Crime type"]
OPTIONAL = ["LSOA code", "Crime ID"]
# England, Wales and Northern Ireland with a margin (lon_min, lat_min, lon_max, lat_max).
POLICEUK_BBOX = (-8.8, 49.8, 2.0, 56.0)
TZ = "Europe/London"
NUMERIC = ("Longitude", "Latitude")


def _month_start(text: pd.Series) -> np.ndarray:
    local = pd.to_datetime(text.str.strip(), format="%Y-%m", errors="coerce")
    return utc_ns(local, TZ)


def read_policeuk(
    path: str | Path,
    *,
    crs: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    boundary: BaseGeometry | None = None,
    encoding: str = "utf-8",
    chunksize: int = 250_000,
) -> ReadResult:
    """Read a police.uk street-level CSV (optionally gzip) into a ReadResult."""

    header = read_header(path, encoding)
    extra = [c for c in OPTIONAL if c in header]
    area = bbox or POLICEUK_BBOX

    def parse(chunk: pd.DataFrame, checker: RowChecker) -> Parsed:
        lon, lat = checker.check_coordinates(
            chunk["Longitude"], chunk["Latitude"], "Longitude", "Latitude", area
        )
        t = map_unique(chunk["Month"], _month_start)
        checker.reject(
            np.isnat(t),
            "Month is not a month (expected YYYY-MM)",
            "Month",
            chunk["Month"],
        )
        category, empty = text_categories(chunk["Crime type"])
        checker.reject(empty, "Crime type (category) is empty", "Crime type", "")
        return Parsed(
            lon=lon,
            lat=lat,
            t=t,
            category=category,
            # LSOA codes repeat (Categorical); Crime IDs are unique (plain text).
            attributes={
                c: chunk[c].to_numpy(object) if c == "Crime ID" else text_categories(chunk[c])[0]
                for c in extra
            },
        )

    return run_csv(
        path,
        fmt="policeuk",
        usecols=POLICEUK_COLUMNS + extra,
        parse=parse,
        numeric_cols=NUMERIC,
        encoding=encoding,
        crs=crs,
        boundary=boundary,
        time_resolution="month",
        tz=TZ,
        chunksize=chunksize,
    )
