"""Forecast with gradient-boosted trees on features a crime analyst would recognise.

Source: the "risk terrain + recent activity" feature approach of
Mohler & Porter (2018), "Rotational grid, PAI-maximizing crime forecasts",
*Statistical Analysis and Data Mining* 11(5), and the gradient-boosting
forecasts of the NIJ Real-Time Crime Forecasting Challenge (2017); trees are
scikit-learn's ``HistGradientBoostingRegressor`` (Ke et al. 2017, LightGBM
algorithm) with a Poisson loss, because the target is a count.

Features, per cell and origin (all computed from events strictly before the
origin; ``FEATURES`` lists them):

- events in the cell in the last 7, 28, 90, 365 and 730 days;
- events in the queen neighbourhood (3 x 3 cells) in the last 7, 28, 90 and
  365 days, and in the 2-ring (5 x 5 cells) in the last 28 and 365 days;
- days since the last event in the cell (capped at 1,000);
- long memory: distinct days with an event in the cell over five years,
  plain and weighted ``exp(-age / 730 days)`` (see ``Retrospective``);
- near-repeat exposure: events within 400 m weighted ``exp(-age / 14 days)``;
- same season last year: events in the 3 x 3 neighbourhood in the weeks
  around the same period one year earlier;
- the horizon's season (month as sine/cosine) and the origin's day of week.

Training rows: every cell with an event in the 730 days before each of
``n_train_origins`` past origins spaced ``horizon_days`` apart (the most
recent whose period ends at the last fitted event), plus a seeded random
``empty_fraction`` of the other cells so that the trees also learn what quiet
cells look like. The sample is chosen on the features only (no event in 730
days), so the conditional mean the trees estimate is not biased and the rows
need no weights (weights would also make scikit-learn bin every feature by
weighted percentiles, measured at over half of a Toronto fit). The target is
the number of events in ``[origin, origin + horizon_days)``.

Defaults: 8 training origins (two months of weekly periods: enough rows for a
city, recent enough to follow trends; fits in about 2 s for a city of 30,000
cells), shallow trees with strong
regularisation (leaves of at least 50 rows) so the model does not chase the
noise of one city's weeks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

from prossima.analysis.forecast._base import (
    BaseForecaster,
    History,
    cell_raster,
    quartic_kernel,
    smooth,
)
from prossima.analysis.forecast.explain import context_parts

__all__ = ["FEATURES", "Boosted", "features"]

CELL_WINDOWS = (7, 28, 90, 365, 730)
QUEEN_WINDOWS = (7, 28, 90, 365)
RING2_WINDOWS = (28, 365)
FEATURES = (
    *(f"cell_{w}d" for w in CELL_WINDOWS),
    *(f"queen_{w}d" for w in QUEEN_WINDOWS),
    *(f"ring2_{w}d" for w in RING2_WINDOWS),
    "days_since_last",
    "cell_days_1825d",
    "cell_days_ewma730",
    "near_repeat_exposure",
    "same_season_last_year",
    "month_sin",
    "month_cos",
    "origin_dow",
)

# Plain-language groups for explanations.
GROUPS = {
    "recent_nearby_events": (
        "cell_7d",
        "cell_28d",
        "queen_7d",
        "queen_28d",
        "ring2_28d",
        "near_repeat_exposure",
        "days_since_last",
    ),
    "long_term_concentration": (
        "cell_90d",
        "cell_365d",
        "cell_730d",
        "queen_90d",
        "queen_365d",
        "ring2_365d",
        "cell_days_1825d",
        "cell_days_ewma730",
    ),
    "seasonality": ("same_season_last_year", "month_sin", "month_cos", "origin_dow"),
}


def _one_openmp_thread() -> Any:
    """Return a context limiting OpenMP to one thread.

    Measured on a 2-core machine: after scipy's threaded FFTs and KD-tree have
    run in the same process, HistGradientBoosting's OpenMP workers spin
    against them and one Toronto fit takes ~58 s instead of ~2.3 s with a
    single thread; the trees here are small enough that one thread is fastest.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")


def _first_per_cell_day(cells: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Return 1.0 for the first event of each (cell, UTC day), else 0.0."""
    out = np.zeros(len(cells))
    if len(cells):
        key = cells.astype(np.int64) * 1_000_000 + np.floor(days).astype(np.int64)
        _, idx = np.unique(key, return_index=True)
        out[idx] = 1.0
    return out


def _box(grid_raster: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(ndimage.uniform_filter(grid_raster, size=size, mode="constant")) * size * size


def features(hist: History, grid: Any, origin: float, horizon: float) -> np.ndarray:
    """Return the ``(n_cells, len(FEATURES))`` feature matrix at ``origin`` (float days)."""
    n = grid.n_cells
    cols: list[np.ndarray] = []
    rasters: dict[int, np.ndarray] = {}
    for w in sorted(set(CELL_WINDOWS) | set(QUEEN_WINDOWS) | set(RING2_WINDOWS)):
        s = hist.window(origin - w, origin)
        rasters[w] = cell_raster(grid, hist.cell[s])
    for w in CELL_WINDOWS:
        cols.append(rasters[w][grid.mask])
    for w in QUEEN_WINDOWS:
        cols.append(_box(rasters[w], 3)[grid.mask])
    for w in RING2_WINDOWS:
        cols.append(_box(rasters[w], 5)[grid.mask])
    before = hist.window(-np.inf, origin)
    last = np.full(n, -np.inf)
    np.maximum.at(last, hist.cell[before], hist.days[before])
    cols.append(np.minimum(origin - last, 1000.0))
    s = hist.window(origin - 1825.0, origin)
    first = _first_per_cell_day(hist.cell[s], hist.days[s])
    cols.append(np.bincount(hist.cell[s], weights=first, minlength=n))
    decay = first * np.exp(-(origin - hist.days[s]) / 730.0)
    cols.append(np.bincount(hist.cell[s], weights=decay, minlength=n))
    s = hist.window(origin - 90.0, origin)
    tw = np.exp(-(origin - hist.days[s]) / 14.0)
    cols.append(
        smooth(grid, cell_raster(grid, hist.cell[s], tw), quartic_kernel(grid.cell_size, 400.0))
    )
    s = hist.window(origin - 365.0 - 14.0, origin - 365.0 + horizon + 14.0)
    cols.append(_box(cell_raster(grid, hist.cell[s]), 3)[grid.mask])
    mid = origin + horizon / 2.0
    month = ((mid / 365.2425) % 1.0) * 2.0 * np.pi
    cols.append(np.full(n, np.sin(month)))
    cols.append(np.full(n, np.cos(month)))
    cols.append(np.full(n, float((int(np.floor(origin)) + 3) % 7)))
    return np.column_stack(cols).astype(np.float64)


class Boosted(BaseForecaster):
    """Forecast counts per cell with Poisson gradient-boosted trees on analyst features.

    Fitted attributes: ``model_`` (the scikit-learn regressor), ``train_origins_``
    (float days), ``n_train_rows_``, ``feature_names_``.
    """

    name = "boosted"
    source = "Mohler & Porter (2018) SADM 11(5); scikit-learn HistGradientBoostingRegressor"
    param_docs = {
        "horizon_days": "length in days of the period the trees learn to forecast (default 7; "
        "the CLI sets it to --horizon)",
        "n_train_origins": "past origins used as training periods (default 8)",
        "empty_fraction": "share of cells without events in 730 days kept for training "
        "(default 0.1)",
        "max_iter": "boosting iterations (default 100)",
        "learning_rate": "shrinkage (default 0.08)",
        "max_leaf_nodes": "leaves per tree (default 15)",
        "min_samples_leaf": "minimum rows per leaf (default 50)",
        "seed": "random seed for the row sample and the trees (default 0)",
    }

    def __init__(
        self,
        horizon_days: float = 7.0,
        n_train_origins: int = 8,
        empty_fraction: float = 0.1,
        max_iter: int = 100,
        learning_rate: float = 0.08,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 50,
        seed: int | None = 0,
    ) -> None:
        self.horizon_days = horizon_days
        self.n_train_origins = n_train_origins
        self.empty_fraction = empty_fraction
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.seed = seed

    def min_history_days(self) -> float:
        """Return the span needed for one training period plus four weeks of features."""
        return float(self.horizon_days) + 28.0

    def _validate_params(self) -> None:
        if not (isinstance(self.horizon_days, int | float) and self.horizon_days > 0):
            raise ValueError(f"boosted: horizon_days must be positive, got {self.horizon_days!r}.")
        if not (isinstance(self.n_train_origins, int) and self.n_train_origins >= 1):
            raise ValueError(
                "boosted: n_train_origins must be a positive integer, "
                f"got {self.n_train_origins!r}."
            )
        if not 0.0 <= float(self.empty_fraction) <= 1.0:
            raise ValueError(
                f"boosted: empty_fraction must lie in [0, 1], got {self.empty_fraction!r}."
            )

    def _fit(self) -> None:
        from sklearn.ensemble import HistGradientBoostingRegressor

        hist = self.history_
        h = float(self.horizon_days)
        first, end = float(hist.days[0]), float(hist.days[-1]) + 1e-6
        if end - first < self.min_history_days():
            raise ValueError(
                f"boosted needs at least {self.min_history_days():g} days of events before the "
                f"origin (one {h:g}-day training period plus 28 days of features); the data "
                f"before the origin span {end - first:.1f} days."
            )
        origins = [end - h * (k + 1) for k in range(int(self.n_train_origins))]
        origins = [o for o in origins if o - first >= 28.0]
        xs, ys = [], []
        for o in origins:
            feats = features(hist, self.grid_, o, h)
            s = hist.window(o, o + h)
            y = np.bincount(hist.cell[s], minlength=self.grid_.n_cells).astype(np.float64)
            active = feats[:, FEATURES.index("cell_730d")] > 0
            frac = float(self.empty_fraction)
            sampled = (~active) & (self.rng_.random(len(active)) < frac)
            keep = active | sampled
            xs.append(feats[keep])
            ys.append(y[keep])
        x = np.vstack(xs)
        y = np.concatenate(ys)
        if y.sum() <= 0:
            raise ValueError(
                "boosted: no events in any training period before the origin; "
                "give more history or a longer horizon."
            )
        model = HistGradientBoostingRegressor(
            loss="poisson",
            max_iter=int(self.max_iter),
            learning_rate=float(self.learning_rate),
            max_leaf_nodes=int(self.max_leaf_nodes),
            min_samples_leaf=int(self.min_samples_leaf),
            l2_regularization=1.0,
            early_stopping=False,
            random_state=int(self.rng_.integers(2**31 - 1)),
        )
        with _one_openmp_thread():
            model.fit(x, y)
        self.model_ = model
        self.train_origins_ = np.asarray(origins)
        self.n_train_rows_ = len(y)
        self.feature_names_ = list(FEATURES)

    def _predict(self, hist: History, origin: float, horizon: float) -> np.ndarray:
        feats = features(hist, self.grid_, origin, float(self.horizon_days))
        with _one_openmp_thread():
            pred = np.asarray(self.model_.predict(feats), dtype=np.float64)
        # The trees forecast horizon_days; a different horizon rescales, which keeps ranks.
        return pred * (horizon / float(self.horizon_days))

    def _explain(self, hist: History, origin: float, horizon: float, cell: int) -> dict[str, Any]:
        feats = features(hist, self.grid_, origin, float(self.horizon_days))
        row = feats[cell : cell + 1]
        with _one_openmp_thread():
            base = float(self.model_.predict(row)[0])
        # Reference: the median cell among those with any event in 730 days.
        active = feats[:, FEATURES.index("cell_730d")] > 0
        ref = np.median(feats[active] if active.any() else feats, axis=0)
        parts: list[dict[str, Any]] = []
        for group, names in GROUPS.items():
            alt = row.copy()
            for name in names:
                alt[0, FEATURES.index(name)] = ref[FEATURES.index(name)]
            parts.append(
                {
                    "name": group,
                    "value": base - float(_predict_one(self.model_, alt)),
                    "label": "change in the forecast when these features are set to a typical "
                    "cell's values: " + ", ".join(names),
                }
            )
        parts.sort(key=lambda p: -abs(float(p["value"])))
        return {
            "score": base * horizon / float(self.horizon_days),
            "features": {n: float(v) for n, v in zip(FEATURES, row[0], strict=True)},
            "parts": parts,
            "context": context_parts(hist, self.grid_, origin, cell),
        }


def _predict_one(model: Any, row: np.ndarray) -> float:
    with _one_openmp_thread():
        return float(model.predict(row)[0])
