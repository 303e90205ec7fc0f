"""Forecast where incidents will happen next: estimators, a registry, one-call forecasts.

Models follow scikit-learn's conventions (``__init__`` stores parameters,
``fit(events, grid)`` learns and returns ``self``, fitted state ends with
``_``, ``predict(origin, horizon)`` returns a score per study-area cell).
``MODELS`` maps each name to its class; ``describe_models()`` lists them with
their parameters (``prossima forecast --model list``).

``forecast(events, origin, horizon, model=..., cell_size=..., boundary=None)``
does the whole leakage-safe job: it keeps the events strictly before
``origin``, lays the grid over them (or over ``boundary``), fits and predicts.
``backtest`` (in ``prossima.analysis.forecast.backtest``) runs rolling-origin
evaluations; the metrics are in ``prossima.analysis.evaluate``.
"""

from __future__ import annotations

from prossima.analysis.forecast._base import BaseForecaster, NotFittedError, horizon_end
from prossima.analysis.forecast.api import (
    Forecast,
    describe_models,
    forecast,
    make_model,
)
from prossima.analysis.forecast.baselines import STKDE, Prospective, Retrospective
from prossima.analysis.forecast.boosted import Boosted
from prossima.analysis.forecast.ensemble import Ensemble
from prossima.analysis.forecast.sepp import SEPP

__all__ = [
    "MODELS",
    "SEPP",
    "STKDE",
    "BaseForecaster",
    "Boosted",
    "Ensemble",
    "Forecast",
    "NotFittedError",
    "Prospective",
    "Retrospective",
    "describe_models",
    "forecast",
    "horizon_end",
    "make_model",
]

MODELS: dict[str, type[BaseForecaster]] = {
    "retrospective": Retrospective,
    "prospective": Prospective,
    "stkde": STKDE,
    "sepp": SEPP,
    "boosted": Boosted,
    "ensemble": Ensemble,
}
DEFAULT_MODEL = "ensemble"
