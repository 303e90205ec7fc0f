"""Check hit rate, PAI, PEI and paired differences against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from prossima.analysis.evaluate import (
    coverage_metrics,
    flagged_cells,
    hit_rate,
    n_flagged,
    pai,
    paired_difference,
    pei,
)

# 10 cells; the ranking puts cell 0 first, then 1, 2 ...
SCORES = np.array([9.0, 8, 7, 6, 5, 4, 3, 2, 1, 0])
COUNTS = np.array([2.0, 0, 3, 0, 0, 5, 0, 0, 0, 0])  # 10 events; the busiest cell is 5


def test_hand_computed_top_cells() -> None:
    # 10 % of 10 cells = 1 cell (cell 0): 2 of 10 events.
    assert hit_rate(SCORES, COUNTS, 0.10) == pytest.approx(0.2)
    assert pai(SCORES, COUNTS, 0.10) == pytest.approx(0.2 / 0.1)
    # The best single cell holds 5 events: PEI = 2 / 5.
    assert pei(SCORES, COUNTS, 0.10) == pytest.approx(0.4)
    # 30 % = cells 0, 1, 2: 5 of 10 events; PAI = 0.5 / 0.3; best three cells hold 10.
    assert hit_rate(SCORES, COUNTS, 0.30) == pytest.approx(0.5)
    assert pai(SCORES, COUNTS, 0.30) == pytest.approx(0.5 / 0.3)
    assert pei(SCORES, COUNTS, 0.30) == pytest.approx(0.5)
    # Everything flagged: all events, PAI 1, PEI 1.
    assert pai(SCORES, COUNTS, 1.0) == pytest.approx(1.0)
    assert pei(SCORES, COUNTS, 1.0) == pytest.approx(1.0)


def test_ties_at_the_cut_share_the_flags() -> None:
    scores = np.array([5.0, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    counts = np.array([1.0, 4, 0, 0, 0, 0, 0, 0, 0, 5])
    # 20 % = 2 cells: cell 0 plus one of four tied cells (expected 4/4 = 1 event).
    assert hit_rate(scores, counts, 0.20) == pytest.approx((1 + 4 * 1 / 4) / 10)
    # A different order of the tied cells cannot change the result.
    perm = np.array([0, 4, 3, 2, 1, 5, 6, 7, 8, 9])
    assert hit_rate(scores[perm], counts[perm], 0.20) == pytest.approx(0.2)


def test_coverage_metrics_and_flags() -> None:
    res = coverage_metrics(SCORES, COUNTS, (0.1, 0.3))
    assert res["pai"][0.3] == pytest.approx(0.5 / 0.3)
    assert n_flagged(10_000, 0.01) == 100
    assert n_flagged(5, 0.01) == 1
    np.testing.assert_array_equal(flagged_cells(SCORES, 0.3), [0, 1, 2])


def test_no_events_is_nan_and_bad_input_is_named() -> None:
    assert np.isnan(hit_rate(SCORES, np.zeros(10), 0.1))
    with pytest.raises(ValueError, match="coverage"):
        pai(SCORES, COUNTS, 0.0)
    with pytest.raises(ValueError, match="same non-zero length"):
        pai(SCORES, COUNTS[:5], 0.1)


def test_paired_difference_matches_t_interval() -> None:
    a = np.array([3.0, 4.5, 2.0, 5.0, 4.0, np.nan])
    b = np.array([2.5, 4.0, 2.5, 4.0, 3.0, 1.0])
    d = paired_difference(a, b, seed=1)
    x = np.array([0.5, 0.5, -0.5, 1.0, 1.0])
    half = stats.t.ppf(0.975, 4) * x.std(ddof=1) / np.sqrt(5)
    assert d.n == 5
    assert d.mean == pytest.approx(0.5)
    assert (d.t_low, d.t_high) == pytest.approx((0.5 - half, 0.5 + half))
    assert d.boot_low <= d.mean <= d.boot_high
    assert d.share_positive == pytest.approx(0.8)
