"""Kernel density by FFT equals the direct kernel sum."""

from __future__ import annotations

import numpy as np
import pytest

from prossima.analysis.events import EventSet
from prossima.analysis.grid import Grid
from prossima.analysis.hotspots.kde import default_bandwidth, kde, kernel_values


def _direct(events: EventSet, grid: Grid, h: float, kernel: str) -> np.ndarray:
    """Sum the kernel over every event (placed at its cell centre) for every cell centre."""
    s = grid.cell_size
    ex = (np.floor(events.x / s) + 0.5) * s
    ey = (np.floor(events.y / s) + 0.5) * s
    cx, cy = grid.centroids()
    d2 = (cx[:, None] - ex[None, :]) ** 2 + (cy[:, None] - ey[None, :]) ** 2
    return kernel_values(d2, h, kernel, 4.0).sum(axis=1) * 1e6


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_fft_equals_direct_sum(toronto_events: EventSet, kernel: str) -> None:
    small = toronto_events.select(np.arange(0, len(toronto_events), 20))
    grid = Grid.from_events(small, 100)
    res = kde(small, grid, bandwidth=350.0, kernel=kernel)
    ref = _direct(small, grid, 350.0, kernel)
    assert ref.max() > 0
    np.testing.assert_allclose(res.density, ref, rtol=1e-9, atol=1e-9 * ref.max())


def test_density_integrates_to_the_number_of_events() -> None:
    grid = Grid.rectangle(60, 60, cell_size=10.0)
    import pandas as pd

    from prossima.analysis.events import EventSet

    # Events in the middle of the raster so the kernel mass stays inside it.
    x = np.array([300.0, 310.0, 295.0])
    y = np.array([300.0, 280.0, 305.0])
    ev = EventSet(
        x=x,
        y=y,
        t=np.zeros(3, "datetime64[ns]"),
        category=pd.Categorical(["a"] * 3),
        crs="EPSG:32632",
        lon=np.zeros(3),
        lat=np.zeros(3),
    )
    res = kde(ev, grid, bandwidth=100.0)
    total = res.density.sum() * (grid.cell_size**2) / 1e6
    assert total == pytest.approx(3.0, rel=1e-2)


def test_default_bandwidth_is_positive_even_with_ties() -> None:
    x = np.zeros(1000)
    y = np.zeros(1000)
    assert default_bandwidth(x, y, 200.0) == 200.0
    rng = np.random.default_rng(0)
    h = default_bandwidth(rng.normal(0, 1000, 500), rng.normal(0, 1000, 500), 50.0)
    assert 200 < h < 2000


def test_unknown_kernel(toronto_events: EventSet) -> None:
    grid = Grid.from_events(toronto_events, 500)
    with pytest.raises(ValueError, match="Unknown kernel"):
        kde(toronto_events, grid, kernel="box")
