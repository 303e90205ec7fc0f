"""Forecast with a self-exciting point process (ETAS-style), fitted by expectation-maximisation.

Model (Mohler, Short, Brantingham, Schoenberg & Tita 2011, "Self-exciting
point process modeling of crime", *JASA* 106(493); in the parametric form of
the field trial by Mohler et al. 2015, *JASA* 110(512))::

    lambda(x, y, t) = nu(dow(t)) * m(cell(x, y)) / A
                      + sum_{t_i < t} theta omega exp(-omega (t - t_i)) N2(x - x_i, y - y_i; sigma)

- background ``m``: events per day in each cell (``A`` the cell area), as in
  the grid-cell background of the 2015 field trial, optionally smoothed by a
  quartic kernel of ``bg_bandwidth`` metres; ``nu`` an optional
  day-of-week modulation (mean 1) that shifts the balance of background and
  triggering within the week;
- triggering: each event raises the rate nearby by ``theta`` expected
  follow-on events, exponentially in time (mean delay ``1/omega`` days) and as
  an isotropic Gaussian of ``sigma`` metres in space.

EM (Veen & Schoenberg 2008; Mohler et al. 2011): the E-step gives each event
the probability that it is background or was triggered by each earlier event;
the M-step updates ``theta``, ``omega``, ``sigma`` (closed form) and ``m``.
Only pairs closer than ``spatial_cutoff`` metres and ``time_cutoff_days``
are candidate parent/offspring (found with a scipy ``cKDTree``), which makes
one iteration linear in the number of such pairs. The mass of the trigger
kernel beyond the cut-offs is neglected (under 2 % with the defaults when the
fitted ``sigma`` is below 170 m and the mean delay below 22 days).

Ties, deliberately handled (Toronto snaps every event to one of ~18,000
intersections, so a large share of pairs are at distance exactly 0, and
several offences of one incident share the same hour):

- events at the same instant never trigger each other (a parent must be
  strictly earlier), so one incident recorded as several offences does not
  masquerade as self-excitation;
- ``sigma`` never goes below ``min_sigma`` metres (default 50 m, about the
  snapping error of an intersection offset); without that floor the zero
  distances drive the Gaussian variance to zero and the likelihood to
  infinity;
- the mean delay ``1/omega`` never goes below ``min_delay_days`` (default
  0.5 day) for the same reason in time.

Defaults generalise to other cities: two years of history (enough for a
stable background at 100-250 m cells without reaching back to stale
patterns), 500 m / 60 days cut-offs (near-repeat studies find elevated risk
within ~400 m and a few weeks: Johnson et al. 2007, *J. Quant. Criminology*
23), background per cell without smoothing (Mohler et al. 2015; on Toronto's
snapped data a 1.5-cell smoothing lowered PAI at 1 % by about 10 %, because
events sit on intersections and smoothing spreads their risk to cells
without any).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from prossima.analysis.forecast._base import (
    BaseForecaster,
    History,
    cell_raster,
    gaussian_cell_kernel,
    quartic_kernel,
    smooth,
)
from prossima.analysis.forecast.explain import context_parts

__all__ = ["SEPP"]


class SEPP(BaseForecaster):
    """Forecast with an ETAS-style self-exciting point process fitted by EM.

    Fitted attributes: ``theta_`` (offspring per event), ``omega_`` (per day),
    ``sigma_`` (metres), ``background_`` (events per day per cell),
    ``weekly_`` (7 day-of-week factors), ``n_iter_``, ``n_pairs_``,
    ``trigger_share_`` (share of fitted events attributed to triggering).
    """

    name = "sepp"
    source = "Mohler et al. (2011) JASA 106(493); Mohler et al. (2015) JASA 110(512)"
    param_docs = {
        "fit_days": "days of history used to fit (default 730)",
        "spatial_cutoff": "max parent-offspring distance in metres (default 500)",
        "time_cutoff_days": "max parent-offspring delay in days (default 60)",
        "bg_bandwidth": "quartic smoothing radius of the background in metres (default None: "
        "no smoothing, one rate per cell)",
        "min_sigma": "floor of the trigger's spatial bandwidth in metres (default 50)",
        "min_delay_days": "floor of the trigger's mean delay in days (default 0.5)",
        "weekly": "model a day-of-week modulation of the background (default True)",
        "max_iter": "maximum EM iterations (default 60)",
        "tol": "stop when parameters change by less than this relative amount (default 1e-4)",
    }

    def __init__(
        self,
        fit_days: float = 730.0,
        spatial_cutoff: float = 500.0,
        time_cutoff_days: float = 60.0,
        bg_bandwidth: float | None = None,
        min_sigma: float = 50.0,
        min_delay_days: float = 0.5,
        weekly: bool = True,
        max_iter: int = 60,
        tol: float = 1e-4,
    ) -> None:
        self.fit_days = fit_days
        self.spatial_cutoff = spatial_cutoff
        self.time_cutoff_days = time_cutoff_days
        self.bg_bandwidth = bg_bandwidth
        self.min_sigma = min_sigma
        self.min_delay_days = min_delay_days
        self.weekly = weekly
        self.max_iter = max_iter
        self.tol = tol

    def _validate_params(self) -> None:
        if self.bg_bandwidth is not None and not (
            isinstance(self.bg_bandwidth, int | float) and self.bg_bandwidth > 0
        ):
            raise ValueError(
                f"sepp: bg_bandwidth must be positive or None, got {self.bg_bandwidth!r}."
            )
        for key in (
            "fit_days",
            "spatial_cutoff",
            "time_cutoff_days",
            "min_sigma",
            "min_delay_days",
            "tol",
        ):
            value = getattr(self, key)
            if not (isinstance(value, int | float) and value > 0):
                raise ValueError(f"sepp: {key} must be a positive number, got {value!r}.")
        if not (isinstance(self.max_iter, int) and self.max_iter >= 1):
            raise ValueError(f"sepp: max_iter must be a positive integer, got {self.max_iter!r}.")

    # --- fitting -----------------------------------------------------------------
    def _pairs(self, hist: History) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return candidate (parent, child, delay, squared distance) within the cut-offs."""
        xy = np.column_stack([hist.x, hist.y])
        tree = cKDTree(xy)
        pairs = tree.query_pairs(float(self.spatial_cutoff), output_type="ndarray")
        if len(pairs) == 0:
            empty = np.zeros(0)
            return empty.astype(np.int64), empty.astype(np.int64), empty, empty
        a, b = pairs[:, 0], pairs[:, 1]
        # Events are sorted by time, so the lower index is never later.
        parent = np.minimum(a, b)
        child = np.maximum(a, b)
        dt = hist.days[child] - hist.days[parent]
        keep = (dt > 0) & (dt <= float(self.time_cutoff_days))
        parent, child, dt = parent[keep], child[keep], dt[keep]
        d2 = (hist.x[child] - hist.x[parent]) ** 2 + (hist.y[child] - hist.y[parent]) ** 2
        return parent, child, dt, d2

    def _smooth_background(self, bg_counts: np.ndarray) -> np.ndarray:
        grid = self.grid_
        if self.bg_bandwidth is None:
            return bg_counts
        k = quartic_kernel(grid.cell_size, float(self.bg_bandwidth))
        raster = grid.to_raster(bg_counts, fill=0.0)
        sm = smooth(grid, raster, k)
        total = sm.sum()
        return sm * (bg_counts.sum() / total) if total > 0 else sm

    def _fit(self) -> None:
        full = self.history_
        end = float(full.days[-1]) + 1e-6
        hist = full.take(full.window(end - float(self.fit_days), end))
        n = len(hist)
        start = max(float(hist.days[0]), end - float(self.fit_days))
        span = max(end - start, 1.0)
        area = self.grid_.cell_size**2
        _parent, child, dt, d2 = self._pairs(hist)
        use_weekly = bool(self.weekly) and hist.time_resolution not in ("day", "month")
        theta, omega, sigma = 0.5, 1.0 / 7.0, 100.0
        p_bg = np.full(n, 0.5)
        background = self._smooth_background(
            np.bincount(hist.cell, weights=p_bg, minlength=self.grid_.n_cells) / span
        )
        weekly = np.ones(7)
        omega_max = 1.0 / float(self.min_delay_days)
        n_iter = 0
        for n_iter in range(1, int(self.max_iter) + 1):  # noqa: B007 - n_iter is reported
            # E-step
            bg = weekly[hist.dow] * background[hist.cell] / area
            trig = (
                theta
                * omega
                * np.exp(-omega * dt)
                * np.exp(-0.5 * d2 / sigma**2)
                / (2.0 * np.pi * sigma**2)
            )
            total = bg + np.bincount(child, weights=trig, minlength=n)
            total = np.maximum(total, 1e-300)
            p_trig = trig / total[child]
            p_bg = bg / total
            # M-step
            s_trig = float(p_trig.sum())
            exposure = float(np.sum(1.0 - np.exp(-omega * (end - hist.days))))
            new_theta = s_trig / max(exposure, 1e-12)
            new_omega = min(s_trig / max(float(np.sum(p_trig * dt)), 1e-12), omega_max)
            new_sigma = max(
                float(np.sqrt(np.sum(p_trig * d2) / max(2.0 * s_trig, 1e-12))),
                float(self.min_sigma),
            )
            if s_trig <= 1e-9:
                new_omega, new_sigma = omega, sigma
            background = self._smooth_background(
                np.bincount(hist.cell, weights=p_bg, minlength=self.grid_.n_cells) / span
            )
            if use_weekly:
                by_dow = np.bincount(hist.dow, weights=p_bg, minlength=7)
                days_per_dow = np.full(7, span / 7.0)
                rate = by_dow / days_per_dow
                weekly = rate / rate.mean() if rate.mean() > 0 else np.ones(7)
                weekly = np.maximum(weekly, 1e-3)
            change = max(
                abs(new_theta - theta) / max(theta, 1e-9),
                abs(new_omega - omega) / max(omega, 1e-9),
                abs(new_sigma - sigma) / max(sigma, 1e-9),
            )
            theta, omega, sigma = new_theta, new_omega, new_sigma
            if change < float(self.tol):
                break
        self.theta_ = float(theta)
        self.omega_ = float(omega)
        self.sigma_ = float(sigma)
        self.background_ = background
        self.weekly_ = weekly
        self.n_iter_ = n_iter
        self.n_pairs_ = len(dt)
        self.trigger_share_ = float(1.0 - p_bg.mean())

    # --- prediction ----------------------------------------------------------------
    def _parts(self, hist: History, origin: float, horizon: float) -> tuple[np.ndarray, np.ndarray]:
        days = origin + np.arange(int(np.ceil(horizon)))
        dows = ((np.floor(days).astype(np.int64) + 3) % 7).astype(
            np.int64
        )  # 1970-01-01 was a Thursday
        bg = self.background_ * horizon * float(self.weekly_[dows].mean())
        reach = max(float(self.time_cutoff_days), 10.0 / self.omega_)
        w = hist.window(origin - reach, origin)
        age = origin - hist.days[w]
        weight = self.theta_ * (np.exp(-self.omega_ * age) - np.exp(-self.omega_ * (age + horizon)))
        k = gaussian_cell_kernel(self.grid_.cell_size, self.sigma_)
        trig = smooth(self.grid_, cell_raster(self.grid_, hist.cell[w], weight), k)
        return bg, trig

    def _predict(self, hist: History, origin: float, horizon: float) -> np.ndarray:
        bg, trig = self._parts(hist, origin, horizon)
        return bg + trig

    def _explain(self, hist: History, origin: float, horizon: float, cell: int) -> dict[str, Any]:
        bg, trig = self._parts(hist, origin, horizon)
        total = float(bg[cell] + trig[cell])
        return {
            "score": total,
            "unit": "expected events in the period",
            "triggering_share": round(float(trig[cell]) / total, 4) if total > 0 else 0.0,
            "parts": [
                {
                    "name": "long_term_concentration",
                    "value": float(bg[cell]),
                    "label": "background rate of the cell (events not explained by earlier ones)",
                },
                {
                    "name": "triggering",
                    "value": float(trig[cell]),
                    "label": f"follow-on risk from recent nearby events (each event adds "
                    f"{self.theta_:.3f} expected events, mean delay {1 / self.omega_:.1f} days, "
                    f"spread {self.sigma_:.0f} m)",
                },
            ],
            "context": context_parts(hist, self.grid_, origin, cell),
        }
