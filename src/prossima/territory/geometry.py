"""Convert between GeoJSON text and shapely geometries, with clear errors."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

# About 50 m at Italian latitudes: enough detail for a city map, a tenth of the size.
SIMPLIFY_TOLERANCE_DEG = 0.0005
POLYGONAL = ("Polygon", "MultiPolygon")


class GeoJSONError(ValueError):
    """Raised when GeoJSON input cannot be used; the message says what and where."""


def normalise_name(name: str) -> str:
    """Return a lower-case, accent-free form of a place name for searching."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def parse_geometry(obj: Any, where: str) -> BaseGeometry:
    """Return the polygonal shapely geometry of a GeoJSON geometry object.

    ``where`` names the place in the input (file and feature) for the error message.
    """
    if not isinstance(obj, dict) or "type" not in obj:
        raise GeoJSONError(f"{where}: the geometry is missing or is not a GeoJSON object.")
    if obj["type"] not in POLYGONAL:
        raise GeoJSONError(
            f"{where}: geometry type {obj['type']!r} is not accepted; "
            "a boundary must be a Polygon or MultiPolygon."
        )
    try:
        geom = shape(obj)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise GeoJSONError(f"{where}: the coordinates are malformed ({exc}).") from None
    if geom.is_empty:
        raise GeoJSONError(f"{where}: the geometry is empty.")
    min_x, min_y, max_x, max_y = geom.bounds
    if not (-180 <= min_x <= max_x <= 180 and -90 <= min_y <= max_y <= 90):
        raise GeoJSONError(
            f"{where}: coordinates {geom.bounds} are not WGS84 longitude/latitude; "
            "reproject the file to EPSG:4326 first."
        )
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
        if geom.geom_type == "GeometryCollection":
            geom = shapely.union_all([g for g in geom.geoms if g.geom_type in POLYGONAL])
    return geom


def to_geojson(geom: BaseGeometry, precision: int = 6) -> str:
    """Return compact GeoJSON text of a geometry (6 decimals ≈ 0.1 m)."""
    mapping = json.loads(shapely.to_geojson(shapely.set_precision(geom, 10**-precision)))
    return json.dumps(mapping, separators=(",", ":"))


def area_fields(geom: BaseGeometry) -> dict[str, Any]:
    """Return the bounding-box, centroid and GeoJSON fields of an area model."""
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    centre = geom.representative_point() if not geom.centroid.within(geom) else geom.centroid
    simplified = shapely.simplify(geom, SIMPLIFY_TOLERANCE_DEG, preserve_topology=True)
    return {
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
        "centroid_lon": centre.x,
        "centroid_lat": centre.y,
        "boundary": to_geojson(geom),
        "boundary_simplified": to_geojson(simplified, precision=5),
    }


class ComuneLocator:
    """Find the comune of many points at once with a shapely STRtree.

    Build it once for an import (see ``queries.comune_locator_for_bbox``, which
    loads only the comuni whose bounding box meets the points').
    """

    def __init__(self, codes: Sequence[str], geometries: Sequence[Any]) -> None:
        self.codes = np.asarray(codes, dtype=object)
        self.tree = shapely.STRtree(list(geometries))

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Return the ISTAT code for each point ('' where no comune contains it)."""
        result = np.full(len(lon), "", dtype=object)
        if len(self.codes) == 0 or len(lon) == 0:
            return result
        points = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        point_idx, geom_idx = self.tree.query(points, predicate="intersects")
        # A point on a shared border matches two comuni; keep the first, deterministically.
        order = np.lexsort((geom_idx, point_idx))
        point_idx, geom_idx = point_idx[order], geom_idx[order]
        first = np.unique(point_idx, return_index=True)[1]
        result[point_idx[first]] = self.codes[geom_idx[first]]
        return result
