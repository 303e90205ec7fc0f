"""Score cells from past events without learned parameters: retrospective, prospective, STKDE.

- ``Retrospective``: events per cell (or quartic density) over a past window,
  the "last year's hot spots" practice that every forecast must beat.
- ``Prospective``: prospective hot-spotting, Bowers, Johnson & Pease (2004),
  "Prospective hot-spotting: the future of crime mapping?", *British Journal
  of Criminology* 44(5): each past event adds ``1/(1 + d) x 1/(1 + w)`` to the
  cells within ``bandwidth`` metres, with ``d`` the distance in cells and
  ``w`` the age in whole weeks, for events younger than ``window_days``.
- ``STKDE``: space-time kernel density with exponential time decay
  (e.g. Brunsdon, Corcoran & Higgs 2007; Nakaya & Yano 2010): each past event
  adds ``K(d) exp(-age / time_scale_days)`` with a quartic spatial kernel.

All three are separable in space and time, so the score is one time-weighted
raster of counts convolved once with the spatial kernel (FFT).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from prossima.analysis.forecast._base import (
    BaseForecaster,
    History,
    cell_raster,
    offsets_d2,
    quartic_kernel,
    smooth,
)
from prossima.analysis.forecast.explain import context_parts

__all__ = ["STKDE", "Prospective", "Retrospective"]


def _positive(name: str, value: Any, model: str) -> None:
    if not (isinstance(value, int | float) and value > 0):
        raise ValueError(f"{model}: {name} must be a positive number, got {value!r}.")


class Retrospective(BaseForecaster):
    """Rank cells by events (or their quartic density) in the ``window_days`` before the origin.

    Source: the standard retrospective hot-spot map (Chainey, Tompson & Uhlig
    2008, "The utility of hotspot mapping for predicting spatial patterns of
    crime", *Security Journal* 21). Defaults: 365 days (one full seasonal
    cycle), plain counts (no smoothing), which is the usual naive baseline.
    With ``time_scale_days`` the count becomes an exponentially weighted
    moving average per cell, the long-memory "micro-place" signal that the
    law of crime concentration describes (Weisburd 2015, *Criminology* 53).
    With ``pool="all_types"`` it counts the events of every offence type
    passed to ``fit`` as ``all_types`` instead: for a forecast of one
    category, a cell's overall activity is a less noisy estimate of where that
    category is also likely (other crime types as leading indicators: Mohler
    2014, "Marked point process hotspot maps for homicide and gun crime
    prediction in Chicago", *International Journal of Forecasting* 30).
    """

    name = "retrospective"
    source = "Chainey, Tompson & Uhlig (2008), Security Journal 21"
    param_docs = {
        "window_days": "days of history counted before the origin (default 365)",
        "kernel": "'counts' (events per cell) or 'quartic' (kernel density) (default counts)",
        "bandwidth": "quartic search radius in metres (default 2 cells)",
        "time_scale_days": "if set, weight events by exp(-age / time_scale_days): an "
        "exponentially weighted count (default None: plain count)",
        "count": "'events', or 'days': distinct local days with an event in the cell, so that one "
        "incident recorded as many offences counts once (default events)",
        "pool": "'own': the events being forecast, or 'all_types': the events of every offence "
        "type given to fit as all_types (e.g. when --category selects one); fitting fails "
        "without them (default own)",
    }

    def __init__(
        self,
        window_days: float = 365.0,
        kernel: str = "counts",
        bandwidth: float | None = None,
        time_scale_days: float | None = None,
        count: str = "events",
        pool: str = "own",
    ) -> None:
        self.window_days = window_days
        self.kernel = kernel
        self.bandwidth = bandwidth
        self.time_scale_days = time_scale_days
        self.count = count
        self.pool = pool

    def min_history_days(self) -> float:
        """Return the window: a shorter history would silently count fewer days."""
        return 0.0

    def _validate_params(self) -> None:
        _positive("window_days", self.window_days, self.name)
        if self.kernel not in ("counts", "quartic"):
            raise ValueError(
                f"retrospective: kernel must be 'counts' or 'quartic', got {self.kernel!r}."
            )
        if self.bandwidth is not None:
            _positive("bandwidth", self.bandwidth, self.name)
        if self.time_scale_days is not None:
            _positive("time_scale_days", self.time_scale_days, self.name)
        if self.count not in ("events", "days"):
            raise ValueError(
                f"retrospective: count must be 'events' or 'days', got {self.count!r}."
            )
        if self.pool not in ("own", "all_types"):
            raise ValueError(
                f"retrospective: pool must be 'own' or 'all_types', got {self.pool!r}."
            )

    def _fit(self) -> None:
        if self.pool == "all_types" and self.all_types_ is None:
            raise ValueError(
                "retrospective: pool=all_types needs the events of every offence type "
                "(fit(..., all_types=...)); none were given."
            )

    def _source(self, hist: History) -> History:
        """Return the events to count: ``hist``, or every offence type with ``pool=all_types``."""
        if self.pool == "all_types" and self.all_types_ is not None:
            # Only the window strictly before the origin is read below, so the
            # full all-types history can stand in for the per-origin ``hist``.
            return self.all_types_
        return hist

    def _predict(self, hist: History, origin: float, horizon: float) -> np.ndarray:
        hist = self._source(hist)
        w = hist.window(origin - float(self.window_days), origin)
        grid = self.grid_
        tw = None
        if self.count == "days":
            cells, days = hist.cell[w], np.floor(hist.days[w])
            first = np.ones(len(cells), dtype=bool)
            if len(cells):
                # Keep one event per (cell, day): the history is sorted by time.
                key = cells.astype(np.int64) * 1_000_000 + days.astype(np.int64)
                _, idx = np.unique(key, return_index=True)
                first[:] = False
                first[idx] = True
            tw = first.astype(np.float64)
        if self.time_scale_days is not None:
            decay = np.exp(-(origin - hist.days[w]) / float(self.time_scale_days))
            tw = decay if tw is None else tw * decay
        counts = np.bincount(hist.cell[w], weights=tw, minlength=grid.n_cells).astype(np.float64)
        if self.kernel == "counts":
            return counts
        h = float(self.bandwidth or 2.0 * grid.cell_size)
        return smooth(grid, cell_raster(grid, hist.cell[w], tw), quartic_kernel(grid.cell_size, h))

    def _explain(self, hist: History, origin: float, horizon: float, cell: int) -> dict[str, Any]:
        score = float(self._predict(hist, origin, horizon)[cell])
        what = "distinct days with events" if self.count == "days" else "events"
        if self.pool == "all_types":
            what += " of every offence type"
        where = "in the cell" if self.kernel == "counts" else "in and near the cell"
        how = (
            f", weighted exp(-age / {self.time_scale_days:g} days)"
            if self.time_scale_days is not None
            else ""
        )
        return {
            "score": score,
            "parts": [
                {
                    "name": "long_term_concentration",
                    "value": score,
                    "label": f"{what} {where} in the {self.window_days:g} days before the "
                    f"origin{how}",
                }
            ],
            "context": context_parts(hist, self.grid_, origin, cell),
        }


class Prospective(BaseForecaster):
    """Rank cells by recent nearby events, weighted down with distance and age.

    Source: Bowers, Johnson & Pease (2004), *British Journal of Criminology*
    44(5), 641-658. Defaults follow the paper: 400 m and two months (56 days),
    weights ``1/(1 + cells away) x 1/(1 + weeks ago)``.
    """

    name = "prospective"
    source = "Bowers, Johnson & Pease (2004), Brit. J. Criminology 44(5)"
    param_docs = {
        "bandwidth": "reach in metres of each event's influence (default 400, as in the paper)",
        "window_days": "age in days beyond which events no longer count (default 56)",
    }

    def __init__(self, bandwidth: float = 400.0, window_days: float = 56.0) -> None:
        self.bandwidth = bandwidth
        self.window_days = window_days

    def _validate_params(self) -> None:
        _positive("bandwidth", self.bandwidth, self.name)
        _positive("window_days", self.window_days, self.name)

    def _kernel(self) -> np.ndarray:
        s = self.grid_.cell_size
        d2 = offsets_d2(s, float(self.bandwidth))
        d = np.sqrt(d2)
        return np.where(d <= float(self.bandwidth) + 1e-9, 1.0 / (1.0 + d / s), 0.0)

    def _time_weights(self, hist: History, origin: float) -> tuple[slice, np.ndarray]:
        w = hist.window(origin - float(self.window_days), origin)
        weeks = np.floor((origin - hist.days[w]) / 7.0)
        return w, 1.0 / (1.0 + weeks)

    def _predict(self, hist: History, origin: float, horizon: float) -> np.ndarray:
        w, tw = self._time_weights(hist, origin)
        return smooth(self.grid_, cell_raster(self.grid_, hist.cell[w], tw), self._kernel())

    def _explain(self, hist: History, origin: float, horizon: float, cell: int) -> dict[str, Any]:
        score = float(self._predict(hist, origin, horizon)[cell])
        return {
            "score": score,
            "parts": [
                {
                    "name": "recent_nearby_events",
                    "value": score,
                    "label": f"events within {self.bandwidth:g} m in the last "
                    f"{self.window_days:g} days, weighted 1/(1+cells away)x1/(1+weeks ago)",
                }
            ],
            "context": context_parts(hist, self.grid_, origin, cell),
        }


class STKDE(BaseForecaster):
    """Rank cells by a space-time kernel density with exponential decay in time.

    Source: Brunsdon, Corcoran & Higgs (2007), "Visualising space and time in
    crime patterns: a comparison of methods", *Computers, Environment and Urban
    Systems* 31; the exponential time weight as in Johnson et al.'s prospective
    methods. Defaults: quartic kernel of 300 m (about two city blocks, a
    walkable patrol neighbourhood in any city), time scale 60 days (so a
    one-year-old event still weighs ``e^-6``, i.e. barely), window 365 days.
    """

    name = "stkde"
    source = "Brunsdon, Corcoran & Higgs (2007), CEUS 31"
    param_docs = {
        "bandwidth": "quartic kernel radius in metres (default 300)",
        "time_scale_days": "e-folding time of an event's weight in days (default 60)",
        "window_days": "events older than this are ignored (default 365)",
    }

    def __init__(
        self, bandwidth: float = 300.0, time_scale_days: float = 60.0, window_days: float = 365.0
    ) -> None:
        self.bandwidth = bandwidth
        self.time_scale_days = time_scale_days
        self.window_days = window_days

    def _validate_params(self) -> None:
        _positive("bandwidth", self.bandwidth, self.name)
        _positive("time_scale_days", self.time_scale_days, self.name)
        _positive("window_days", self.window_days, self.name)

    def _predict(self, hist: History, origin: float, horizon: float) -> np.ndarray:
        w = hist.window(origin - float(self.window_days), origin)
        tw = np.exp(-(origin - hist.days[w]) / float(self.time_scale_days))
        k = quartic_kernel(self.grid_.cell_size, float(self.bandwidth))
        return smooth(self.grid_, cell_raster(self.grid_, hist.cell[w], tw), k)

    def _explain(self, hist: History, origin: float, horizon: float, cell: int) -> dict[str, Any]:
        total = float(self._predict(hist, origin, horizon)[cell])
        sub = hist.take(hist.window(origin - 28.0, origin))
        recent_part = float(self._predict(sub, origin, horizon)[cell]) if len(sub) else 0.0
        return {
            "score": total,
            "parts": [
                {
                    "name": "recent_nearby_events",
                    "value": recent_part,
                    "label": f"events within {self.bandwidth:g} m in the last 28 days",
                },
                {
                    "name": "long_term_concentration",
                    "value": total - recent_part,
                    "label": f"older events within {self.bandwidth:g} m (decaying, "
                    f"time scale {self.time_scale_days:g} days)",
                },
            ],
            "context": context_parts(hist, self.grid_, origin, cell),
        }
