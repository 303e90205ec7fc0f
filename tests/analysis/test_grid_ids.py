"""Grids rebuilt from stored cell ids give back the same cells."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from prossima.analysis.grid import Grid


def test_a_grid_comes_back_from_its_cell_ids() -> None:
    area = shapely.Point(680_000, 4_930_000).buffer(1_200)
    grid = Grid.from_area(area, 150.0, "EPSG:32632")
    again = Grid.from_cell_ids(grid.cell_ids, grid.crs)
    assert again.cell_ids == grid.cell_ids
    assert np.allclose(np.c_[again.centroids()], np.c_[grid.centroids()])
    assert again.queen_weights().nnz == grid.queen_weights().nnz
    assert (
        again.assign_xy(np.array([680_010.0]), np.array([4_930_010.0]))[0]
        == grid.assign_xy(np.array([680_010.0]), np.array([4_930_010.0]))[0]
    )


def test_bad_cell_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="not a cell id"):
        Grid.from_cell_ids(["cell-1"], "EPSG:32632")
    with pytest.raises(ValueError, match="mix cell sizes"):
        Grid.from_cell_ids(["150m_E1_N1", "200m_E1_N2"], "EPSG:32632")
    with pytest.raises(ValueError, match="order"):
        Grid.from_cell_ids(["150m_E2_N1", "150m_E1_N1"], "EPSG:32632")
    with pytest.raises(ValueError, match="empty"):
        Grid.from_cell_ids([], "EPSG:32632")
