"""Blur a reported point to the ~100 m cell shown on public pages.

The point is projected to ETRS89-LAEA Europe (EPSG:3035), a metric, equal-area
grid that covers all of Italy with one origin, snapped to the centre of its
100 m × 100 m cell, and projected back. Snapping is used rather than a random
offset because it is deterministic: the same point always gives the same public
point, so publishing a report again, or several reports from one doorstep,
never lets anyone average the noise away. Every report in a cell shares one
public point, which says honestly "somewhere in this square". The displacement
is at most half the cell's diagonal, about 71 m (LAEA's scale error across
Italy is well below 1 %).

No Django here: the function is usable from the analytic core or a notebook.
"""

from __future__ import annotations

import math
from functools import lru_cache

from pyproj import Transformer

BLUR_CELL_M = 100.0
METRIC_CRS = "EPSG:3035"


@lru_cache(maxsize=1)
def _transformers() -> tuple[Transformer, Transformer]:
    forward = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    backward = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
    return forward, backward


def blur_point(lon: float, lat: float, cell_m: float = BLUR_CELL_M) -> tuple[float, float]:
    """Return the WGS84 centre of the ``cell_m`` grid cell holding (lon, lat)."""
    forward, backward = _transformers()
    x, y = forward.transform(lon, lat)
    cx = (math.floor(x / cell_m) + 0.5) * cell_m
    cy = (math.floor(y / cell_m) + 0.5) * cell_m
    out_lon, out_lat = backward.transform(cx, cy)
    return round(out_lon, 6), round(out_lat, 6)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Return the great-circle distance between two WGS84 points in metres."""
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))
