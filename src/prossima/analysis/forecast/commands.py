"""Carry out the ``forecast`` and ``backtest`` verbs whose options ``forecast.cli`` defines.

Each ``run_*`` function takes the parsed Namespace and returns an exit code;
bad option values raise ``UsageError`` (a ``ValueError``) naming the option
and what it accepts, which the CLI reports on one line.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from typing import Any

import numpy as np
import pandas as pd

from prossima.analysis.commands import UsageError, read_input
from prossima.analysis.events import EventSet
from prossima.analysis.forecast._base import horizon_end, to_timestamp
from prossima.analysis.progress import Progress

__all__ = ["run_backtest", "run_forecast"]


def _events(args: argparse.Namespace) -> tuple[EventSet, Any, EventSet | None]:
    """Read the input with the shared reader, then keep ``--category`` if given.

    Returns the events to forecast, the boundary, and with ``--category`` the
    events of every type (which the default model uses as a prior), else None.
    """
    ns = copy.copy(args)
    ns.category = args.category_column
    _, events, boundary = read_input(ns)
    all_types = None
    if args.category:
        all_types = events
        names = [c.strip() for c in args.category.split(",") if c.strip()]
        known = [str(c) for c in events.category.categories]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise UsageError(
                f"--category {args.category!r}: no events of type {', '.join(unknown)}; "
                f"accepted: {', '.join(known)}."
            )
        events = events.of_category(*names)
        if len(events) == 0:
            raise UsageError(f"--category {args.category!r} selects no events.")
    return events, boundary, all_types


def _check_horizon(text: str, tz: str) -> None:
    try:
        horizon_end(pd.Timestamp("2000-01-01", tz="UTC"), _horizon_value(text), tz)
    except ValueError as exc:
        raise UsageError(f"--horizon: {exc}") from None


def _horizon_value(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _timestamp(text: str, tz: str, option: str) -> pd.Timestamp:
    try:
        return to_timestamp(text, tz)
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date; give e.g. 2019-06-03.") from None


def _write_json(path: str, doc: dict[str, Any]) -> None:
    text = json.dumps(doc, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def run_forecast(args: argparse.Namespace) -> int:
    """Fit the model on events before ``--origin`` and write every cell's score as GeoJSON."""
    from prossima.analysis.forecast.api import forecast

    if not args.origin:
        raise UsageError("--origin is required, e.g. --origin 2019-06-03.")
    if not args.out:
        raise UsageError("--out is required: the GeoJSON file to write.")
    if not args.cell > 0:
        raise UsageError(f"--cell must be a positive number of metres, got {args.cell}.")
    events, boundary, all_types = _events(args)
    _check_horizon(args.horizon, events.tz)
    origin = _timestamp(args.origin, events.tz, "--origin")
    try:
        fc = forecast(
            events,
            origin,
            _horizon_value(args.horizon),
            args.model,
            args.cell,
            boundary,
            all_types=all_types,
        )
    except ValueError as exc:
        msg = str(exc)
        if msg.startswith("origin "):
            msg = "--" + msg
        raise UsageError(msg) from None
    why = None
    if args.explain:
        # Checked before writing anything, so a bad cell id leaves no output file behind.
        try:
            why = fc.explain(args.explain)
        except ValueError as exc:
            raise UsageError(f"--explain: {exc}") from None
    doc = fc.grid.geojson({"score": fc.scores, "rank": fc.ranks})
    doc["cell_size_m"] = fc.grid.cell_size
    doc["crs_metric"] = fc.grid.crs
    doc["model"] = fc.model.name
    doc["parameters"] = {k: _jsonable(v) for k, v in fc.model.get_params().items()}
    doc["origin"] = fc.origin.tz_convert(events.tz).isoformat()
    doc["end"] = fc.end.tz_convert(events.tz).isoformat()
    doc["category"] = args.category or "all"
    _write_json(args.out, doc)
    print(
        f"forecast: {fc.model.name}, {fc.grid.n_cells} cells of {fc.grid.cell_size:g} m, "
        f"{doc['origin']} to {doc['end']} -> {args.out}",
        file=sys.stderr,
    )
    if why is not None:
        print(json.dumps(_jsonable(why), indent=2, ensure_ascii=False))
    return 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _coverages(text: str) -> tuple[float, ...]:
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        vals = []
    if not vals or any(not 0 < v <= 100 for v in vals):
        raise UsageError(
            f"--coverage {text!r}: give percentages of cells in (0, 100], comma separated, "
            "e.g. 1,2,5,10."
        )
    return tuple(sorted(v / 100.0 for v in vals))


def run_backtest(args: argparse.Namespace) -> int:
    """Run the rolling-origin backtest and write JSON (and the HTML report)."""
    from prossima.analysis.forecast.api import make_model
    from prossima.analysis.forecast.backtest import backtest

    coverages = _coverages(args.coverage)
    specs = [m.strip() for m in args.models.split(",") if m.strip()]
    if not specs:
        raise UsageError("--models: give at least one model name (see --model list).")
    for spec in specs:
        try:
            make_model(spec)
        except ValueError as exc:
            raise UsageError(f"--models: {exc}") from None
    if args.baseline and args.baseline not in specs:
        specs.insert(0, args.baseline)
    if not args.cell > 0:
        raise UsageError(f"--cell must be a positive number of metres, got {args.cell}.")
    events, boundary, all_types = _events(args)
    _check_horizon(args.horizon, events.tz)
    _timestamp(args.test_start, events.tz, "--test-start")
    _timestamp(args.test_end, events.tz, "--test-end")
    progress = Progress("backtest periods")
    try:
        res = backtest(
            events,
            specs,
            args.test_start,
            args.test_end,
            _horizon_value(args.horizon),
            cell_size=args.cell,
            coverages=coverages,
            refit_every=args.refit_every,
            boundary=boundary,
            subarea=args.subarea,
            progress=progress,
            all_types=all_types,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    res.horizon = str(args.horizon)
    baseline = args.baseline or next((s for s in specs if s.startswith("retrospective")), specs[0])
    doc = res.to_json(baseline=baseline)
    doc["category"] = args.category or "all"
    doc["input"] = [str(p) for p in args.input]
    with open(args.json, "w", encoding="utf-8") as fh:
        json.dump(_jsonable(doc), fh, indent=1, allow_nan=False, ensure_ascii=False)
        fh.write("\n")
    if args.report:
        from prossima.analysis.forecast.report import write_report

        write_report(args.report, res, doc, title=f"Forecast backtest: {args.input[0]}")
    print(
        f"backtest: {len(res.origins)} periods x {len(specs)} models on {res.grid.n_cells} "
        f"cells -> {args.json}",
        file=sys.stderr,
    )
    return 0
