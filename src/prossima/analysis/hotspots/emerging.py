"""Classify cells by emerging hot spot analysis over a space-time cube.

Cube: events are counted per study-area cell and per time step. Steps are
``"<n>D"`` (days), ``"<n>W"`` (weeks) or ``"<n>M"`` (calendar months), counted
in the events' local time zone from the start of the first event's day/month;
the last step may be partial. At least 3 steps are needed (10 or more give a
meaningful trend, as ArcGIS advises).

Space-time Gi*: as in ArcGIS, every bin (cell, step) is a value and Gi* is
computed over the whole cube (``n`` = cells x steps, mean and standard
deviation of all bins). The neighbours of a bin are the bins of its queen
neighbourhood plus itself (``Grid.queen_weights``) in the same step and in the
``time_window`` previous steps (ArcGIS's "neighborhood time step", default 1),
with binary weights. p-values are analytic (two-sided normal), optionally
Benjamini-Hochberg adjusted over all bins. A bin is a *hot* (*cold*) spot when
``z > 0`` (``z < 0``) and ``p < alpha`` (default 0.10, 90 % confidence).

Trend: the Mann-Kendall test on each cell's series of Gi* z-scores (with
the tie correction); ``trend_z > 0`` means clustering intensifies; a trend is
significant when its two-sided p < ``trend_alpha`` (default 0.05).

Categories, following ArcGIS Emerging Hot Spot Analysis (hot shown; cold
mirrors them, with "intensifying" meaning ever colder). ``f`` is the share of
steps in which the cell is a hot spot:

- ``new hot spot``: hot in the final step and never before;
- ``consecutive hot spot``: a single uninterrupted run of at least two hot
  steps ending in the final step, never hot before that run, ``f < 0.9``;
- ``intensifying hot spot``: ``f >= 0.9``, hot in the final step, significant
  upward trend;
- ``persistent hot spot``: ``f >= 0.9``, hot in the final step, no significant trend;
- ``diminishing hot spot``: ``f >= 0.9``, hot in the final step, significant
  downward trend;
- ``sporadic hot spot``: hot in the final step, on and off before,
  ``f < 0.9``, never a cold spot;
- ``oscillating hot spot``: hot in the final step, ``f < 0.9``, a cold spot
  in some earlier step;
- ``historical hot spot``: not hot in the final step, ``f >= 0.9``;
- ``no pattern``: none of the above.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage
from scipy.special import ndtr

from prossima.analysis.events import EventSet
from prossima.analysis.grid import Grid
from prossima.analysis.hotspots.getis_ord import benjamini_hochberg

__all__ = [
    "CATEGORIES",
    "EmergingResult",
    "emerging_hotspots",
    "mann_kendall",
    "space_time_gi_star",
    "time_steps",
]

PATTERNS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)
CATEGORIES = (
    *(f"{p} hot spot" for p in PATTERNS),
    *(f"{p} cold spot" for p in PATTERNS),
    "no pattern",
)


@dataclass(frozen=True)
class EmergingResult:
    """Hold per-cell categories, trends and the Gi* cube of an emerging hot spot analysis."""

    category: np.ndarray  # str per cell
    trend_z: np.ndarray
    trend_p: np.ndarray
    hot_steps: np.ndarray
    cold_steps: np.ndarray
    z: np.ndarray  # (steps, cells) Gi* z-scores
    counts: np.ndarray  # (steps, cells)
    step_starts: list[str]


def time_steps(events: EventSet, step: str) -> tuple[np.ndarray, list[str]]:
    """Return each event's step index and the ISO start of every step."""
    m = re.fullmatch(r"\s*(\d*)\s*([DWM])\s*", step.upper())
    if not m or m.group(1) == "0":
        raise ValueError(f"Step {step!r} not understood; use e.g. 1M, 3M, 7D, 1W.")
    k = int(m.group(1) or 1)
    unit = m.group(2)
    local = events.times()
    if unit == "M":
        months = local.year.to_numpy() * 12 + local.month.to_numpy() - 1
        first = int(months.min())
        idx = (months - first) // k
        starts = [
            pd.Timestamp(year=(first + i * k) // 12, month=(first + i * k) % 12 + 1, day=1)
            for i in range(int(idx.max()) + 1)
        ]
    else:
        days_per = k * (7 if unit == "W" else 1)
        day = local.normalize().tz_localize(None).to_numpy().astype("datetime64[D]")
        first_day = day.min()
        idx = (day - first_day).astype(np.int64) // days_per
        starts = [
            pd.Timestamp(first_day + np.timedelta64(i * days_per, "D"))
            for i in range(int(idx.max()) + 1)
        ]
    return idx.astype(np.int64), [s.date().isoformat() for s in starts]


def mann_kendall(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return Mann-Kendall ``(z, two-sided p)`` for each row of ``series`` (rows x time)."""
    x = np.asarray(series, dtype=np.float64)
    n_rows, t = x.shape
    s = np.zeros(n_rows)
    for i in range(t - 1):
        s += np.sign(x[:, i + 1 :] - x[:, i : i + 1]).sum(axis=1)
    srt = np.sort(x, axis=1)
    starts = np.ones_like(srt, dtype=bool)
    starts[:, 1:] = srt[:, 1:] != srt[:, :-1]
    run_id = np.cumsum(starts.ravel()) - 1
    lengths = np.bincount(run_id).astype(np.float64)
    run_row = np.repeat(np.arange(n_rows), t)[starts.ravel()]
    tie = np.bincount(
        run_row, weights=lengths * (lengths - 1) * (2 * lengths + 5), minlength=n_rows
    )
    var = (t * (t - 1) * (2 * t + 5) - tie) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, (s - 1) / np.sqrt(var), np.where(s < 0, (s + 1) / np.sqrt(var), 0.0))
    z = np.where(var > 0, z, 0.0)
    return z, 2.0 * ndtr(-np.abs(z))


def _classify(on: np.ndarray, other: np.ndarray, trend: np.ndarray, kind: str) -> np.ndarray:
    """Return the pattern for hot (or cold) flags ``on`` (steps x cells); "" when none."""
    t = on.shape[0]
    final = on[-1]
    frac = on.mean(axis=0)
    streak = np.zeros(on.shape[1], dtype=np.int64)
    alive = np.ones(on.shape[1], dtype=bool)
    for k in range(t - 1, -1, -1):
        alive &= on[k]
        streak += alive
    before_run = on.sum(axis=0) - streak
    ever_other = other[:-1].any(axis=0)
    high = frac >= 0.9
    out = np.full(on.shape[1], "", dtype=object)
    rules = [
        (final & (streak == 1) & (before_run == 0), "new"),
        (final & (streak >= 2) & (before_run == 0) & ~high, "consecutive"),
        (final & high & (trend > 0), "intensifying"),
        (final & high & (trend < 0), "diminishing"),
        (final & high & (trend == 0), "persistent"),
        (final & ~high & ~ever_other, "sporadic"),
        (final & ~high & ever_other, "oscillating"),
        (~final & high, "historical"),
    ]
    for cond, name in reversed(rules):
        out[cond] = f"{name} {kind} spot"
    return out


def space_time_gi_star(counts: np.ndarray, grid: Grid, time_window: int) -> np.ndarray:
    """Return Gi* z-scores (steps x cells) over the space-time cube.

    Neighbours: queen + self in space, in the same and ``time_window`` previous
    steps; binary weights; global mean and deviation of all bins.
    """
    n_steps = counts.shape[0]
    cube = np.zeros((n_steps, *grid.shape))
    cube[:, grid.mask] = counts
    box = np.ones((1, 3, 3))
    spatial = ndimage.correlate(cube, box, mode="constant", cval=0.0)[:, grid.mask]
    card = ndimage.correlate(grid.mask.astype(np.float64), box[0], mode="constant")[grid.mask]
    # Sums over the window [k - time_window, k] from running totals along time.
    run = np.cumsum(spatial, axis=0)
    lag = run.copy()
    lag[time_window + 1 :] -= run[: n_steps - time_window - 1]
    steps_in = np.minimum(np.arange(n_steps), time_window) + 1.0
    wsum = steps_in[:, None] * card[None, :]
    x = counts.ravel()
    n = x.size
    mean = x.mean()
    s = np.sqrt(max(float((x * x).mean() - mean * mean), 0.0))
    den = s * np.sqrt(np.maximum(n * wsum - wsum * wsum, 0.0) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (lag - mean * wsum) / den
    return np.where(den > 0, z, 0.0)


def emerging_hotspots(
    events: EventSet,
    grid: Grid,
    step: str = "1M",
    alpha: float = 0.10,
    trend_alpha: float = 0.05,
    fdr: bool = False,
    progress: Callable[[int, int], None] | None = None,
    time_window: int = 1,
) -> EmergingResult:
    """Return the emerging hot spot category of every study-area cell."""
    if time_window < 0:
        raise ValueError(f"time_window must be 0 or more steps, got {time_window}.")
    step_idx, starts = time_steps(events, step)
    n_steps = len(starts)
    if n_steps < 3:
        raise ValueError(
            f"The events span {n_steps} step(s) of {step}; emerging hot spot analysis needs "
            "at least 3 (10 or more advised). Use a shorter --step."
        )
    cell = grid.assign(events)
    keep = cell >= 0
    counts = (
        np.bincount(step_idx[keep] * grid.n_cells + cell[keep], minlength=n_steps * grid.n_cells)
        .reshape(n_steps, grid.n_cells)
        .astype(np.float64)
    )
    z = space_time_gi_star(counts, grid, time_window)
    p = 2.0 * ndtr(-np.abs(z))
    if fdr:
        p = benjamini_hochberg(p.ravel()).reshape(p.shape)
    if progress is not None:
        progress(n_steps, n_steps)
    hot = (z > 0) & (p < alpha)
    cold = (z < 0) & (p < alpha)
    trend_z, trend_p = mann_kendall(z.T)
    trend = np.where(trend_p < trend_alpha, np.sign(trend_z), 0.0)
    hot_cat = _classify(hot, cold, trend, "hot")
    cold_cat = _classify(cold, hot, -trend, "cold")
    category = np.where(hot[-1], hot_cat, np.where(cold[-1], cold_cat, hot_cat + cold_cat))
    category = np.where(category == "", "no pattern", category).astype(object)
    return EmergingResult(
        category=category,
        trend_z=trend_z,
        trend_p=trend_p,
        hot_steps=hot.sum(axis=0),
        cold_steps=cold.sum(axis=0),
        z=z,
        counts=counts,
        step_starts=starts,
    )
