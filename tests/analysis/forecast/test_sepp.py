"""Check that the SEPP's EM recovers known parameters and survives tied locations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prossima.analysis.events import EventSet
from prossima.analysis.forecast import SEPP
from prossima.analysis.grid import Grid


def _events(x: np.ndarray, y: np.ndarray, days: np.ndarray) -> EventSet:
    order = np.argsort(days)
    t = (pd.Timestamp("2018-01-01").value + days[order] * 86_400e9).astype("datetime64[ns]")
    n = len(x)
    return EventSet(
        x=x[order],
        y=y[order],
        t=t,
        category=pd.Categorical(["a"] * n),
        crs="EPSG:32632",
        lon=np.zeros(n),
        lat=np.zeros(n),
    )


def _simulate(seed: int, theta: float, omega: float, sigma: float) -> EventSet:
    rng = np.random.default_rng(seed)
    side, span, rate = 6000.0, 730.0, 3.0
    n0 = rng.poisson(rate * span)
    xs, ys, ts = [rng.uniform(0, side, n0)], [rng.uniform(0, side, n0)], [rng.uniform(0, span, n0)]
    gen = (xs[0], ys[0], ts[0])
    while len(gen[0]):
        k = rng.poisson(theta, len(gen[0]))
        px, py, pt = (np.repeat(v, k) for v in gen)
        cx = px + rng.normal(0, sigma, len(px))
        cy = py + rng.normal(0, sigma, len(px))
        ct = pt + rng.exponential(1 / omega, len(px))
        keep = (ct < span) & (cx > 0) & (cx < side) & (cy > 0) & (cy < side)
        gen = (cx[keep], cy[keep], ct[keep])
        xs.append(gen[0]), ys.append(gen[1]), ts.append(gen[2])
    return _events(np.concatenate(xs), np.concatenate(ys), np.concatenate(ts))


def test_em_recovers_simulated_parameters() -> None:
    events = _simulate(seed=3, theta=0.4, omega=1 / 5.0, sigma=120.0)
    grid = Grid.rectangle(40, 40, 150.0)
    # The true background is uniform: a wide background kernel lets EM see that. With the
    # default 1.5-cell background, part of the clustering is absorbed by the background
    # and theta comes out lower (0.31 here): the price of a flexible background.
    model = SEPP(weekly=False, spatial_cutoff=600, bg_bandwidth=1500).fit(events, grid)
    assert model.theta_ == pytest.approx(0.4, abs=0.06)
    assert 1 / model.omega_ == pytest.approx(5.0, rel=0.2)
    assert model.sigma_ == pytest.approx(120.0, rel=0.1)


def test_tied_locations_do_not_collapse_the_bandwidth() -> None:
    # Snapped data: 300 events on 5 intersections, many at the same hour.
    rng = np.random.default_rng(0)
    spots = np.array([[1000.0, 1000], [1150, 1000], [1000, 1300], [2000, 2000], [400, 1800]])
    pick = rng.integers(0, 5, 300)
    days = np.floor(rng.uniform(0, 365, 300) * 24) / 24
    days[1::7] = days[::7][: len(days[1::7])]  # exact time ties
    events = _events(spots[pick, 0], spots[pick, 1], days)
    model = SEPP(min_sigma=50.0).fit(events, Grid.rectangle(20, 20, 150.0))
    assert model.sigma_ >= 50.0
    assert 1 / model.omega_ >= 0.5
    scores = model.predict(pd.Timestamp("2019-01-02", tz="UTC"), 7)
    assert np.isfinite(scores).all()
    assert scores.max() > 0
