"""Grids: origin, ids, study-area clipping, assignment, neighbours and GeoJSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

from prossima.analysis.events import EventSet
from prossima.analysis.grid import Grid


def _points(xy_lonlat: list[tuple[float, float]]) -> EventSet:
    lon, lat = zip(*xy_lonlat, strict=True)
    t = pd.DatetimeIndex(["2024-01-01"] * len(lon)).tz_localize("UTC")
    return EventSet.from_lonlat(lon, lat, t, ["x"] * len(lon), crs="EPSG:32632")


def test_cells_align_to_multiples_of_the_cell_size(toronto_events: EventSet) -> None:
    grid = Grid.from_events(toronto_events, 200)
    assert grid.x0 % 200 == 0
    assert grid.y0 % 200 == 0
    assert grid.x0 <= toronto_events.x.min() < grid.x0 + 200
    ids = grid.cell_ids
    assert len(set(ids)) == grid.n_cells
    assert all(i.startswith("200m_E") for i in ids)


def test_ids_do_not_depend_on_the_study_area(toronto_events: EventSet) -> None:
    full = Grid.from_events(toronto_events, 250)
    part = Grid.from_events(toronto_events.select(np.arange(0, len(toronto_events), 7)), 250)
    x = toronto_events.x[:50]
    y = toronto_events.y[:50]
    a = np.array(full.cell_ids)[full.assign_xy(x, y)]
    i_part = part.assign_xy(x, y)
    ok = i_part >= 0
    np.testing.assert_array_equal(a[ok], np.array(part.cell_ids)[i_part[ok]])


def test_every_event_falls_in_its_convex_hull_grid(toronto_events: EventSet) -> None:
    grid = Grid.from_events(toronto_events, 200)
    assert (grid.assign(toronto_events) >= 0).all()
    assert grid.counts(toronto_events).sum() == len(toronto_events)


def test_boundary_clips_cells_and_events_outside_get_minus_one() -> None:
    ev = _points([(11.30, 44.49), (11.34, 44.49), (11.36, 44.50)])
    boundary = Polygon([(11.33, 44.48), (11.37, 44.48), (11.37, 44.51), (11.33, 44.51)])
    grid = Grid.from_events(ev, 500, boundary)
    idx = grid.assign(ev)
    assert idx[0] == -1
    assert idx[1] >= 0
    assert idx[2] >= 0
    # Every kept cell shares area with the projected boundary.
    boxes = [shapely.box(*p.bounds) for p in _cell_boxes(grid)]
    area = grid.study_area
    assert all(area.intersection(b).area > 0 for b in boxes)


def _cell_boxes(grid: Grid) -> list[shapely.Polygon]:
    cx, cy = grid.centroids()
    h = grid.cell_size / 2
    return [shapely.box(x - h, y - h, x + h, y + h) for x, y in zip(cx, cy, strict=True)]


def test_cells_that_only_touch_the_area_are_left_out() -> None:
    area = shapely.box(0, 0, 400, 400)
    grid = Grid.from_area(area, 200, "EPSG:32632")
    # The raster reaches the cells starting at x=400 and y=400, which only touch the area.
    assert grid.n_cells == 4


def test_queen_weights() -> None:
    grid = Grid.rectangle(3, 4)
    w = grid.queen_weights(include_self=True)
    deg = np.asarray(w.sum(axis=1)).ravel()
    # Corners 4 (3 + self), edges 6, interior 9.
    assert sorted(set(deg.tolist())) == [4.0, 6.0, 9.0]
    assert (w != w.T).nnz == 0
    assert w.diagonal().sum() == 12
    w0 = grid.queen_weights(include_self=False)
    assert w0.diagonal().sum() == 0


def test_distance_and_knn_weights() -> None:
    grid = Grid.rectangle(5, 5, cell_size=100)
    wd = grid.distance_weights(100.0)
    # Rook neighbours at 100 m plus self.
    assert wd[12].sum() == 5
    wk = grid.knn_weights(4, include_self=False)
    assert (np.asarray(wk.sum(axis=1)).ravel() == 4).all()


def test_geojson_is_wgs84_feature_collection(tmp_path: Path, toronto_events: EventSet) -> None:
    grid = Grid.from_events(toronto_events, 400)
    counts = grid.counts(toronto_events)
    out = tmp_path / "cells.geojson"
    grid.write_geojson(out, {"count": counts.astype(int), "ratio": np.full(grid.n_cells, np.nan)})
    doc = json.loads(out.read_text())
    assert doc["type"] == "FeatureCollection"
    assert len(doc["features"]) == grid.n_cells
    f = doc["features"][0]
    ring = f["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert len(ring) == 5
    lon, lat = ring[0]
    assert -80 < lon < -79
    assert 43 < lat < 44
    assert f["properties"]["ratio"] is None  # NaN becomes null
    assert sum(g["properties"]["count"] for g in doc["features"]) == len(toronto_events)


def test_h3_counts_or_a_clear_error(toronto_events: EventSet) -> None:
    from prossima.analysis.grid import h3_counts

    try:
        import h3  # noqa: F401
    except ImportError:
        import pytest

        with pytest.raises(ImportError, match="pip install h3"):
            h3_counts(toronto_events, 8)
        return
    counts = h3_counts(toronto_events, 8)
    assert sum(counts.values()) == len(toronto_events)
