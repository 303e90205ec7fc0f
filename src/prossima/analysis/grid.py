"""Build square grids of cells over a study area, and the cells' neighbour structures.

API
---
``Grid.from_events(events, cell_size, boundary=None)`` lays a square grid of
``cell_size`` metres in the events' projected CRS.

Origin and ids
    Cells are aligned to multiples of ``cell_size`` in the projected CRS: the
    cell with absolute column ``ix = floor(x / cell_size)`` and absolute row
    ``iy = floor(y / cell_size)`` has ``cell_id = "{cell_size}m_E{ix}_N{iy}"``
    (e.g. ``"200m_E3175_N24180"``). Ids therefore do not depend on the study
    area: the same CRS and cell size always give the same id to the same square.
    The grid's raster starts at ``(x0, y0) = (ix_min * cell_size, iy_min * cell_size)``;
    raster row 0 is the southernmost row.

Study area
    ``boundary`` is a shapely (Multi)Polygon in WGS84 lon/lat; it is projected to
    the events' CRS. Without it, the convex hull of the events is used. A cell
    belongs to the study area when its square shares area with the study area
    (intersects it, and does not merely touch its edge). The study-area cells
    ("active" cells) are numbered ``0..n_cells-1`` in raster row-major order.

Operations
    ``grid.assign(events)`` -> active-cell index per event (``-1`` outside);
    ``grid.counts(events, weighted=False)`` -> events per active cell;
    ``grid.to_raster(values)`` / ``grid.centroids()`` / ``grid.cell_ids``;
    ``grid.polygons_lonlat()`` -> shapely polygons in WGS84;
    ``grid.write_geojson(path, properties)`` -> GeoJSON FeatureCollection (WGS84);
    ``grid.queen_weights(include_self=True)``, ``grid.distance_weights(d)``,
    ``grid.knn_weights(k)`` -> binary ``scipy.sparse.csr_matrix`` over active cells.
    ``h3_counts(events, resolution)`` counts events per H3 cell (needs the optional
    ``h3`` package).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from scipy import sparse
from scipy.spatial import ConvexHull, QhullError, cKDTree
from shapely.geometry.base import BaseGeometry

from prossima.analysis.events import WGS84, EventSet

__all__ = ["Grid", "convex_hull", "h3_counts", "project_boundary"]

_CELL_ID = re.compile(r"(\d+(?:\.\d+)?)m_E(-?\d+)_N(-?\d+)")


def project_boundary(boundary: BaseGeometry, crs: str) -> BaseGeometry:
    """Project a WGS84 lon/lat geometry to ``crs``."""
    transformer = Transformer.from_crs(WGS84, crs, always_xy=True)
    return shapely.transform(
        boundary, lambda x, y: np.asarray(transformer.transform(x, y)), interleaved=False
    )


@dataclass(frozen=True, eq=False)
class Grid:
    """Square grid of ``cell_size`` metres, restricted to the study-area cells in ``mask``."""

    cell_size: float
    ix0: int
    iy0: int
    mask: np.ndarray  # (n_rows, n_cols) bool, True for study-area cells
    crs: str
    study_area: BaseGeometry
    index: np.ndarray = field(init=False, repr=False)  # (n_rows, n_cols) int64, -1 outside

    def __post_init__(self) -> None:
        index = np.full(self.mask.shape, -1, dtype=np.int64)
        index[self.mask] = np.arange(int(self.mask.sum()))
        object.__setattr__(self, "index", index)

    # --- construction -------------------------------------------------
    @classmethod
    def from_events(
        cls,
        events: EventSet,
        cell_size: float,
        boundary: BaseGeometry | None = None,
    ) -> Grid:
        """Lay a grid over ``boundary`` (WGS84) or, by default, the events' convex hull."""
        if not cell_size > 0:
            raise ValueError(f"cell_size must be a positive number of metres, got {cell_size}.")
        if boundary is not None:
            area = project_boundary(boundary, events.crs)
        else:
            if len(events) == 0:
                raise ValueError("Cannot build a grid from zero events without a boundary.")
            area = convex_hull(events.x, events.y)
        return cls.from_area(area, cell_size, events.crs)

    @classmethod
    def from_area(cls, area: BaseGeometry, cell_size: float, crs: str) -> Grid:
        """Lay a grid over ``area``, a geometry already in the projected ``crs``."""
        if area.is_empty:
            raise ValueError("The study area is empty.")
        minx, miny, maxx, maxy = area.bounds
        ix0 = math.floor(minx / cell_size)
        iy0 = math.floor(miny / cell_size)
        n_cols = max(1, math.floor(maxx / cell_size) - ix0 + 1)
        n_rows = max(1, math.floor(maxy / cell_size) - iy0 + 1)
        if n_rows * n_cols > 50_000_000:
            raise ValueError(
                f"A {cell_size} m grid over this area has {n_rows * n_cols} cells; "
                "use a larger cell size or a smaller study area."
            )
        if area.geom_type in ("Point", "MultiPoint", "LineString", "MultiLineString"):
            # A hull of collinear or identical points has no area; keep the cells it crosses.
            area_use = area.buffer(cell_size * 1e-6)
        else:
            area_use = area
        mask = _cells_in_area(area_use, ix0, iy0, n_rows, n_cols, cell_size)
        return cls(
            cell_size=float(cell_size), ix0=ix0, iy0=iy0, mask=mask, crs=crs, study_area=area
        )

    @classmethod
    def from_cell_ids(cls, cell_ids: Sequence[str], crs: str) -> Grid:
        """Rebuild the grid whose study-area cells are ``cell_ids`` (as ``Grid.cell_ids``).

        Stored results keep their cell ids; this gives back the same cells, in
        the same order, without the events or the boundary they came from.
        """
        if not cell_ids:
            raise ValueError("cell_ids is empty: a grid needs at least one cell.")
        sizes, cols, rows = set(), [], []
        for cid in cell_ids:
            match = _CELL_ID.fullmatch(cid)
            if match is None:
                raise ValueError(f"{cid!r} is not a cell id; ids look like '150m_E4131_N32199'.")
            sizes.add(float(match.group(1)))
            cols.append(int(match.group(2)))
            rows.append(int(match.group(3)))
        if len(sizes) != 1:
            raise ValueError(f"cell_ids mix cell sizes {sorted(sizes)}; give one grid's ids.")
        size = sizes.pop()
        c, r = np.asarray(cols), np.asarray(rows)
        ix0, iy0 = int(c.min()), int(r.min())
        mask = np.zeros((int(r.max()) - iy0 + 1, int(c.max()) - ix0 + 1), dtype=bool)
        mask[r - iy0, c - ix0] = True
        boxes = shapely.box(c * size, r * size, (c + 1) * size, (r + 1) * size)
        grid = cls(
            cell_size=size,
            ix0=ix0,
            iy0=iy0,
            mask=mask,
            crs=crs,
            study_area=shapely.union_all(boxes),
        )
        if grid.cell_ids != list(cell_ids):
            # Ids given in another order than the grid's row-major order.
            raise ValueError("cell_ids must be in the grid's order (as Grid.cell_ids lists them).")
        return grid

    @classmethod
    def rectangle(
        cls, n_rows: int, n_cols: int, cell_size: float = 1.0, crs: str = "EPSG:32632"
    ) -> Grid:
        """Return a full rectangular grid (every cell in the study area)."""
        area = shapely.box(0, 0, n_cols * cell_size, n_rows * cell_size)
        mask = np.ones((n_rows, n_cols), dtype=bool)
        return cls(cell_size=float(cell_size), ix0=0, iy0=0, mask=mask, crs=crs, study_area=area)

    # --- geometry -----------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """Return the raster shape ``(n_rows, n_cols)``."""
        return (int(self.mask.shape[0]), int(self.mask.shape[1]))

    @property
    def n_cells(self) -> int:
        """Return the number of study-area cells."""
        return int(self.mask.sum())

    @property
    def x0(self) -> float:
        """Return the raster's western edge in CRS metres."""
        return self.ix0 * self.cell_size

    @property
    def y0(self) -> float:
        """Return the raster's southern edge in CRS metres."""
        return self.iy0 * self.cell_size

    def rows_cols(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the raster (row, col) of every study-area cell."""
        rows, cols = np.nonzero(self.mask)
        return rows, cols

    @property
    def cell_ids(self) -> list[str]:
        """Return the stable id of every study-area cell."""
        rows, cols = self.rows_cols()
        size = f"{self.cell_size:g}"
        return [
            f"{size}m_E{c}_N{r}"
            for r, c in zip((rows + self.iy0).tolist(), (cols + self.ix0).tolist(), strict=True)
        ]

    def centroids(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the projected ``(x, y)`` centre of every study-area cell."""
        rows, cols = self.rows_cols()
        return self.x0 + (cols + 0.5) * self.cell_size, self.y0 + (rows + 0.5) * self.cell_size

    def assign(self, events: EventSet) -> np.ndarray:
        """Return each event's study-area cell index, or ``-1`` when it falls outside."""
        return self.assign_xy(events.x, events.y)

    def assign_xy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Return the study-area cell index of projected points, ``-1`` outside."""
        col = np.floor(np.asarray(x) / self.cell_size).astype(np.int64) - self.ix0
        row = np.floor(np.asarray(y) / self.cell_size).astype(np.int64) - self.iy0
        n_rows, n_cols = self.shape
        inside = (row >= 0) & (row < n_rows) & (col >= 0) & (col < n_cols)
        out = np.full(len(col), -1, dtype=np.int64)
        out[inside] = self.index[row[inside], col[inside]]
        return out

    def counts(self, events: EventSet, weighted: bool = False) -> np.ndarray:
        """Return the number (or total weight) of events in each study-area cell."""
        idx = self.assign(events)
        keep = idx >= 0
        w = events.weights_or_ones()[keep] if weighted else None
        return np.bincount(idx[keep], weights=w, minlength=self.n_cells).astype(np.float64)

    def to_raster(self, values: np.ndarray, fill: float = np.nan) -> np.ndarray:
        """Return a ``(n_rows, n_cols)`` raster of per-cell ``values``, ``fill`` outside."""
        raster = np.full(self.shape, fill, dtype=np.float64)
        raster[self.mask] = values
        return raster

    def polygons_lonlat(self) -> list[list[tuple[float, float]]]:
        """Return each study-area cell's closed ring of WGS84 (lon, lat) corners."""
        rows, cols = self.rows_cols()
        x_left = self.x0 + cols * self.cell_size
        y_low = self.y0 + rows * self.cell_size
        s = self.cell_size
        xs = np.stack([x_left, x_left + s, x_left + s, x_left, x_left], axis=1)
        ys = np.stack([y_low, y_low, y_low + s, y_low + s, y_low], axis=1)
        transformer = Transformer.from_crs(self.crs, WGS84, always_xy=True)
        lon, lat = transformer.transform(xs.ravel(), ys.ravel())
        lon = np.round(np.asarray(lon).reshape(xs.shape), 7)
        lat = np.round(np.asarray(lat).reshape(ys.shape), 7)
        return [
            list(zip(lo, la, strict=True))
            for lo, la in zip(lon.tolist(), lat.tolist(), strict=True)
        ]

    def geojson(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """Return a WGS84 GeoJSON FeatureCollection, one Polygon per cell, with ``properties``.

        Each value of ``properties`` is a sequence with one entry per study-area
        cell; NaN floats are written as ``null``. ``cell_id`` is always included.
        """
        columns: dict[str, list[Any]] = {"cell_id": self.cell_ids}
        for key, values in properties.items():
            arr = np.asarray(values)
            if len(arr) != self.n_cells:
                raise ValueError(
                    f"Property {key!r} has {len(arr)} values, expected {self.n_cells}."
                )
            if arr.dtype.kind == "f":
                columns[key] = [None if not math.isfinite(v) else v for v in arr.tolist()]
            else:
                columns[key] = arr.tolist()
        names = list(columns)
        rings = self.polygons_lonlat()
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {k: columns[k][i] for k in names},
            }
            for i, ring in enumerate(rings)
        ]
        return {"type": "FeatureCollection", "features": features}

    def write_geojson(self, path: str | Path, properties: Mapping[str, Any]) -> None:
        """Write the cells and their ``properties`` as a WGS84 GeoJSON FeatureCollection."""
        # json.dumps runs the C encoder; json.dump would encode in pure Python.
        text = json.dumps(self.geojson(properties), separators=(",", ":"), allow_nan=False)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)

    # --- neighbours ---------------------------------------------------
    def queen_weights(self, include_self: bool = True) -> sparse.csr_matrix:
        """Return binary queen contiguity (8 surrounding cells) over study-area cells.

        Empty cells are included; cells outside the study area are not
        neighbours of anyone. With ``include_self`` the diagonal is 1 (Gi*).
        """
        rows, cols = self.rows_cols()
        n_rows, n_cols = self.shape
        src: list[np.ndarray] = []
        dst: list[np.ndarray] = []
        me = self.index[rows, cols]
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                if dr == 0 and dc == 0 and not include_self:
                    continue
                r2, c2 = rows + dr, cols + dc
                ok = (r2 >= 0) & (r2 < n_rows) & (c2 >= 0) & (c2 < n_cols)
                nb = np.full(len(rows), -1, dtype=np.int64)
                nb[ok] = self.index[r2[ok], c2[ok]]
                ok = nb >= 0
                src.append(me[ok])
                dst.append(nb[ok])
        i = np.concatenate(src)
        j = np.concatenate(dst)
        n = self.n_cells
        return sparse.csr_matrix((np.ones(len(i)), (i, j)), shape=(n, n))

    def distance_weights(self, distance: float, include_self: bool = True) -> sparse.csr_matrix:
        """Return binary weights linking cells whose centres are within ``distance`` metres."""
        cx, cy = self.centroids()
        tree = cKDTree(np.column_stack([cx, cy]))
        mat = tree.sparse_distance_matrix(tree, distance, output_type="coo_matrix")
        i, j = mat.row, mat.col
        keep = i != j
        n = self.n_cells
        w = sparse.csr_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n, n))
        if include_self:
            w = (w + sparse.identity(n, format="csr")).tocsr()
        return w

    def knn_weights(self, k: int, include_self: bool = True) -> sparse.csr_matrix:
        """Return binary weights linking each cell to its ``k`` nearest cell centres."""
        n = self.n_cells
        if not 0 < k < n:
            raise ValueError(f"k must be between 1 and {n - 1} (cells - 1), got {k}.")
        cx, cy = self.centroids()
        tree = cKDTree(np.column_stack([cx, cy]))
        _, nb = tree.query(np.column_stack([cx, cy]), k=k + 1)
        i = np.repeat(np.arange(n), k + 1)
        j = nb.ravel()
        keep = i != j
        # Ties at the k-th distance can push self out of the query; trim to k others.
        w = sparse.csr_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n, n))
        if include_self:
            w = (w + sparse.identity(n, format="csr")).tocsr()
        w.data[:] = 1.0
        return w


def convex_hull(x: np.ndarray, y: np.ndarray) -> BaseGeometry:
    """Return the convex hull of projected points (a Polygon, or a line/point if degenerate)."""
    pts = np.column_stack([x, y])
    try:
        # qhull is much faster than building a shapely MultiPoint of a million points.
        hull = ConvexHull(pts)
    except QhullError:
        return shapely.convex_hull(shapely.multipoints(np.unique(pts, axis=0)))
    return shapely.Polygon(pts[hull.vertices])


def _cells_in_area(
    area: BaseGeometry, ix0: int, iy0: int, n_rows: int, n_cols: int, cell_size: float
) -> np.ndarray:
    """Return a mask of raster cells that share area with ``area``."""
    cols, rows = np.meshgrid(np.arange(n_cols), np.arange(n_rows))
    xmin = (cols.ravel() + ix0) * cell_size
    ymin = (rows.ravel() + iy0) * cell_size
    boxes = shapely.box(xmin, ymin, xmin + cell_size, ymin + cell_size)
    shapely.prepare(area)
    hit = shapely.intersects(area, boxes)
    if hit.any():
        # Cells that only touch the boundary line share no area with it.
        cand = np.nonzero(hit)[0]
        touching = shapely.touches(area, boxes[cand])
        hit[cand[touching]] = False
    return hit.reshape(n_rows, n_cols)


def h3_counts(events: EventSet, resolution: int) -> dict[str, int]:
    """Return the number of events in each H3 cell at ``resolution`` (needs ``h3`` >= 4)."""
    try:
        import h3
    except ImportError as exc:
        raise ImportError(
            "H3 cells need the optional package 'h3' (version 4 or later): pip install h3"
        ) from exc
    lon, lat = events.to_lonlat()
    cells = [h3.latlng_to_cell(la, lo, resolution) for lo, la in zip(lon, lat, strict=True)]
    ids, counts = np.unique(np.asarray(cells, dtype=object), return_counts=True)
    return {str(c): int(n) for c, n in zip(ids, counts, strict=True)}
