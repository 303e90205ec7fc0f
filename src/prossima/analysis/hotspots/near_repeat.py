"""Run the Knox test for near-repeat victimisation over space x time bands.

Bands: ``space_bands`` are edges in metres and ``time_bands`` edges in days,
e.g. ``0,200,400`` and ``0,7,14``. Band ``k`` holds pairs with
``edge_k <= distance < edge_k+1`` (the first band includes distance 0, i.e.
the same location); a last open band ``>= last edge`` is added to each axis,
as in Ratcliffe's Near Repeat Calculator ("more than 400 m", "more than 14
days"). Pairs below the first edge are not counted.

Counting: every unordered pair of events is counted once in the band of its
distance and its absolute time difference (whole seconds, compared with the
day edges times 86,400). Only pairs closer than the last
spatial edge are enumerated (``scipy.spatial.cKDTree.query_pairs``); the open
spatial band is obtained by subtraction from the per-time-band totals, which
come from a sorted time index. All pairs are never formed.

Inference: the times are shuffled among the locations ``permutations`` times
(seeded). Because shuffling keeps the multiset of times, the per-time-band
totals are fixed, so only the close pairs are re-counted. ``expected`` is the
mean permuted count, ``knox_ratio = observed / expected`` and
``p_value = (#{permuted >= observed} + 1) / (permutations + 1)`` (one-sided,
testing for more pairs than chance, as the Near Repeat Calculator does).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from prossima.analysis.events import EventSet

__all__ = ["KnoxResult", "knox", "knox_counts_bruteforce"]


@dataclass(frozen=True)
class KnoxResult:
    """Hold the Knox tables: rows are space bands, columns are time bands."""

    space_bands: list[tuple[float, float | None]]
    time_bands: list[tuple[float, float | None]]
    observed: np.ndarray
    expected: np.ndarray
    knox_ratio: np.ndarray
    p_value: np.ndarray
    permutations: int
    seed: int | None
    n_events: int

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (NaN ratios as ``None``)."""

        def clean(a: np.ndarray) -> list[list[Any]]:
            return [[None if not np.isfinite(v) else float(v) for v in row] for row in a]

        return {
            "space_bands": [list(b) for b in self.space_bands],
            "time_bands": [list(b) for b in self.time_bands],
            "space_unit": "m",
            "time_unit": "days",
            "observed": self.observed.astype(int).tolist(),
            "expected": clean(self.expected),
            "knox_ratio": clean(self.knox_ratio),
            "p_value": clean(self.p_value),
            "permutations": self.permutations,
            "seed": self.seed,
            "n_events": self.n_events,
        }


def _check_edges(edges: Sequence[float], what: str) -> np.ndarray:
    e = np.asarray(edges, dtype=np.float64)
    if len(e) < 2 or np.any(np.diff(e) <= 0) or e[0] < 0:
        raise ValueError(
            f"{what} must be at least two increasing numbers >= 0 (e.g. 0,200,400); got {edges}."
        )
    return e


def _bands(e: np.ndarray) -> list[tuple[float, float | None]]:
    out: list[tuple[float, float | None]] = [(float(a), float(b)) for a, b in itertools.pairwise(e)]
    out.append((float(e[-1]), None))
    return out


def _time_totals(secs: np.ndarray, t_edges: np.ndarray) -> np.ndarray:
    """Return the number of pairs whose time gap falls in each band (open band last)."""
    s = np.sort(secs)
    n = len(s)

    def pairs_below(limit: float) -> int:
        # Pairs (i < j in time order) with s[j] - s[i] < limit.
        j = np.searchsorted(s, s + limit, side="left")
        return int((j - np.arange(n) - 1).clip(min=0).sum())

    below = np.array([pairs_below(v) for v in t_edges], dtype=np.int64)
    total = n * (n - 1) // 2
    out = np.empty(len(t_edges), dtype=np.int64)
    out[:-1] = np.diff(below)
    out[-1] = total - below[-1]
    return out


def knox(
    events: EventSet,
    space_bands: Sequence[float],
    time_bands: Sequence[float],
    permutations: int = 99,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> KnoxResult:
    """Return the Knox observed/expected table, ratios and Monte Carlo p-values."""
    s_edges = _check_edges(space_bands, "space bands")
    t_edges = _check_edges(time_bands, "time bands")
    n = len(events)
    if n < 2:
        raise ValueError("The Knox test needs at least two events.")
    ns, nt = len(s_edges), len(t_edges)
    # Whole seconds are exact in float64, so a gap of exactly 7 days meets the edge 7 exactly.
    t_ns = events.t.astype(np.int64)
    secs = ((t_ns - t_ns.min()) // 10**9).astype(np.float64)
    t_edges = t_edges * 86_400.0
    tree = cKDTree(np.column_stack([events.x, events.y]))
    # query_pairs keeps d <= r; pairs at exactly the last edge belong to the open band.
    pairs = tree.query_pairs(float(s_edges[-1]), output_type="ndarray")
    pi = pairs[:, 0].astype(np.int64)
    pj = pairs[:, 1].astype(np.int64)
    dist = np.hypot(events.x[pi] - events.x[pj], events.y[pi] - events.y[pj])
    sband = np.searchsorted(s_edges, dist, side="right") - 1
    keep = (sband >= 0) & (dist < s_edges[-1])
    pi, pj, sband = pi[keep], pj[keep], sband[keep]
    totals = _time_totals(secs, t_edges)
    # Rows of close pairs per time band; row -1 (below the first space edge) is dropped.
    below_first = None
    if s_edges[0] > 0:
        # Pairs closer than the first edge still sit in the time totals; count them to remove.
        close = tree.query_pairs(float(s_edges[0]), output_type="ndarray")
        d0 = np.hypot(
            events.x[close[:, 0]] - events.x[close[:, 1]],
            events.y[close[:, 0]] - events.y[close[:, 1]],
        )
        close = close[d0 < s_edges[0]]
        below_first = (close[:, 0].astype(np.int64), close[:, 1].astype(np.int64))

    # Pairs ordered by their first event: its times are then np.repeat of the
    # per-event times, much cheaper than a gather; pj stays a 64-bit gather (numpy
    # would convert narrower indices on every call).
    # A CSR matrix groups the pairs by pi with a counting sort in C (argsort is slower).
    grouped = sparse.csr_matrix(
        ((sband + 1).astype(np.int8), (pi, pj)), shape=(n, n), dtype=np.int8
    )
    pj = grouped.indices.astype(np.int64)
    sband = grouped.data.astype(np.int64) - 1
    repeats = np.diff(grouped.indptr)
    seg_len = np.bincount(sband, minlength=ns - 1)[: ns - 1]
    seconds = secs.astype(np.int32 if secs.max() < 2**31 - 1 else np.int64)
    edges = t_edges.astype(seconds.dtype if t_edges.max() < 2**31 - 1 else np.int64)
    close_i, close_j = below_first if below_first is not None else (None, None)
    last_edge = edges[-1]

    def table(order: np.ndarray | None) -> np.ndarray:
        d = seconds if order is None else seconds[order]
        gap = np.repeat(d, repeats)
        np.subtract(gap, d[pj], out=gap)
        np.abs(gap, out=gap)
        # Most close pairs are far apart in time: band only the few below the last edge.
        idx = np.flatnonzero(gap < last_edge)
        tband = np.searchsorted(edges, gap[idx], side="right") - 1
        sb = sband[idx]
        ok = tband >= 0
        counts = np.bincount(sb[ok] * nt + tband[ok], minlength=(ns - 1) * nt)
        tab = np.zeros((ns, nt), dtype=np.int64)
        tab[:-1] = counts.reshape(ns - 1, nt)
        below_last = np.bincount(sb, minlength=ns - 1)[: ns - 1]
        tab[:-1, -1] = seg_len - below_last
        excluded = np.zeros(nt, dtype=np.int64)
        if close_i is not None and close_j is not None:
            g0 = np.abs(d[close_i] - d[close_j])
            tb0 = np.searchsorted(edges, g0, side="right") - 1
            excluded = np.bincount(tb0[tb0 >= 0], minlength=nt)
        tab[-1] = totals - tab[:-1].sum(axis=0) - excluded
        return tab

    observed = table(None)
    rng = np.random.default_rng(seed)
    # Orders are drawn up front so results do not depend on thread scheduling.
    orders = [rng.permutation(n) for _ in range(permutations)]
    sims = np.zeros((permutations, ns, nt), dtype=np.int64)
    done = 0
    workers = max(1, min(os.cpu_count() or 1, 4))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # numpy releases the GIL in gathers and comparisons, so threads share the cores.
        for k, tab in enumerate(pool.map(table, orders)):
            sims[k] = tab
            done += 1
            if progress is not None:
                progress(done, permutations)
    if permutations:
        expected = sims.mean(axis=0)
        p_value = ((sims >= observed[None]).sum(axis=0) + 1.0) / (permutations + 1.0)
    else:
        expected = np.full((ns, nt), np.nan)
        p_value = np.full((ns, nt), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = observed / expected
    return KnoxResult(
        space_bands=_bands(s_edges),
        time_bands=_bands(t_edges / 86_400.0),
        observed=observed,
        expected=expected,
        knox_ratio=ratio,
        p_value=p_value,
        permutations=permutations,
        seed=seed,
        n_events=n,
    )


def knox_counts_bruteforce(
    x: np.ndarray,
    y: np.ndarray,
    seconds: np.ndarray,
    s_edges: Sequence[float],
    t_edges: Sequence[float],
) -> np.ndarray:
    """Return the observed Knox table by checking every pair (for tests; O(n²)).

    ``seconds`` are event times in whole seconds; ``t_edges`` are in days.
    """
    se = np.asarray(s_edges, float)
    te = np.asarray(t_edges, float) * 86_400.0
    tab = np.zeros((len(se), len(te)), dtype=np.int64)
    n = len(x)
    for i in range(n):
        for j in range(i + 1, n):
            d = float(np.hypot(x[i] - x[j], y[i] - y[j]))
            g = abs(float(seconds[i]) - float(seconds[j]))
            sb = int(np.searchsorted(se, d, side="right")) - 1
            tb = int(np.searchsorted(te, g, side="right")) - 1
            if sb >= 0 and tb >= 0:
                tab[sb, tb] += 1
    return tab
