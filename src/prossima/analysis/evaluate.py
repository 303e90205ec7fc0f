"""Measure how well a risk ranking of cells caught the events that followed.

Metrics at a coverage level ``c`` (the share of study-area cells flagged,
e.g. 0.01 for 1 %; ``k = max(1, round(c * n_cells))`` cells are flagged):

- **hit rate**: share of the period's events that fell in the flagged cells;
- **PAI**, predictive accuracy index (Chainey, Tompson & Uhlig 2008):
  hit rate divided by the share of the area flagged (``k / n_cells``);
- **PEI**, predictive efficiency index (Hunt 2016, NIJ Real-Time Crime
  Forecasting Challenge): events caught divided by the most that any ``k``
  cells could have caught (the ``k`` busiest cells of the period).

Ties: when cells with equal scores straddle the cut, they share the
remaining flags equally (the expected result of breaking the tie at random),
so a count-based ranking with many equal cells is neither flattered nor
penalised by an arbitrary cell order.

``coverage_metrics`` computes all three for several coverage levels;
``paired_difference`` gives the mean per-period difference between two
rankings with a t-interval and a seeded bootstrap interval; ``backtest`` runs
the rolling-origin evaluation of forecast models (it lives in
``prossima.analysis.forecast.backtest`` next to the models it fits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = [
    "DEFAULT_COVERAGES",
    "PairedDifference",
    "backtest",
    "coverage_metrics",
    "flagged_cells",
    "hit_rate",
    "n_flagged",
    "pai",
    "paired_difference",
    "pei",
]

DEFAULT_COVERAGES = (0.01, 0.02, 0.05, 0.10)


def _check(
    scores: np.ndarray, counts: np.ndarray, coverage: float
) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64)
    c = np.asarray(counts, dtype=np.float64)
    if s.shape != c.shape or s.ndim != 1 or len(s) == 0:
        raise ValueError(
            f"scores and counts must be 1-D arrays of the same non-zero length, got "
            f"{s.shape} and {c.shape}."
        )
    if not 0.0 < coverage <= 1.0:
        raise ValueError(f"coverage must be a share of cells in (0, 1], got {coverage!r}.")
    return s, c


def n_flagged(n_cells: int, coverage: float) -> int:
    """Return how many of ``n_cells`` cells a ``coverage`` share flags (at least one)."""
    return max(1, min(n_cells, round(coverage * n_cells)))


def _caught(s: np.ndarray, c: np.ndarray, k: int) -> float:
    """Return the events caught by the top ``k`` scores, sharing ties at the cut."""
    order = np.argsort(-s, kind="stable")
    cut = s[order[k - 1]]
    above = s > cut
    tied = s == cut
    n_above = int(above.sum())
    share = (k - n_above) / int(tied.sum())
    return float(c[above].sum() + share * c[tied].sum())


def hit_rate(scores: np.ndarray, counts: np.ndarray, coverage: float) -> float:
    """Return the share of events in the top ``coverage`` share of cells (NaN without events)."""
    s, c = _check(scores, counts, coverage)
    total = c.sum()
    if total <= 0:
        return float("nan")
    return _caught(s, c, n_flagged(len(s), coverage)) / float(total)


def pai(scores: np.ndarray, counts: np.ndarray, coverage: float) -> float:
    """Return the predictive accuracy index: hit rate / share of cells flagged."""
    s, c = _check(scores, counts, coverage)
    k = n_flagged(len(s), coverage)
    return hit_rate(s, c, coverage) / (k / len(s))


def pei(scores: np.ndarray, counts: np.ndarray, coverage: float) -> float:
    """Return the predictive efficiency index: events caught / the most ``k`` cells could catch."""
    s, c = _check(scores, counts, coverage)
    k = n_flagged(len(s), coverage)
    best = float(np.sort(c)[::-1][:k].sum())
    if best <= 0:
        return float("nan")
    return _caught(s, c, k) / best


def coverage_metrics(
    scores: np.ndarray, counts: np.ndarray, coverages: Sequence[float] = DEFAULT_COVERAGES
) -> dict[str, dict[float, float]]:
    """Return ``{"hit_rate": {c: …}, "pai": {c: …}, "pei": {c: …}}`` for each coverage."""
    return {
        "hit_rate": {c: hit_rate(scores, counts, c) for c in coverages},
        "pai": {c: pai(scores, counts, c) for c in coverages},
        "pei": {c: pei(scores, counts, c) for c in coverages},
    }


def flagged_cells(scores: np.ndarray, coverage: float) -> np.ndarray:
    """Return the indices of the flagged cells (ties broken by cell order, for maps/fairness)."""
    s = np.asarray(scores, dtype=np.float64)
    k = n_flagged(len(s), coverage)
    return np.sort(np.argsort(-s, kind="stable")[:k])


@dataclass(frozen=True)
class PairedDifference:
    """Hold the per-period differences ``a - b`` and their confidence intervals."""

    n: int
    mean: float
    sd: float
    t_low: float
    t_high: float
    boot_low: float
    boot_high: float
    share_positive: float
    confidence: float


def paired_difference(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_boot: int = 10_000,
    seed: int | None = 0,
) -> PairedDifference:
    """Return the mean of ``a - b`` over periods with t and bootstrap (percentile) intervals.

    Periods where either value is NaN (no events) are left out.
    """
    x = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 2:
        raise ValueError(f"A paired difference needs at least 2 periods with events, got {n}.")
    mean = float(x.mean())
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * sd / np.sqrt(n)
    rng = np.random.default_rng(seed)
    boots = x[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    return PairedDifference(
        n=n,
        mean=mean,
        sd=sd,
        t_low=mean - half,
        t_high=mean + half,
        boot_low=float(np.quantile(boots, alpha)),
        boot_high=float(np.quantile(boots, 1.0 - alpha)),
        share_positive=float(np.mean(x > 0)),
        confidence=confidence,
    )


def backtest(*args: Any, **kwargs: Any) -> Any:
    """Run a rolling-origin backtest: see ``prossima.analysis.forecast.backtest.backtest``."""
    # Imported here: the forecast package itself imports this module's metrics.
    from prossima.analysis.forecast.backtest import backtest as run

    return run(*args, **kwargs)
