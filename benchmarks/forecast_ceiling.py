"""Measure how far above the naive baseline any forecast could get, using look-ahead on purpose.

Diagnostics, not forecasts: the scorers below read events after the origin,
to show how much of a week's PAI is Poisson noise that no model can remove.
Same weekly periods, 150 m grid and PAI (ties shared) as bench_forecast.py;
each figure is a ratio to the 730-day count at 1/2/5/10 % of cells.

    .venv/bin/python benchmarks/forecast_ceiling.py
    .venv/bin/python benchmarks/forecast_ceiling.py --category "Break and Enter"

- past 730 d + rest of the year: counts in the 730 days before the origin
  plus the rest of the test year after the test week;
- 730 d either side / 91 d either side + long memory: counts in the window
  before the origin and after the test week (the latter plus the default
  long-memory count), i.e. a smoother that knows the future;
- true-rate simulation: each cell's weekly rate taken as its 3-year mean
  (two years before the test year and the test year), weeks and 730-day
  counts drawn as Poisson (200 draws, seed 0); ranking by the true rate vs
  by the simulated count is the headroom left if rates were stationary.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import pandas as pd

from _common import data_dir, machine
from prossima.analysis.evaluate import pai
from prossima.analysis.forecast._base import History, to_days, to_timestamp
from prossima.analysis.grid import Grid
from prossima.analysis.io import read_events

COVERAGES = (0.01, 0.02, 0.05, 0.10)


def _counts(hist: History, start: float, end: float, n: int) -> np.ndarray:
    s = hist.window(start, end)
    return np.bincount(hist.cell[s], minlength=n).astype(np.float64)


def _long_memory(hist: History, origin: float, n: int) -> np.ndarray:
    """Return the default long-memory count: distinct days, weight exp(-age / 730), 5 years."""
    s = hist.window(origin - 1825.0, origin)
    cells, days = hist.cell[s], np.floor(hist.days[s]).astype(np.int64)
    first = np.zeros(len(cells))
    if len(cells):
        _, idx = np.unique(cells.astype(np.int64) * 1_000_000 + days, return_index=True)
        first[idx] = 1.0
    w = first * np.exp(-(origin - hist.days[s]) / 730.0)
    return np.bincount(cells, weights=w, minlength=n)


def main() -> int:
    """Print the look-ahead ceilings for one test year."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--category", help="keep only this MCI category, e.g. 'Break and Enter'")
    p.add_argument("--year", type=int, default=2019, help="test year (default 2019)")
    args = p.parse_args()
    print(machine())
    events = read_events(data_dir() / "toronto_mci_2014_2019.csv.gz").events
    if args.category:
        events = events.of_category(args.category)
    start = to_timestamp(f"{args.year}-01-01", events.tz)
    grid = Grid.from_events(events.before(start), 150.0)
    hist = History.from_events(events, grid)
    n = grid.n_cells
    origins = [to_days(start + pd.Timedelta(days=7 * k)) for k in range(52)]
    truths = [_counts(hist, o, o + 7.0, n) for o in origins]
    year_end = to_days(to_timestamp(f"{args.year + 1}-01-01", events.tz))

    scorers: dict[str, Callable[[float], np.ndarray]] = {
        "730-day count (baseline)": lambda o: _counts(hist, o - 730.0, o, n),
        "long-memory count (default component)": lambda o: _long_memory(hist, o, n),
        "LOOK-AHEAD past 730 d + rest of the year": lambda o: (
            _counts(hist, o - 730.0, o, n) + _counts(hist, o + 7.0, year_end, n)
        ),
        "LOOK-AHEAD 730 d either side": lambda o: (
            _counts(hist, o - 730.0, o, n) + _counts(hist, o + 7.0, o + 737.0, n)
        ),
        "LOOK-AHEAD 91 d either side + long memory": lambda o: (
            _counts(hist, o - 91.0, o, n)
            + _counts(hist, o + 7.0, o + 98.0, n)
            + _long_memory(hist, o, n)
        ),
    }
    table = {
        name: np.array(
            [[pai(f(o), y, c) for c in COVERAGES] for o, y in zip(origins, truths, strict=True)]
        )
        for name, f in scorers.items()
    }
    base = table["730-day count (baseline)"].mean(axis=0)
    print(f"category={args.category or 'all'} year={args.year} cells={n}")
    for name, v in table.items():
        m = v.mean(axis=0)
        print(
            f"{name:44s} PAI "
            + " ".join(f"{x:7.3f}" for x in m)
            + "  ratio "
            + " ".join(f"{x:.3f}" for x in m / base)
        )

    rate = _counts(hist, to_days(start) - 730.0, year_end, n) / (
        (year_end - to_days(start) + 730.0) / 7.0
    )
    rng = np.random.default_rng(0)
    true_pai, count_pai = [], []
    for _ in range(200):
        week = rng.poisson(rate).astype(np.float64)
        count = rng.poisson(rate * 730.0 / 7.0).astype(np.float64)
        true_pai.append(pai(rate, week, 0.01))
        count_pai.append(pai(count, week, 0.01))
    print(
        f"true-rate simulation, PAI@1%: true rate {np.mean(true_pai):.3f}, 730-day count "
        f"{np.mean(count_pai):.3f}, headroom {np.mean(true_pai) / np.mean(count_pai):.3f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
