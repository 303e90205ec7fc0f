"""Local Moran's I equals PySAL esda's on a real grid."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from prossima.analysis.events import EventSet
from prossima.analysis.grid import Grid
from prossima.analysis.hotspots.moran import local_moran

esda = pytest.importorskip("esda")
weights_mod = pytest.importorskip("libpysal.weights")


def test_local_moran_equals_esda(toronto_events: EventSet) -> None:
    grid = Grid.from_events(toronto_events, 150)
    counts = grid.counts(toronto_events)
    n_rows, n_cols = grid.shape
    ids = np.flatnonzero(grid.mask.ravel()).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = weights_mod.w_subset(weights_mod.lat2W(n_rows, n_cols, rook=False), ids)
        ref = esda.Moran_Local(counts, w, transformation="r", permutations=0)
    ours = local_moran(counts, grid.queen_weights(include_self=False))
    np.testing.assert_allclose(ours.I, ref.Is, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.EI, ref.EI, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.VI, ref.VI, rtol=1e-8, atol=1e-12)
    ref_z = (ref.Is - ref.EI) / np.sqrt(ref.VI)
    np.testing.assert_allclose(ours.z, ref_z, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(ours.q, ref.q)


def test_quadrant_labels_and_permutations(toronto_events: EventSet) -> None:
    grid = Grid.from_events(toronto_events, 200)
    counts = grid.counts(toronto_events)
    w = grid.queen_weights(include_self=False)
    res = local_moran(counts, w, permutations=49, seed=3)
    again = local_moran(counts, w, permutations=49, seed=3)
    assert res.p_sim is not None
    assert again.p_sim is not None
    np.testing.assert_array_equal(res.p_sim, again.p_sim)
    labels = {"HH": 1, "LH": 2, "LL": 3, "HL": 4}
    for lab, q in labels.items():
        sel = res.classes == lab
        assert (res.q[sel] == q).all()
        assert (res.p[sel] < 0.05).all()
    assert (res.classes == "HH").any()
