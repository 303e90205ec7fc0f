"""Knox test counts equal a brute-force pair count; p-values are seeded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prossima.analysis.events import EventSet
from prossima.analysis.hotspots.near_repeat import knox, knox_counts_bruteforce


def _seconds(events: EventSet) -> np.ndarray:
    return events.t.astype(np.int64) // 10**9


@pytest.mark.parametrize(
    ("space", "time"),
    [([0, 100, 200, 400], [0, 7, 14, 28]), ([50, 150, 300], [1, 3, 10])],
)
def test_observed_equals_brute_force(
    toronto_events: EventSet, space: list[float], time: list[float]
) -> None:
    small = toronto_events.select(np.arange(0, len(toronto_events), 25))
    res = knox(small, space, time, permutations=0)
    ref = knox_counts_bruteforce(small.x, small.y, _seconds(small), space, time)
    np.testing.assert_array_equal(res.observed, ref)
    n = len(small)
    if space[0] == 0 and time[0] == 0:
        assert res.observed.sum() == n * (n - 1) // 2


def test_p_values_are_reproducible_with_the_seed(toronto_events: EventSet) -> None:
    small = toronto_events.select(np.arange(0, len(toronto_events), 5))
    a = knox(small, [0, 100, 200], [0, 7, 14], permutations=19, seed=4)
    b = knox(small, [0, 100, 200], [0, 7, 14], permutations=19, seed=4)
    np.testing.assert_array_equal(a.p_value, b.p_value)
    np.testing.assert_array_equal(a.expected, b.expected)
    assert ((a.p_value >= 1 / 20) & (a.p_value <= 1)).all()
    # Shuffling times keeps the number of pairs in each time band.
    np.testing.assert_allclose(a.expected.sum(axis=0), a.observed.sum(axis=0))
    doc = a.to_dict()
    assert doc["space_bands"][-1] == [200.0, None]
    assert len(doc["observed"]) == 3
    assert len(doc["observed"][0]) == 3


def test_same_place_same_week_repeats_are_found(toronto_events: EventSet) -> None:
    res = knox(toronto_events, [0, 100, 400], [0, 7, 28], permutations=19, seed=1)
    # Several offences of one incident share place and time: the first cell is above chance.
    assert res.knox_ratio[0, 0] > 1.0
    assert res.p_value[0, 0] == pytest.approx(1 / 20)


def test_bad_bands() -> None:
    ev = EventSet(
        x=np.zeros(3),
        y=np.zeros(3),
        t=np.zeros(3, "datetime64[ns]"),
        category=pd.Categorical(["a"] * 3),
        crs="EPSG:32632",
        lon=np.zeros(3),
        lat=np.zeros(3),
    )
    with pytest.raises(ValueError, match="increasing"):
        knox(ev, [200, 100], [0, 7])
