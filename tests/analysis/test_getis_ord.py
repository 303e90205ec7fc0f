"""Gi* equals PySAL esda's on a real grid; permutation and FDR behave."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import sparse

from prossima.analysis.events import EventSet
from prossima.analysis.grid import Grid
from prossima.analysis.hotspots.getis_ord import (
    benjamini_hochberg,
    gi_classes,
    gi_star,
    gi_star_grid,
)

esda = pytest.importorskip("esda")
weights_mod = pytest.importorskip("libpysal.weights")


def esda_queen(grid: Grid) -> object:
    """Return libpysal queen weights on the grid's raster restricted to study-area cells."""
    n_rows, n_cols = grid.shape
    full = weights_mod.lat2W(n_rows, n_cols, rook=False)
    # lat2W numbers cells row-major, the same order as the grid's raster.
    ids = np.flatnonzero(grid.mask.ravel()).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return weights_mod.w_subset(full, ids)


@pytest.fixture(scope="module")
def real_grid(toronto_events: EventSet) -> tuple[Grid, np.ndarray]:
    grid = Grid.from_events(toronto_events, 150)
    return grid, grid.counts(toronto_events)


def test_gi_star_equals_esda(real_grid: tuple[Grid, np.ndarray]) -> None:
    grid, counts = real_grid
    assert grid.n_cells > 200
    assert (counts == 0).any()
    w = esda_queen(grid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(counts, w, transform="B", star=True, permutations=0)
    ours = gi_star_grid(counts, grid)
    np.testing.assert_allclose(ours.z, ref.Zs, rtol=1e-8, atol=1e-8)
    # The sparse path with the same weights built by libpysal gives the same numbers.
    w_self = sparse.csr_matrix(w.sparse) + sparse.identity(w.n, format="csr")
    np.testing.assert_allclose(gi_star(counts, w_self).z, ref.Zs, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(
        gi_star(counts, grid.queen_weights(include_self=True)).z, ref.Zs, rtol=1e-8, atol=1e-8
    )
    # esda's one-sided normal p doubled is our two-sided p.
    np.testing.assert_allclose(ours.p_norm, np.minimum(1, 2 * ref.p_norm), rtol=1e-8, atol=1e-12)


def test_distance_band_weights_match_esda(real_grid: tuple[Grid, np.ndarray]) -> None:
    grid, counts = real_grid
    w = grid.distance_weights(320.0, include_self=True)
    ref_w = weights_mod.WSP(sparse.csr_matrix(w)).to_W(silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(counts, ref_w, transform="B", star=None, permutations=0)
    np.testing.assert_allclose(gi_star(counts, w).z, ref.Zs, rtol=1e-8, atol=1e-8)


def test_permutation_p_values_are_seeded(real_grid: tuple[Grid, np.ndarray]) -> None:
    grid, counts = real_grid
    a = gi_star_grid(counts, grid, permutations=99, seed=7)
    b = gi_star_grid(counts, grid, permutations=99, seed=7)
    c = gi_star_grid(counts, grid, permutations=99, seed=8)
    assert a.p_sim is not None
    assert b.p_sim is not None
    assert c.p_sim is not None
    np.testing.assert_array_equal(a.p_sim, b.p_sim)
    assert not np.array_equal(a.p_sim, c.p_sim)
    assert a.p_sim.min() >= 1 / 100 * 2 - 1e-12
    assert a.p_sim.max() <= 1
    # Strong analytic hot spots are also extreme under permutation.
    strongest = np.argmax(a.z)
    assert a.p_sim[strongest] == pytest.approx(2 / 100)


def test_benjamini_hochberg_matches_hand_computation() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.20])
    # Sorted 0.01, 0.03, 0.04, 0.20 -> 0.04, 0.06, 0.0533, 0.20 -> monotone from the top.
    np.testing.assert_allclose(benjamini_hochberg(p), [0.04, 0.05333333, 0.05333333, 0.20])


def test_classes_follow_gi_bin() -> None:
    z = np.array([3.0, 2.0, 1.7, 0.5, -1.7, -2.0, -3.0])
    p = np.array([0.005, 0.04, 0.09, 0.6, 0.09, 0.04, 0.005])
    assert gi_classes(z, p).tolist() == [3, 2, 1, 0, -1, -2, -3]


def test_fdr_never_adds_significance(real_grid: tuple[Grid, np.ndarray]) -> None:
    grid, counts = real_grid
    raw = gi_star_grid(counts, grid)
    adj = gi_star_grid(counts, grid, fdr=True)
    assert (np.abs(adj.classes) <= np.abs(raw.classes)).all()
    assert (adj.p >= raw.p - 1e-15).all()
