"""Emerging hot spot categories and the Mann-Kendall trend."""

from __future__ import annotations

import numpy as np
import pytest

from prossima.analysis.events import EventSet
from prossima.analysis.grid import Grid
from prossima.analysis.hotspots.emerging import (
    CATEGORIES,
    _classify,
    emerging_hotspots,
    mann_kendall,
    time_steps,
)


def test_mann_kendall_matches_scipy_kendall_tau() -> None:
    from scipy import stats

    rng = np.random.default_rng(0)
    series = np.vstack([np.arange(12.0), rng.normal(size=12), np.zeros(12)])
    z, p = mann_kendall(series)
    assert z[0] > 3
    assert p[0] < 0.01
    assert z[2] == 0
    assert p[2] == 1
    # Without ties the MK p-value (continuity corrected) is close to Kendall's tau test.
    tau = stats.kendalltau(np.arange(12), series[1], method="asymptotic")
    assert p[1] == pytest.approx(tau.pvalue, abs=0.1)
    # S for a strictly increasing series of 12 is 66; var = 12*11*29/18.
    assert z[0] == pytest.approx((66 - 1) / np.sqrt(12 * 11 * 29 / 18))


def _flags(pattern: str) -> np.ndarray:
    return np.array([c == "H" for c in pattern])


@pytest.mark.parametrize(
    ("hot", "cold", "trend", "expected"),
    [
        ("..........H", "...........", 0, "new hot spot"),
        ("........HHH", "...........", 0, "consecutive hot spot"),
        ("HHHHHHHHHHH", "...........", 1, "intensifying hot spot"),
        ("HHHHHHHHHHH", "...........", 0, "persistent hot spot"),
        ("HHHHHHHHHHH", "...........", -1, "diminishing hot spot"),
        ("H.H..H...HH", "...........", 0, "sporadic hot spot"),
        ("H.H..H...HH", "...H.......", 0, "oscillating hot spot"),
        ("HHHHHHHHHH.", "...........", 0, "historical hot spot"),
        ("H.H........", "...........", 0, ""),
    ],
)
def test_classification_rules(hot: str, cold: str, trend: int, expected: str) -> None:
    on = _flags(hot)[:, None]
    other = _flags(cold.replace("H", "H"))[:, None]
    out = _classify(on, other, np.array([trend]), "hot")
    assert out[0] == expected


def test_steps_by_month_and_week(toronto_events: EventSet) -> None:
    idx, starts = time_steps(toronto_events, "1M")
    assert starts[0] == "2018-01-01"
    assert starts[-1] == "2019-12-01"
    assert len(starts) == 24
    assert idx.max() == 23
    _, weeks = time_steps(toronto_events, "2W")
    assert len(weeks) == 53
    with pytest.raises(ValueError, match="not understood"):
        time_steps(toronto_events, "fortnight")


def test_emerging_on_real_data(toronto_events: EventSet) -> None:
    grid = Grid.from_events(toronto_events, 250)
    res = emerging_hotspots(toronto_events, grid, "1M")
    assert res.counts.shape == (24, grid.n_cells)
    assert res.counts.sum() == len(toronto_events)
    assert set(res.category) <= set(CATEGORIES)
    assert (res.category != "no pattern").any()
    with pytest.raises(ValueError, match="at least 3"):
        emerging_hotspots(toronto_events, grid, "12M")


@pytest.mark.parametrize("window", [0, 1, 2])
def test_space_time_gi_equals_gi_star_on_explicit_space_time_weights(window: int) -> None:
    import shapely
    from scipy import sparse

    from prossima.analysis.hotspots.emerging import space_time_gi_star
    from prossima.analysis.hotspots.getis_ord import gi_star

    grid = Grid.from_area(
        shapely.Polygon([(0, 0), (900, 0), (900, 600), (300, 900)]), 100, "EPSG:32632"
    )
    rng = np.random.default_rng(5)
    steps = 6
    counts = rng.poisson(1.5, size=(steps, grid.n_cells)).astype(float)
    w_space = grid.queen_weights(include_self=True)
    # Step k's neighbours: same cells pattern in steps k - window .. k.
    shift = sum(sparse.eye(steps, k=-d) for d in range(window + 1))
    w_st = sparse.kron(shift, w_space, format="csr")
    ref = gi_star(counts.ravel(), w_st).z.reshape(steps, grid.n_cells)
    np.testing.assert_allclose(
        space_time_gi_star(counts, grid, window), ref, rtol=1e-10, atol=1e-10
    )
