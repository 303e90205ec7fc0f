"""Share the estimator contract, time conversions and raster smoothing of the forecast models.

Every model is a ``BaseForecaster``: ``__init__`` stores keyword parameters
untouched; ``fit(events, grid)`` validates, keeps the in-grid history
(``history_``), learns and returns ``self``; ``predict(origin, horizon)`` returns
one non-negative score per study-area cell (``grid.cell_ids`` order).

Look-ahead guard: ``predict`` refuses an origin at or before the last fitted
event, so a model can never be handed events from the period it forecasts.
``update(events)`` replaces the history (for example one more week of events)
without re-learning the parameters, which is what a backtest that refits only
every k periods uses.

``fit`` and ``update`` optionally take ``all_types``: the events of every
offence type, of which ``events`` is a selection (``--category``). Models that
use a cell's overall activity as a prior for one offence type read it as
``all_types_`` (``None`` when not given); the look-ahead guard covers it too.

Times are handled as float days since 1970-01-01 UTC; ``origin`` is an aware
timestamp (or a date string, read in the events' local time zone) and
``horizon`` a number of days or a calendar form such as ``"1M"`` or ``"2W"``.
"""

from __future__ import annotations

import abc
import inspect
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from prossima.analysis.events import EventSet
from prossima.analysis.grid import Grid
from prossima.analysis.hotspots.kde import fft_convolve_same

__all__ = [
    "BaseForecaster",
    "History",
    "NotFittedError",
    "horizon_end",
    "to_days",
    "to_timestamp",
]

NS_PER_DAY = 86_400 * 10**9


class NotFittedError(RuntimeError):
    """Signal that ``predict``/``explain`` was called before ``fit``."""


def to_timestamp(value: Any, tz: str = "UTC") -> pd.Timestamp:
    """Return ``value`` as an aware UTC timestamp; naive values are read in the zone ``tz``."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ValueError(f"{value!r} is not a date or time, e.g. 2019-06-03.") from None
    if ts is pd.NaT:
        raise ValueError(f"{value!r} is not a date or time, e.g. 2019-06-03.")
    if ts.tzinfo is None:
        ts = ts.tz_localize(tz)
    return ts.tz_convert("UTC")


def to_days(ts: pd.Timestamp) -> float:
    """Return an aware timestamp as float days since 1970-01-01 UTC."""
    return float(ts.tz_convert("UTC").tz_localize(None).as_unit("ns").value) / NS_PER_DAY


_HORIZON = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([DWM]?)\s*$", re.IGNORECASE)


def horizon_end(origin: pd.Timestamp, horizon: float | str, tz: str = "UTC") -> pd.Timestamp:
    """Return the end of the forecast period that starts at ``origin``.

    ``horizon`` is a number of days (``7``, ``"30"``) or a calendar span
    ``"2W"`` / ``"1M"``; months are calendar months in the local zone ``tz``
    (so ``2018-07-01 + 1M`` ends at ``2018-08-01`` local midnight).
    """
    if isinstance(horizon, int | float | np.integer | np.floating):
        amount, unit = float(horizon), "D"
    else:
        m = _HORIZON.match(str(horizon))
        if not m:
            raise ValueError(
                f"horizon {horizon!r} not understood; give days (e.g. 7) or weeks/months "
                "(e.g. 2W, 1M)."
            )
        amount, unit = float(m.group(1)), (m.group(2) or "D").upper()
    if not amount > 0 or not np.isfinite(amount):
        raise ValueError(
            f"horizon must be a positive number of days or months (e.g. 7 or 1M), got {horizon!r}."
        )
    if unit == "M":
        if amount != int(amount):
            raise ValueError(f"a monthly horizon must be whole months, got {horizon!r}.")
        local = origin.tz_convert(tz)
        return (local + pd.DateOffset(months=int(amount))).tz_convert("UTC")
    days = amount * (7.0 if unit == "W" else 1.0)
    return origin + pd.Timedelta(days=days)


@dataclass(frozen=True)
class History:
    """Hold the in-grid events a model was fitted on, sorted by time.

    ``cell``: study-area cell index; ``days``: float days since 1970 UTC;
    ``x``/``y``: projected metres; ``dow``: local day of week (0 = Monday).
    """

    cell: np.ndarray
    days: np.ndarray
    x: np.ndarray
    y: np.ndarray
    dow: np.ndarray
    tz: str
    time_resolution: str

    @classmethod
    def from_events(cls, events: EventSet, grid: Grid) -> History:
        """Keep the events inside the grid's study area, sorted by time."""
        cell = grid.assign(events)
        keep = cell >= 0
        t = events.t[keep]
        order = np.argsort(t, kind="stable")
        days = t[order].astype(np.int64).astype(np.float64) / NS_PER_DAY
        dow = pd.DatetimeIndex(t[order]).tz_localize("UTC").tz_convert(events.tz).day_of_week
        return cls(
            cell=cell[keep][order],
            days=days,
            x=events.x[keep][order],
            y=events.y[keep][order],
            dow=np.asarray(dow, dtype=np.int64),
            tz=events.tz,
            time_resolution=events.time_resolution,
        )

    def __len__(self) -> int:
        return len(self.days)

    def window(self, start: float, end: float) -> slice:
        """Return the slice of events with ``start <= days < end``."""
        return slice(
            int(np.searchsorted(self.days, start, "left")),
            int(np.searchsorted(self.days, end, "left")),
        )

    def until(self, end: float) -> History:
        """Return the history strictly before ``end`` (float days)."""
        return self.take(slice(0, int(np.searchsorted(self.days, end, "left"))))

    def take(self, s: slice) -> History:
        """Return the events in the slice ``s`` (still sorted by time)."""
        return History(
            self.cell[s],
            self.days[s],
            self.x[s],
            self.y[s],
            self.dow[s],
            self.tz,
            self.time_resolution,
        )


class BaseForecaster(abc.ABC):
    """Implement the shared estimator contract; subclasses define ``_fit`` and ``_predict``.

    Subclasses set ``name``, ``source`` (the reference) and ``param_docs``
    (one line per ``__init__`` parameter, printed by ``--model list``).
    """

    name: ClassVar[str] = ""
    source: ClassVar[str] = ""
    param_docs: ClassVar[dict[str, str]] = {}

    # --- parameters (scikit-learn style) --------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self) -> dict[str, Any]:
        """Return the constructor parameters as a dict."""
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params: Any) -> BaseForecaster:
        """Set constructor parameters and return ``self``."""
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(
                    f"Unknown parameter {key!r} for model {self.name!r}; accepted: "
                    f"{', '.join(sorted(valid))}."
                )
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # --- contract ---------------------------------------------------------
    def min_history_days(self) -> float:
        """Return how many days of events before the origin the model needs."""
        return 0.0

    def fit(
        self, events: EventSet, grid: Grid, all_types: EventSet | None = None
    ) -> BaseForecaster:
        """Validate ``events`` and ``grid``, keep the in-grid history, learn and return self.

        ``all_types``: optionally the events of every offence type over the same
        dates (``events`` being one category of them), for models that use a
        cell's overall activity as a prior; like ``events``, only what precedes
        the origin may be given.
        """
        if not isinstance(events, EventSet):
            raise TypeError(f"events must be an EventSet, got {type(events).__name__}.")
        if not isinstance(grid, Grid):
            raise TypeError(f"grid must be a Grid, got {type(grid).__name__}.")
        if events.crs != grid.crs:
            raise ValueError(f"events are in {events.crs} but the grid is in {grid.crs}.")
        history = History.from_events(events, grid)
        if len(history) == 0:
            raise ValueError(
                "No events fall inside the grid's study area; check the boundary, "
                "the category and the dates."
            )
        return self._fit_on(history, grid, _all_types_history(all_types, grid))

    def _fit_on(
        self, history: History, grid: Grid, all_types: History | None = None
    ) -> BaseForecaster:
        """Learn from an already prepared history (used by ``fit`` and by ensembles)."""
        self._validate_params()
        self.grid_ = grid
        self.history_ = history
        self.all_types_ = all_types
        self.rng_ = np.random.default_rng(getattr(self, "seed", None))
        self._fit()
        return self

    def update(self, events: EventSet, all_types: EventSet | None = None) -> BaseForecaster:
        """Replace the history (and ``all_types_`` if given) without re-learning parameters."""
        self._check_fitted()
        history = History.from_events(events, self.grid_)
        if len(history) == 0:
            raise ValueError("No events fall inside the grid's study area.")
        self.history_ = history
        if all_types is not None:
            self.all_types_ = _all_types_history(all_types, self.grid_)
        return self

    def predict(self, origin: Any, horizon: float | str = 7.0) -> np.ndarray:
        """Return the risk score of every study-area cell for ``[origin, origin + horizon)``."""
        self._check_fitted()
        o, h = self._period(origin, horizon)
        scores = np.asarray(self._predict(self.history_, o, h), dtype=np.float64)
        if scores.shape != (self.grid_.n_cells,) or not np.isfinite(scores).all():
            raise RuntimeError(f"model {self.name!r} produced invalid scores.")
        return np.maximum(scores, 0.0)

    def explain(self, origin: Any, horizon: float | str, cell: int) -> dict[str, Any]:
        """Return the parts of one cell's score, largest first, with plain-language labels."""
        self._check_fitted()
        o, h = self._period(origin, horizon)
        return self._explain(self.history_, o, h, int(cell))

    # --- helpers for subclasses --------------------------------------------
    def _period(self, origin: Any, horizon: float | str) -> tuple[float, float]:
        tz = self.history_.tz
        start = to_timestamp(origin, tz)
        end = horizon_end(start, horizon, tz)
        o = to_days(start)
        last = float(self.history_.days[-1])
        extra: History | None = getattr(self, "all_types_", None)
        if extra is not None and len(extra):
            last = max(last, float(extra.days[-1]))
        if o <= last:
            raise ValueError(
                f"origin {start} is not after the last fitted event "
                f"({pd.Timestamp(last * NS_PER_DAY, tz='UTC')}); a forecast may only use "
                "events strictly before its origin: fit on events.before(origin)."
            )
        return o, to_days(end) - o

    def _check_fitted(self) -> None:
        if not hasattr(self, "history_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit(events, grid) first."
            )

    def _validate_params(self) -> None:  # noqa: B027 -- optional hook, nothing to check here
        """Raise ValueError for parameter values out of range."""

    def _fit(self) -> None:  # noqa: B027 -- optional hook: models that only count learn nothing
        """Learn parameters from ``self.history_``."""

    @abc.abstractmethod
    def _predict(self, hist: History, origin: float, horizon: float) -> np.ndarray:
        """Return the score of every cell for ``[origin, origin + horizon)`` (days)."""

    def _explain(self, hist: History, origin: float, horizon: float, cell: int) -> dict[str, Any]:
        scores = self._predict(hist, origin, horizon)
        return {"score": float(scores[cell]), "parts": []}


def _all_types_history(events: EventSet | None, grid: Grid) -> History | None:
    """Return the in-grid history of every offence type, or None when not given or empty."""
    if events is None:
        return None
    if not isinstance(events, EventSet):
        raise TypeError(f"all_types must be an EventSet, got {type(events).__name__}.")
    if events.crs != grid.crs:
        raise ValueError(f"all_types events are in {events.crs} but the grid is in {grid.crs}.")
    history = History.from_events(events, grid)
    return history if len(history) else None


# --- raster helpers -----------------------------------------------------------
def cell_raster(grid: Grid, cells: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Return a full raster of (weighted) event counts from study-area cell indices."""
    rows, cols = grid.rows_cols()
    n_rows, n_cols = grid.shape
    flat = (rows * n_cols + cols)[cells]
    return np.bincount(flat, weights=weights, minlength=n_rows * n_cols).reshape(n_rows, n_cols)


def smooth(grid: Grid, raster: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve a full raster with an odd-sized kernel and return study-area cell values."""
    if kernel.shape == (1, 1):
        out = raster * float(kernel[0, 0])
    else:
        out = fft_convolve_same(raster.astype(np.float64), kernel)
    # FFT round-off leaves tiny negatives where the true sum is 0.
    return np.maximum(out[grid.mask], 0.0)


def offsets_d2(cell_size: float, reach: float) -> np.ndarray:
    """Return squared distances (m²) between a cell centre and the centres within ``reach``."""
    r = max(int(np.ceil(reach / cell_size)), 0)
    off = np.arange(-r, r + 1) * cell_size
    return np.asarray(off[:, None] ** 2 + off[None, :] ** 2, dtype=np.float64)


def quartic_kernel(cell_size: float, bandwidth: float) -> np.ndarray:
    """Return quartic kernel weights at cell-centre offsets (peak 1; at least the centre)."""
    d2 = offsets_d2(cell_size, bandwidth)
    u = d2 / (bandwidth * bandwidth)
    return np.where(u < 1.0, (1.0 - u) ** 2, 0.0)


def gaussian_cell_kernel(cell_size: float, sigma: float, truncate: float = 3.0) -> np.ndarray:
    """Return the probability mass of a 2-D Gaussian falling in each surrounding cell.

    Uses the exact product of 1-D normal cell integrals, so a bandwidth far
    below the cell size puts all mass in the event's own cell instead of
    blowing up like a density sampled at the centre would.
    """
    from scipy.special import ndtr

    r = max(int(np.ceil(truncate * sigma / cell_size)), 0)
    edges = (np.arange(-r, r + 2) - 0.5) * cell_size
    mass_1d = np.diff(ndtr(edges / max(sigma, 1e-9)))
    return np.asarray(np.outer(mass_1d, mass_1d), dtype=np.float64)
