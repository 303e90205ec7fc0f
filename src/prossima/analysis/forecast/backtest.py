"""Evaluate forecast models by a rolling-origin backtest that never looks ahead.

For each period ``[origin, origin + horizon)`` from ``test_start`` to
``test_end``, every model is fitted on the events strictly before the origin
(refitted every ``refit_every`` periods; in between, only its history is
extended with ``update``), predicts, and is scored on the events of the
period with hit rate, PAI and PEI (``prossima.analysis.evaluate``).

All periods and models share one grid, laid over the events before
``test_start`` (or over ``boundary``), so that scores are comparable and no
cell exists because of a future event. Events of a test period that fall
outside it are counted in ``events_outside_grid``.

Fairness (Ensign et al. 2018, "Runaway feedback loops in predictive
policing", *FAT\\** 2018): at the smallest coverage, the flagged cells of every
period are attributed to a sub-area (each cell takes the most frequent
sub-area label of its events before ``test_start``, e.g. Toronto's
``Neighbourhood``) and the backtest reports the share of flags going to the
five most-flagged sub-areas, the Gini coefficient of flags over all
sub-areas, the share of test events that happened in those same five
sub-areas (so concentration can be read against where harm is), and how often
the same cells are flagged week after week (mean Jaccard overlap of
consecutive periods, share of flags on cells flagged in 75 % of periods or
more).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from prossima.analysis.evaluate import (
    DEFAULT_COVERAGES,
    coverage_metrics,
    flagged_cells,
    paired_difference,
)
from prossima.analysis.events import EventSet
from prossima.analysis.forecast._base import horizon_end, to_days, to_timestamp
from prossima.analysis.forecast.api import check_history, configure_horizon, make_model
from prossima.analysis.grid import Grid

__all__ = ["BacktestResult", "backtest", "cell_subareas", "gini"]

SUBAREA_ATTRIBUTES = ("Neighbourhood", "LSOA code", "LSOA name", "subarea")
METRICS = ("hit_rate", "pai", "pei")


def gini(values: np.ndarray) -> float:
    """Return the Gini coefficient of non-negative ``values`` (0 = even, 1 = all in one)."""
    v = np.sort(np.asarray(values, dtype=np.float64))
    n = len(v)
    if n == 0 or v.sum() <= 0:
        return 0.0
    cum = np.cumsum(v)
    return float((n + 1 - 2 * np.sum(cum) / cum[-1]) / n)


def cell_subareas(events: EventSet, grid: Grid, attribute: str) -> np.ndarray:
    """Return, per cell, the most frequent ``attribute`` label of its events ('' if none)."""
    cell = grid.assign(events)
    keep = cell >= 0
    df = pd.DataFrame({"cell": cell[keep], "label": events.attributes[attribute][keep].astype(str)})
    top = df.groupby(["cell", "label"]).size().reset_index(name="n")
    top = top.sort_values(["cell", "n", "label"], ascending=[True, False, True])
    first = top.drop_duplicates("cell")
    out = np.full(grid.n_cells, "", dtype=object)
    out[first["cell"].to_numpy()] = first["label"].to_numpy()
    return out


def _key(c: float) -> str:
    return f"{c * 100:g}"


@dataclass
class BacktestResult:
    """Hold per-period metrics of every model, timings, fairness and the last period's maps."""

    grid: Grid
    origins: list[pd.Timestamp]
    ends: list[pd.Timestamp]
    coverages: tuple[float, ...]
    models: list[str]
    metrics: dict[str, dict[str, np.ndarray]]  # model -> metric -> (n_periods, n_coverages)
    fit_seconds: dict[str, float]
    predict_seconds: dict[str, float]
    events_per_period: np.ndarray
    events_outside_grid: int
    last_scores: dict[str, np.ndarray]
    last_counts: np.ndarray
    fairness: dict[str, dict[str, Any]] = field(default_factory=dict)
    subarea_attribute: str | None = None
    refit_every: int = 1
    horizon: str = "7"
    blend_weights: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    tz: str = "UTC"

    def mean(self, model: str, metric: str) -> dict[float, float]:
        """Return the mean of ``metric`` over periods with events, per coverage."""
        arr = self.metrics[model][metric]
        return {c: float(np.nanmean(arr[:, j])) for j, c in enumerate(self.coverages)}

    def paired(self, model: str, baseline: str, metric: str = "pai") -> dict[str, dict[str, Any]]:
        """Return per-coverage paired differences ``model - baseline`` over periods."""
        out: dict[str, dict[str, Any]] = {}
        for j, c in enumerate(self.coverages):
            a = self.metrics[model][metric][:, j]
            b = self.metrics[baseline][metric][:, j]
            try:
                d = paired_difference(a, b)
            except ValueError:
                continue
            ratio = float(np.nanmean(a) / np.nanmean(b)) if np.nanmean(b) > 0 else float("nan")
            out[_key(c)] = {
                "mean_difference": d.mean,
                "t_ci95": [d.t_low, d.t_high],
                "bootstrap_ci95": [d.boot_low, d.boot_high],
                "share_of_periods_better": d.share_positive,
                "ratio_of_means": ratio,
                "periods": d.n,
            }
        return out

    def to_json(self, baseline: str | None = None) -> dict[str, Any]:
        """Return the JSON document of the CLI (issue format plus per-period detail)."""
        models: dict[str, Any] = {}
        for name in self.models:
            entry: dict[str, Any] = {
                m: {_key(c): _num(v) for c, v in self.mean(name, m).items()} for m in METRICS
            }
            entry["fit_seconds"] = round(self.fit_seconds[name], 3)
            entry["predict_seconds"] = round(self.predict_seconds[name], 3)
            entry["per_period"] = {
                m: {
                    _key(c): [_num(v) for v in self.metrics[name][m][:, j]]
                    for j, c in enumerate(self.coverages)
                }
                for m in METRICS
            }
            if baseline and name != baseline:
                entry["paired_pai_vs_baseline"] = self.paired(name, baseline)
            if name in self.fairness:
                entry["fairness"] = self.fairness[name]
            if name in self.blend_weights:
                entry["weights_per_period"] = self.blend_weights[name]
            models[name] = entry
        return {
            "grid": {
                "cell_size_m": self.grid.cell_size,
                "cells": self.grid.n_cells,
                "crs": self.grid.crs,
            },
            "periods": len(self.origins),
            "origins": [o.tz_convert(self.tz).isoformat() for o in self.origins],
            "horizon": self.horizon,
            "refit_every": self.refit_every,
            "coverages_percent": [_key(c) for c in self.coverages],
            "events_per_period": [int(v) for v in self.events_per_period],
            "events_outside_grid": self.events_outside_grid,
            "baseline": baseline,
            "subarea_attribute": self.subarea_attribute,
            "models": models,
        }


def _num(v: float) -> float | None:
    return None if not np.isfinite(v) else round(float(v), 6)


def _fairness(
    flags: list[np.ndarray],
    subareas: np.ndarray,
    counts_all: np.ndarray,
) -> dict[str, Any]:
    labels = sorted({s for s in subareas.tolist() if s})
    index = {s: i for i, s in enumerate(labels)}
    per = np.zeros(len(labels))
    times = np.zeros(len(subareas))
    for f in flags:
        times[f] += 1
        for s in subareas[f].tolist():
            if s:
                per[index[s]] += 1
    total = per.sum()
    order = np.argsort(-per, kind="stable")[:5]
    top5 = [labels[i] for i in order]
    ev = np.zeros(len(labels))
    for cell in np.nonzero(counts_all)[0]:
        s = subareas[cell]
        if s:
            ev[index[s]] += counts_all[cell]
    jacc = [
        len(np.intersect1d(a, b)) / max(len(np.union1d(a, b)), 1)
        for a, b in itertools.pairwise(flags)
    ]
    n_flags = sum(len(f) for f in flags)
    sticky = times >= 0.75 * len(flags)
    return {
        "coverage_percent": None,
        "subareas": len(labels),
        "subareas_flagged": int((per > 0).sum()),
        "top5_subareas": top5,
        "top5_share_of_flags": float(per[order].sum() / total) if total else 0.0,
        "top5_share_of_test_events": float(ev[order].sum() / ev.sum()) if ev.sum() else 0.0,
        "gini_flags_over_subareas": gini(per),
        "gini_test_events_over_subareas": gini(ev),
        "mean_jaccard_consecutive_periods": float(np.mean(jacc)) if jacc else 1.0,
        "distinct_cells_flagged": int((times > 0).sum()),
        "share_of_flags_on_cells_flagged_75pct_of_periods": float(times[sticky].sum() / n_flags)
        if n_flags
        else 0.0,
    }


def backtest(
    events: EventSet,
    models: Sequence[str],
    test_start: Any,
    test_end: Any,
    horizon: float | str = 7.0,
    cell_size: float = 150.0,
    coverages: Sequence[float] = DEFAULT_COVERAGES,
    refit_every: int = 1,
    boundary: BaseGeometry | None = None,
    subarea: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    all_types: EventSet | None = None,
) -> BacktestResult:
    """Run a rolling-origin backtest of ``models`` (specs) over ``[test_start, test_end]``.

    ``test_end`` is inclusive as a date: periods run while they end on or
    before the end of that local day. ``subarea`` names the event attribute
    used for the fairness check (default: the first of Neighbourhood,
    LSOA code, LSOA name, subarea present in the data). ``all_types``: the
    events of every offence type when ``events`` is one category of them;
    each model is given those strictly before its origin (see ``fit``).
    """
    tz = events.tz
    start = to_timestamp(test_start, tz)
    stop = to_timestamp(test_end, tz)
    if isinstance(test_end, str) and len(test_end.strip()) <= 10:
        stop = stop + pd.Timedelta(days=1)
    if not stop > start:
        raise ValueError(f"--test-end {test_end} must be after --test-start {test_start}.")
    if not (isinstance(refit_every, int) and refit_every >= 1):
        raise ValueError(f"--refit-every must be a positive whole number, got {refit_every!r}.")
    if not models:
        raise ValueError("--models: give at least one model name.")
    origins: list[pd.Timestamp] = []
    ends: list[pd.Timestamp] = []
    o = start
    while True:
        e = horizon_end(o, horizon, tz)
        if e > stop:
            break
        origins.append(o)
        ends.append(e)
        o = e
    if not origins:
        raise ValueError(
            f"--test-start/--test-end: no whole period of --horizon {horizon} fits between "
            f"{start:%Y-%m-%d} and {stop:%Y-%m-%d}."
        )
    specs = list(dict.fromkeys(models))
    probes = [make_model(s) for s in specs]
    for est in probes:
        configure_horizon(est, to_days(ends[0]) - to_days(origins[0]))
        check_history(events, est, start, option="--test-start")
    past = events.before(start)
    grid = Grid.from_events(past, cell_size, boundary)
    if grid.counts(past).sum() == 0:
        raise ValueError("No events before --test-start fall inside the study area (--boundary).")
    attr = subarea or next((a for a in SUBAREA_ATTRIBUTES if a in events.attributes), None)
    subareas = cell_subareas(past, grid, attr) if attr and attr in events.attributes else None

    order = np.argsort(events.t, kind="stable")
    sorted_events = events.select(order)
    t_sorted = sorted_events.t
    if all_types is not None:
        all_sorted = all_types.select(np.argsort(all_types.t, kind="stable"))
    n_p, n_c = len(origins), len(coverages)
    metrics = {s: {m: np.full((n_p, n_c), np.nan) for m in METRICS} for s in specs}
    fit_s = dict.fromkeys(specs, 0.0)
    pred_s = dict.fromkeys(specs, 0.0)
    flags: dict[str, list[np.ndarray]] = {s: [] for s in specs}
    fitted: dict[str, Any] = {}
    per_period = np.zeros(n_p)
    counts_all = np.zeros(grid.n_cells)
    outside = 0
    last_scores: dict[str, np.ndarray] = {}
    weights: dict[str, list[dict[str, float]]] = {}
    counts = np.zeros(grid.n_cells)
    for k, (o, e) in enumerate(zip(origins, ends, strict=True)):
        o64 = np.datetime64(o.tz_convert("UTC").tz_localize(None).as_unit("ns"))
        e64 = np.datetime64(e.tz_convert("UTC").tz_localize(None).as_unit("ns"))
        cut = int(np.searchsorted(t_sorted, o64, "left"))
        hist = sorted_events.select(np.arange(cut))
        others = None
        if all_types is not None:
            n_before = int(np.searchsorted(all_sorted.t, o64, "left"))
            others = all_sorted.select(np.arange(n_before))
        nxt = sorted_events.select(np.arange(cut, int(np.searchsorted(t_sorted, e64, "left"))))
        cells = grid.assign(nxt)
        outside += int((cells < 0).sum())
        counts = np.bincount(cells[cells >= 0], minlength=grid.n_cells).astype(np.float64)
        per_period[k] = counts.sum()
        counts_all += counts
        h_days = to_days(e) - to_days(o)
        for spec in specs:
            t0 = time.perf_counter()
            if k % refit_every == 0 or spec not in fitted:
                est = make_model(spec)
                configure_horizon(est, h_days)
                fitted[spec] = est.fit(hist, grid, others)
            else:
                fitted[spec].update(hist, others)
            t1 = time.perf_counter()
            scores = fitted[spec].predict(o, h_days)
            t2 = time.perf_counter()
            fit_s[spec] += t1 - t0
            pred_s[spec] += t2 - t1
            if counts.sum() > 0:
                res = coverage_metrics(scores, counts, coverages)
                for m in METRICS:
                    metrics[spec][m][k] = [res[m][c] for c in coverages]
            flags[spec].append(flagged_cells(scores, min(coverages)))
            if hasattr(fitted[spec], "weights_"):
                names = fitted[spec].component_labels_
                weights.setdefault(spec, []).append(
                    dict(zip(names, map(float, fitted[spec].weights_), strict=True))
                )
            if k == n_p - 1:
                last_scores[spec] = scores
        if progress is not None:
            progress(k + 1, n_p)
    fairness: dict[str, dict[str, Any]] = {}
    if subareas is not None:
        for spec in specs:
            fairness[spec] = _fairness(flags[spec], subareas, counts_all)
            fairness[spec]["coverage_percent"] = _key(min(coverages))
    return BacktestResult(
        grid=grid,
        origins=origins,
        ends=ends,
        coverages=tuple(coverages),
        models=specs,
        metrics=metrics,
        fit_seconds=fit_s,
        predict_seconds=pred_s,
        events_per_period=per_period,
        events_outside_grid=outside,
        last_scores=last_scores,
        last_counts=counts,
        fairness=fairness,
        subarea_attribute=attr if subareas is not None else None,
        refit_every=refit_every,
        horizon=str(horizon),
        blend_weights=weights,
        tz=tz,
    )
