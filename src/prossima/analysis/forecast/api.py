"""Run one leakage-safe forecast, build models from names, and list the models.

``make_model("retrospective:window_days=90")`` builds a model from a spec:
the registry name, then ``:key=value`` parameters. ``forecast(...)`` keeps only
events strictly before the origin, builds the grid from them (unless a
boundary is given), fits and predicts, so nothing at or after the origin can
reach the output, cell ids included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from shapely.geometry.base import BaseGeometry

from prossima.analysis.events import EventSet
from prossima.analysis.forecast._base import (
    NS_PER_DAY,
    BaseForecaster,
    horizon_end,
    to_days,
    to_timestamp,
)
from prossima.analysis.grid import Grid

__all__ = ["Forecast", "check_history", "describe_models", "forecast", "make_model", "parse_value"]


def parse_value(text: str) -> Any:
    """Return a parameter value from text: None, bool, int, float or the string itself."""
    low = text.strip().lower()
    if low in ("none", "null"):
        return None
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.strip()


def make_model(spec: str | BaseForecaster, **params: Any) -> BaseForecaster:
    """Return a model from a spec such as ``"sepp"`` or ``"retrospective:window_days=90"``."""
    from prossima.analysis.forecast import MODELS

    if isinstance(spec, BaseForecaster):
        return spec.set_params(**params) if params else spec
    name, *pairs = str(spec).strip().split(":")
    if name not in MODELS:
        raise ValueError(f"Unknown model {name!r}; accepted: {', '.join(MODELS)} (or 'list').")
    parsed: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(
                f"Model parameter {pair!r} in {spec!r} must be key=value, "
                "e.g. retrospective:window_days=90."
            )
        parsed[key.strip()] = parse_value(value)
    parsed.update(params)
    return MODELS[name]().set_params(**parsed)


def describe_models() -> str:
    """Return a text listing of every model, its source and its parameters with defaults."""
    from prossima.analysis.forecast import DEFAULT_MODEL, MODELS

    lines = []
    for name, cls in MODELS.items():
        default = " (default)" if name == DEFAULT_MODEL else ""
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        lines.append(f"{name}{default}: {doc}")
        lines.append(f"    source: {cls.source}")
        defaults = cls().get_params()
        for key, text in cls.param_docs.items():
            lines.append(f"    {key}={defaults.get(key)!r}: {text}")
        lines.append("")
    lines.append("Set parameters as NAME:key=value[:key=value], e.g. retrospective:window_days=90.")
    return "\n".join(lines)


def configure_horizon(model: BaseForecaster, horizon_days: float) -> None:
    """Set ``horizon_days`` on models that learn for a given period length."""
    if "horizon_days" in model.get_params():
        model.set_params(horizon_days=float(horizon_days))


def check_history(
    events: EventSet, model: BaseForecaster, origin: pd.Timestamp, option: str = "origin"
) -> None:
    """Raise ValueError naming ``option`` when ``origin`` leaves too little history."""
    before = events.t < np.datetime64(origin.tz_convert("UTC").tz_localize(None).as_unit("ns"))
    if len(events) == 0:
        raise ValueError("No events to forecast from (check --category and the dates).")
    first = pd.Timestamp(int(events.t.min()), tz="UTC").tz_convert(events.tz)
    if not before.any():
        raise ValueError(
            f"{option} {origin.tz_convert(events.tz):%Y-%m-%d} is before the first event "
            f"({first:%Y-%m-%d}); accepted: a date after {first:%Y-%m-%d} plus the history the "
            f"model needs ({model.min_history_days():g} days for {model.name})."
        )
    span = to_days(origin) - float(events.t[before].min().astype(np.int64)) / NS_PER_DAY
    need = model.min_history_days()
    if span < need:
        ok = first + pd.Timedelta(days=need)
        raise ValueError(
            f"{option} {origin.tz_convert(events.tz):%Y-%m-%d} leaves {span:.1f} days of history; "
            f"model {model.name} needs at least {need:g} days: accepted origins are on or after "
            f"{ok:%Y-%m-%d}."
        )


@dataclass(frozen=True)
class Forecast:
    """Hold one forecast: the grid, a score and rank per cell, the fitted model and the period."""

    grid: Grid
    scores: np.ndarray
    ranks: np.ndarray
    model: BaseForecaster
    origin: pd.Timestamp
    end: pd.Timestamp

    @property
    def cell_ids(self) -> list[str]:
        """Return the cell ids in score order of ``scores``."""
        return self.grid.cell_ids

    def explain(self, cell_id: str) -> dict[str, Any]:
        """Return why the cell ``cell_id`` scores as it does (rank, parts, context)."""
        ids = self.grid.cell_ids
        try:
            i = ids.index(cell_id)
        except ValueError:
            raise ValueError(
                f"cell {cell_id!r} is not in the study area; ids look like {ids[0]!r}."
            ) from None
        out = self.model.explain(self.origin, _horizon_days(self), i)
        return {
            "cell_id": cell_id,
            "rank": int(self.ranks[i]),
            "of": len(ids),
            "percentile": round(100.0 * (1.0 - (self.ranks[i] - 1) / len(ids)), 2),
            "model": self.model.name,
            "origin": self.origin.isoformat(),
            "end": self.end.isoformat(),
            **out,
        }


def _horizon_days(fc: Forecast) -> float:
    return to_days(fc.end) - to_days(fc.origin)


def forecast(
    events: EventSet,
    origin: Any,
    horizon: float | str = 7.0,
    model: str | BaseForecaster = "ensemble",
    cell_size: float = 150.0,
    boundary: BaseGeometry | None = None,
    grid: Grid | None = None,
    all_types: EventSet | None = None,
) -> Forecast:
    """Forecast ``[origin, origin + horizon)`` using only events strictly before ``origin``.

    The grid is laid over ``boundary`` when given, else over the events
    before the origin (or ``grid`` is used as is, for backtests that score
    every period on the same cells). ``all_types``: the events of every
    offence type when ``events`` is one category of them (the default
    ensemble uses them as a prior); they are cut at the origin too.
    """
    start = to_timestamp(origin, events.tz)
    end = horizon_end(start, horizon, events.tz)
    est = make_model(model)
    configure_horizon(est, to_days(end) - to_days(start))
    check_history(events, est, start)
    past = events.before(start)
    if grid is None:
        grid = Grid.from_events(past, cell_size, boundary)
    est.fit(past, grid, all_types.before(start) if all_types is not None else None)
    scores = est.predict(start, (to_days(end) - to_days(start)))
    ranks = rankdata(-scores, method="min").astype(np.int64)
    return Forecast(grid=grid, scores=scores, ranks=ranks, model=est, origin=start, end=end)
