"""Evaluate a place-based crime-prevention intervention: before and after, with controls.

API
---
- ``evaluate_impact(events, treated, control, start, *, end=None, months_before=12,
  months_after=None, buffer_m=200, alpha=0.05, ...) -> ImpactResult``: everything
  below at once, with a ``verdict`` code, a plain English ``summary``,
  ``to_dict()`` (JSON-ready) and ``plot_monthly(path_or_ax)``.
- ``did(...) -> DidResult``: difference in differences with a placebo test.
- ``wdd(treated, control, buffer, buffer_control, ...) -> WddResult`` and
  ``displacement_quotient(treated, control, buffer)``: the two classic statistics
  on ``(before, after)`` counts, usable on their own.
- ``monthly_counts(events, areas, start, end) -> DataFrame`` (local months x areas).
- ``suggest_controls(events, treated, candidates, start, months_before=12)``:
  candidate control areas ranked by how closely their past follows the treated area.

Areas
-----
Geometries are shapely (Multi)Polygons in WGS84 lon/lat, projected to the
events' metric CRS. Four areas take part:

- ``treated`` (T): where the intervention happened;
- ``control`` (C): a comparable area without it; it must not overlap T;
- ``buffer`` (D): the catchment, a ring ``buffer_m`` metres wide around T,
  minus T and C: where crime may be displaced to or benefits may diffuse;
- ``buffer_control`` (C'): the ring of the same width around C, minus T, C
  and D: the control for the catchment in the WDD, as in Wheeler & Ratcliffe.

Events are counted, not weighted (the tests assume counts); an event belongs
to an area when it lies strictly inside it (``shapely.contains_xy``). Select a
category first (``events.of_category``) to evaluate one crime type.

Windows
-------
Only whole local months (``events.tz``) count. The before window is the
``months_before`` months up to the last whole month before ``start``. The
after window starts with the first whole month from ``start`` and lasts
``months_after`` months, or, when the intervention has an ``end`` (the first
day without it), every whole month before ``end``. A month cut by ``start``
is a transition month that belongs to neither window (it is still drawn).
Defaults are 12 and 12 months, a whole seasonal cycle on each side; at least
``MIN_MONTHS_BEFORE`` (6) and ``MIN_MONTHS_AFTER`` (3) are required, and both
windows must lie within the months that hold events.

Difference in differences
-------------------------
With ``T0, T1, C0, C1`` the mean monthly counts before (0) and after (1):
``estimate = (T1 - T0) - (C1 - C0)`` events per month, and
``ratio_of_ratios = (T1 / T0) / (C1 / C0)``, ``relative_change = ratio - 1``.

The test statistic is the log ratio of ratios of the totals with ½ added to
each (so that an empty month window stays finite),
``s = log((ΣT1 + ½) / A) - log((ΣT0 + ½) / B) - [same for C]``, for ``B``
months before and ``A`` after. Inference is a **placebo test**, chosen over
shuffling months: monthly counts are seasonal and autocorrelated, so months
are not exchangeable and a label-shuffling test finds effects that are not
there. Placebo dates in the before period keep that structure, but a
two-sided rank p-value needs at least ``2 / alpha - 1`` placebos (39 at 5 %)
and twelve months of history hold a handful. So the intervention is also
re-assigned **in space** (the in-space placebos of synthetic-control studies,
Abadie, Diamond & Hainmueller 2010, JASA 105:493): the treated geometry is
translated over a grid (step a third of its larger side) across the extent
of the events; copies that touch T, its catchment or C are dropped, and those
whose before count lies within a factor 2 of T's are kept (the band widens to
3 and then 5 until ``min_placebos`` copies are found; copies with fewer than 5
events are never used, since near-empty areas all show a log change of about
0). Each copy gets the real dates and the real control, so its statistic is
what the analysis would report for a comparable area that received nothing.
Placebo dates are added whenever the events hold enough history: every month
at which a whole before and after window fits before the real before window
ends, with the real T and C. Then

``p = min(1, 2 * min(1 + #{s_p <= s}, 1 + #{s_p >= s}) / (n + 1))``,

a two-sided rank p-value. With one control area, the control's own noise
shifts every statistic alike and cancels from the ranks: the test asks
whether T changed more than comparable untreated areas did, and the control
shapes the point estimate. When the two disagree in direction, the verdict
is ``"inconclusive"`` (the control is not representative).

Weighted displacement difference (Wheeler & Ratcliffe 2018, Crime Science 7:11)
----------------------------------------------------------------------------------
``WDD = ΔT - ΔC + ΔD - ΔC'`` with ``Δ = after - before`` counts, and under
Poisson counts ``Var(WDD) = T0 + T1 + C0 + C1 + D0 + D1 + C'0 + C'1``;
``z = WDD / sqrt(Var)``, two-sided ``p = 2 Φ(-|z|)``, CI ``WDD ± z_(1-α/2) SE``.
For unequal windows each count is divided by its time weight and its
variance by the weight squared (Wheeler 2021, "The WDD test with different
pre/post time periods"; ``ptools::wdd``); here the weights are ``B / A`` and
1, so the WDD counts events over the after window and equals the paper's
when ``B == A``. Checked against the paper's worked example as reproduced in
ptools' tests (WDD -118, SE sqrt(1568), z -2.98, 95 % CI -196 to -40).
Area weights follow ptools (order here: T, C, D, C').

Local crime counts vary more than Poisson from year to year, so the
Poisson z overstates significance. ``WddResult`` also gives ``p_adjusted``, with
the variance multiplied by a quasi-Poisson dispersion ``phi`` estimated from the
in-space placebo areas: the mean square of their log changes' deviations from
the median change, each divided by its Poisson standard error
``sqrt(1/(n0+½) + 1/(n1+½))`` (at least 1; needs 10 placebo areas). This
adjustment is ours, not the paper's.

Weighted displacement quotient (Bowers & Johnson 2003, J. Quant. Criminol. 19:275)
-----------------------------------------------------------------------------------
``WDQ = (D1/C1 - D0/C0) / (T1/C1 - T0/C0)``: the buffer displacement measure
over the success measure (totals; the window lengths cancel). Read only when
the success measure is negative: ``> 1`` diffusion of benefits larger than
the direct effect, ``(0, 1]`` diffusion of benefits, ``0`` neither, ``[-1, 0)``
displacement smaller than the gain, ``< -1`` displacement larger than the gain.

Verdicts
--------
``verdict`` is one of ``VERDICTS`` (stable codes that the web app translates):
``"reduction"`` / ``"increase"`` when the placebo test gives ``p <= alpha`` in
the same direction as the DiD estimate; ``"no_detectable_change"`` otherwise;
``"inconclusive"`` when too few placebos exist to reach ``alpha`` or when
control and placebos disagree in direction. ``displacement`` is one of
``DISPLACEMENT_CODES``, judged only after a ``"reduction"`` (Bowers & Johnson
read the WDQ only after a success), from the sign of the catchment's WDD
component and its dispersion-adjusted test.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from pyproj import Transformer
from scipy.special import ndtr, ndtri
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from prossima.analysis.events import WGS84, EventSet

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "DISPLACEMENT_CODES",
    "MIN_MONTHS_AFTER",
    "MIN_MONTHS_BEFORE",
    "VERDICTS",
    "DidResult",
    "ImpactResult",
    "WddResult",
    "did",
    "displacement_quotient",
    "evaluate_impact",
    "monthly_counts",
    "suggest_controls",
    "wdd",
]

VERDICTS = ("reduction", "increase", "no_detectable_change", "inconclusive")
DISPLACEMENT_CODES = (
    "displacement",
    "diffusion_of_benefits",
    "no_detectable_displacement",
    "not_assessed",
)
MIN_MONTHS_BEFORE = 6
MIN_MONTHS_AFTER = 3
DEFAULT_MONTHS = 12
DEFAULT_BUFFER_M = 200.0
AREAS = ("treated", "control", "buffer", "buffer_control")

# Level bands tried in turn for placebo areas (before count within a factor of T's).
_PLACEBO_BANDS = (2.0, 3.0, 5.0)
_PLACEBO_MIN_EVENTS = 5
# Placebo areas needed before the dispersion of their changes is worth estimating.
_MIN_FOR_DISPERSION = 10
# Above this many grid offsets a seeded sample is examined, to bound the cost on big cities.
_MAX_OFFSETS_PER_PLACEBO = 10
_HALF = 0.5

DateLike = dt.date | str


# --- results --------------------------------------------------------------------------


def _num(v: float | None) -> float | None:
    """Return ``v`` as a float, or None when it is missing or not finite (JSON has no NaN)."""
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


@dataclass(frozen=True, eq=False)
class DidResult:
    """Hold a difference in differences on monthly counts and its placebo test.

    ``treated_before`` ... ``control_after`` are mean events per month;
    ``estimate`` is the DiD in events per month; ``statistic`` the log ratio of
    ratios tested; ``placebo_statistics`` the placebo values it is ranked
    against (areas first, then dates); ``exceeding`` how many placebos are at
    least as extreme in the observed direction; ``placebo_band`` the level band
    that was needed; ``dispersion`` the quasi-Poisson factor for the WDD.
    """

    months_before: int
    months_after: int
    treated_before: float
    treated_after: float
    control_before: float
    control_after: float
    estimate: float
    ratio_of_ratios: float | None
    relative_change: float | None
    statistic: float
    p_value: float
    placebo_statistics: np.ndarray
    n_placebo_areas: int
    n_placebo_dates: int
    placebo_band: float | None
    exceeding: int
    dispersion: float | None
    alpha: float

    @property
    def n_placebos(self) -> int:
        """Return the number of placebo statistics the p-value ranks against."""
        return len(self.placebo_statistics)

    @property
    def min_p_value(self) -> float:
        """Return the smallest p-value the placebo set can give (two-sided)."""
        return min(1.0, 2.0 / (self.n_placebos + 1))

    @property
    def significant(self) -> bool:
        """Return whether the placebo p-value is at most ``alpha``."""
        return self.p_value <= self.alpha

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (missing values as ``None``)."""
        return {
            "months_before": self.months_before,
            "months_after": self.months_after,
            "treated_before_per_month": _num(self.treated_before),
            "treated_after_per_month": _num(self.treated_after),
            "control_before_per_month": _num(self.control_before),
            "control_after_per_month": _num(self.control_after),
            "estimate_per_month": _num(self.estimate),
            "ratio_of_ratios": _num(self.ratio_of_ratios),
            "relative_change": _num(self.relative_change),
            "statistic": _num(self.statistic),
            "p_value": _num(self.p_value),
            "min_p_value": _num(self.min_p_value),
            "significant": self.significant,
            "n_placebos": self.n_placebos,
            "n_placebo_areas": self.n_placebo_areas,
            "n_placebo_dates": self.n_placebo_dates,
            "placebo_band": _num(self.placebo_band),
            "exceeding": self.exceeding,
            "placebo_statistics": [round(float(v), 6) for v in self.placebo_statistics],
            "dispersion": _num(self.dispersion),
            "alpha": self.alpha,
        }


@dataclass(frozen=True)
class WddResult:
    """Hold the weighted displacement difference, its Poisson test and the adjusted test.

    ``est_local`` is ``ΔT - ΔC``, ``est_displace`` is ``ΔD - ΔC'`` and
    ``est_total`` their sum (the WDD), each with its Poisson standard error;
    ``z``, ``p_value`` (two-sided) and the ``1 - alpha`` CI are the paper's;
    ``z_adjusted`` and ``p_adjusted`` divide z by ``sqrt(dispersion)``.
    """

    est_local: float
    se_local: float
    est_displace: float
    se_displace: float
    est_total: float
    se_total: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    alpha: float
    dispersion: float | None
    z_adjusted: float | None
    p_adjusted: float | None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (missing values as ``None``)."""
        return {k: _num(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True, eq=False)
class ImpactResult:
    """Hold a whole impact evaluation: counts, DiD, WDD, WDQ, verdict and summary."""

    counts: pd.DataFrame
    start: dt.date
    end: dt.date | None
    before: tuple[str, str]
    after: tuple[str, str]
    transition_month: str | None
    totals: dict[str, tuple[int, int]]
    did: DidResult
    wdd: WddResult
    displacement_quotient: float | None
    verdict: str
    displacement: str
    summary: str
    alpha: float
    buffer_m: float
    seed: int | None
    buffer_area: BaseGeometry
    buffer_control_area: BaseGeometry

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: no NaN, months as ``YYYY-MM``, areas as GeoJSON."""
        return {
            "verdict": self.verdict,
            "displacement": self.displacement,
            "summary": self.summary,
            "parameters": {
                "start": self.start.isoformat(),
                "end": None if self.end is None else self.end.isoformat(),
                "months_before": self.did.months_before,
                "months_after": self.did.months_after,
                "buffer_m": self.buffer_m,
                "alpha": self.alpha,
                "seed": self.seed,
            },
            "windows": {
                "before": list(self.before),
                "after": list(self.after),
                "transition_month": self.transition_month,
            },
            "counts": {
                "months": [str(p) for p in self.counts.index],
                **{c: [int(v) for v in self.counts[c]] for c in self.counts.columns},
            },
            "totals": {k: {"before": b, "after": a} for k, (b, a) in self.totals.items()},
            "did": self.did.to_dict(),
            "wdd": self.wdd.to_dict(),
            "displacement_quotient": _num(self.displacement_quotient),
            "geometries": {
                "buffer": mapping(self.buffer_area),
                "buffer_control": mapping(self.buffer_control_area),
            },
        }

    def plot_monthly(
        self, target: str | Path | Axes, labels: Mapping[str, str] | None = None
    ) -> Axes | None:
        """Draw monthly counts of the areas with the intervention marked.

        Give a file path to write a PNG (matplotlib's Agg backend), or an
        ``Axes`` to draw on (returned). ``labels`` replaces the English words
        (keys: treated, control, buffer, buffer_control, after, start, end,
        ylabel, title; ``{start}`` and ``{buffer_m}`` are filled in).
        """
        given = dict(labels or {})
        if isinstance(target, str | Path):
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(10, 5), constrained_layout=True)
            self._draw(ax, given)
            fig.savefig(target, dpi=110)
            plt.close(fig)
            return None
        self._draw(target, given)
        return target

    def _draw(self, ax: Axes, given: Mapping[str, str]) -> None:
        from matplotlib.dates import date2num

        words = {"start": self.start.isoformat(), "buffer_m": f"{self.buffer_m:g}"}

        def word(key: str, default: str) -> str:
            return given.get(key, default).format(**words)

        def num(month: str, plus: int = 0) -> float:
            return float(date2num((pd.Period(month, "M") + plus).to_timestamp()))

        when = [num(str(p)) for p in self.counts.index]
        styles = {
            "treated": ("#b2182b", "-", word("treated", "treated area")),
            "control": ("#2166ac", "-", word("control", "control area")),
            "buffer": ("#f4a582", "--", word("buffer", "catchment ({buffer_m} m)")),
            "buffer_control": ("#92c5de", ":", word("buffer_control", "catchment of control")),
        }
        for col in self.counts.columns:
            colour, line, label = styles.get(str(col), ("#666666", "-", str(col)))
            ax.plot(when, self.counts[col], line, color=colour, marker="o", ms=3, label=label)
        ax.axvspan(
            num(self.after[0]),
            num(self.after[1], 1),
            color="#eeeeee",
            zorder=0,
            label=word("after", "after window"),
        )
        ax.axvline(
            float(date2num(self.start)),
            color="black",
            lw=1.2,
            label=word("start", "intervention start"),
        )
        if self.end is not None:
            ax.axvline(
                float(date2num(self.end)), color="black", lw=1.2, ls="--", label=word("end", "end")
            )
        ax.xaxis_date()
        ax.set_ylabel(word("ylabel", "events per month"))
        ax.set_ylim(bottom=0)
        ax.set_title(word("title", "Monthly events before and after {start}"))
        ax.legend(loc="best", fontsize=8, ncol=2)


# --- pure statistics --------------------------------------------------------------------


def _pair(v: Sequence[float], name: str) -> tuple[float, float]:
    if len(v) != 2 or not all(math.isfinite(float(c)) and float(c) >= 0 for c in v):
        raise ValueError(f"{name} must be a (before, after) pair of counts >= 0; got {v!r}.")
    return float(v[0]), float(v[1])


def wdd(
    treated: Sequence[float],
    control: Sequence[float],
    buffer: Sequence[float] = (0, 0),
    buffer_control: Sequence[float] = (0, 0),
    *,
    time_weights: Sequence[float] = (1.0, 1.0),
    area_weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
    alpha: float = 0.05,
    dispersion: float | None = None,
) -> WddResult:
    """Compute the weighted displacement difference (Wheeler & Ratcliffe) from counts.

    Each area is a ``(before, after)`` pair of counts.

    ``time_weights`` are ``(before, after)`` and ``area_weights`` are
    ``(treated, control, buffer, buffer_control)``, as in ``ptools::wdd`` (whose
    area order is control, treated, ...). ``dispersion`` (at least 1)
    multiplies every variance for the adjusted test.
    """
    _check_alpha(alpha)
    tw = [float(w) for w in time_weights]
    aw = [float(w) for w in area_weights]
    if len(tw) != 2 or len(aw) != 4 or min(tw + aw) <= 0:
        raise ValueError("time_weights needs 2 and area_weights 4 values, all > 0.")
    pairs = [
        _pair(treated, "treated"),
        _pair(control, "control"),
        _pair(buffer, "buffer"),
        _pair(buffer_control, "buffer_control"),
    ]
    est: list[float] = []
    var: list[float] = []
    for (before, after), area_w in zip(pairs, aw, strict=True):
        w0, w1 = tw[0] * area_w, tw[1] * area_w
        est.append(after / w1 - before / w0)
        var.append(after / w1**2 + before / w0**2)
    est_local, var_local = est[0] - est[1], var[0] + var[1]
    est_disp, var_disp = est[2] - est[3], var[2] + var[3]
    est_total, var_total = est_local + est_disp, var_local + var_disp
    se = math.sqrt(var_total)
    z = est_total / se if se > 0 else 0.0
    crit = float(ndtri(1 - alpha / 2))
    z_adj: float | None = None
    p_adj: float | None = None
    if dispersion is not None:
        if not math.isfinite(dispersion) or dispersion < 1:
            raise ValueError(f"dispersion must be a number >= 1; got {dispersion!r}.")
        z_adj = z / math.sqrt(dispersion)
        p_adj = float(2 * ndtr(-abs(z_adj)))
    return WddResult(
        est_local=est_local,
        se_local=math.sqrt(var_local),
        est_displace=est_disp,
        se_displace=math.sqrt(var_disp),
        est_total=est_total,
        se_total=se,
        z=z,
        p_value=float(2 * ndtr(-abs(z))),
        ci_low=est_total - crit * se,
        ci_high=est_total + crit * se,
        alpha=alpha,
        dispersion=dispersion,
        z_adjusted=z_adj,
        p_adjusted=p_adj,
    )


def displacement_quotient(
    treated: Sequence[float], control: Sequence[float], buffer: Sequence[float]
) -> float | None:
    """Return Bowers & Johnson's weighted displacement quotient, or None when undefined.

    Inputs are ``(before, after)`` totals; the quotient is undefined when the
    control has no events in a window or the success measure is exactly 0.
    """
    t0, t1 = _pair(treated, "treated")
    c0, c1 = _pair(control, "control")
    d0, d1 = _pair(buffer, "buffer")
    if c0 <= 0 or c1 <= 0:
        return None
    success = t1 / c1 - t0 / c0
    if success == 0:
        return None
    return (d1 / c1 - d0 / c0) / success


def _log_change(before: Any, after: Any, months_before: int, months_after: int) -> Any:
    """Return the log change of per-month rates, with ½ added to each total."""
    return np.log((np.asarray(after, float) + _HALF) / months_after) - np.log(
        (np.asarray(before, float) + _HALF) / months_before
    )


def _rank_p(placebos: np.ndarray, s: float) -> tuple[float, int, int]:
    """Return the two-sided rank p-value, the tail (-1 or +1) and the placebos reaching ``s``."""
    n = len(placebos)
    low = int(np.sum(placebos <= s))
    high = int(np.sum(placebos >= s))
    p = min(1.0, 2 * min(low + 1, high + 1) / (n + 1))
    return (p, -1, low) if low <= high else (p, 1, high)


# --- input checks -------------------------------------------------------------------------


def _check_alpha(alpha: float) -> None:
    if not (isinstance(alpha, int | float) and 0 < alpha <= 0.5):
        raise ValueError(f"alpha must be a number in (0, 0.5], e.g. 0.05; got {alpha!r}.")


def _as_date(value: Any, name: str, tz: str) -> dt.date:
    """Return ``value`` as a local calendar date (aware datetimes are converted to ``tz``)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"{name}={value!r} is a naive datetime; give a date or an aware one.")
        return pd.Timestamp(value).tz_convert(tz).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ValueError(f"{name}={value!r} is not a date; give a datetime.date or 'YYYY-MM-DD'.")


def _check_area(geom: Any, name: str) -> BaseGeometry:
    if not isinstance(geom, BaseGeometry):
        raise ValueError(
            f"{name} must be a shapely Polygon or MultiPolygon in WGS84 lon/lat; "
            f"got {type(geom).__name__}."
        )
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise ValueError(
            f"{name} must be a non-empty Polygon or MultiPolygon; got {geom.geom_type}"
            f"{' (empty)' if geom.is_empty else ''}."
        )
    if not geom.is_valid:
        raise ValueError(
            f"{name} is not a valid geometry ({shapely.is_valid_reason(geom)}); "
            "repair it, for example with shapely.make_valid()."
        )
    x0, y0, x1, y1 = geom.bounds
    if x0 < -180 or x1 > 180 or y0 < -90 or y1 > 90:
        raise ValueError(
            f"{name} has coordinates outside lon [-180, 180] / lat [-90, 90] "
            f"(bounds {geom.bounds}); give it in WGS84 lon/lat degrees, not projected metres."
        )
    return geom


def _reproject(geom: BaseGeometry, transformer: Transformer) -> BaseGeometry:
    def move(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, move)


def _to_metric(geom: Any, name: str, crs: str) -> BaseGeometry:
    projected = _reproject(
        _check_area(geom, name), Transformer.from_crs(WGS84, crs, always_xy=True)
    )
    # Projection keeps validity for city-sized shapes; repair the rare sliver rather than fail.
    return projected if projected.is_valid else shapely.make_valid(projected)


def _to_lonlat(geom: BaseGeometry, crs: str) -> BaseGeometry:
    return _reproject(geom, Transformer.from_crs(crs, WGS84, always_xy=True))


# --- months -------------------------------------------------------------------------------


def _ordinal(year: Any, month: Any) -> Any:
    """Return pandas' monthly period ordinal (months since 1970-01)."""
    return (year - 1970) * 12 + month - 1


def _label(ordinal: int) -> str:
    return f"{1970 + ordinal // 12:04d}-{ordinal % 12 + 1:02d}"


def _event_months(events: EventSet) -> np.ndarray:
    local = events.times()
    return np.asarray(_ordinal(local.year.to_numpy(), local.month.to_numpy()), dtype=np.int64)


@dataclass(frozen=True)
class _Windows:
    before: tuple[int, int]  # [first, stop) month ordinals
    after: tuple[int, int]
    transition: int | None
    data: tuple[int, int]  # first and last month holding events

    @property
    def months_before(self) -> int:
        return self.before[1] - self.before[0]

    @property
    def months_after(self) -> int:
        return self.after[1] - self.after[0]


def _windows(
    months: np.ndarray,
    start: dt.date,
    end: dt.date | None,
    months_before: int,
    months_after: int | None,
    *,
    need_after: bool = True,
) -> _Windows:
    """Return the before/after windows, or raise naming the argument and what is possible.

    With ``need_after=False`` (choosing controls while planning) ``start`` may
    be the month after the last data month and the after window is not checked.
    """
    if not isinstance(months_before, int) or months_before < MIN_MONTHS_BEFORE:
        raise ValueError(
            f"months_before must be a whole number of at least {MIN_MONTHS_BEFORE} "
            f"({DEFAULT_MONTHS} recommended, a whole seasonal cycle); got {months_before!r}."
        )
    if months_after is not None and (
        not isinstance(months_after, int) or months_after < MIN_MONTHS_AFTER
    ):
        raise ValueError(
            f"months_after must be a whole number of at least {MIN_MONTHS_AFTER} "
            f"({DEFAULT_MONTHS} recommended); got {months_after!r}."
        )
    if end is not None and months_after is not None:
        raise ValueError(
            "Give either end (the after window then runs to it) or months_after, not both."
        )
    if len(months) == 0:
        raise ValueError("events is empty; there is nothing to evaluate.")
    first, last = int(months.min()), int(months.max())
    s = int(_ordinal(start.year, start.month))
    span = f"the events cover {_label(first)} to {_label(last)}"
    if not first <= s <= last + (0 if need_after else 1):
        raise ValueError(f"start={start.isoformat()} is outside the data: {span}.")
    after0 = s if start.day == 1 else s + 1
    transition = None if start.day == 1 else s
    if end is not None:
        if end <= start:
            raise ValueError(f"end={end.isoformat()} must come after start={start.isoformat()}.")
        after1 = int(_ordinal(end.year, end.month))
        if after1 - after0 < MIN_MONTHS_AFTER:
            raise ValueError(
                f"start={start.isoformat()} to end={end.isoformat()} holds {after1 - after0} "
                f"whole month{'' if after1 - after0 == 1 else 's'}; "
                f"at least {MIN_MONTHS_AFTER} are needed after the start."
            )
    else:
        after1 = after0 + (DEFAULT_MONTHS if months_after is None else months_after)
    before0 = s - months_before
    if before0 < first:
        have = s - first
        hint = (
            f"use months_before between {MIN_MONTHS_BEFORE} and {have} or a later start"
            if have >= MIN_MONTHS_BEFORE
            else f"choose a start at least {MIN_MONTHS_BEFORE} whole months after {_label(first)}"
        )
        raise ValueError(
            f"months_before={months_before} needs events from {_label(before0)}, but {span}: "
            f"only {have} whole months precede start={start.isoformat()}; {hint}."
        )
    if need_after and after1 - 1 > last:
        have = last + 1 - after0
        what = f"end={end.isoformat()}" if end is not None else f"months_after={after1 - after0}"
        hint = (
            f"use months_after between {MIN_MONTHS_AFTER} and {have} or an earlier start"
            if have >= MIN_MONTHS_AFTER
            else f"choose a start at least {MIN_MONTHS_AFTER} whole months before the data end"
        )
        raise ValueError(
            f"{what} needs events up to {_label(after1 - 1)}, but {span}: only {max(have, 0)} "
            f"whole months follow start={start.isoformat()}; {hint}."
        )
    return _Windows((before0, s), (after0, after1), transition, (first, last))


def _count_table(
    months: np.ndarray, masks: Mapping[str, np.ndarray], first: int, stop: int
) -> pd.DataFrame:
    n = stop - first
    inside = (months >= first) & (months < stop)
    data = {
        name: np.bincount(months[m & inside] - first, minlength=n).astype(np.int64)
        for name, m in masks.items()
    }
    index = pd.period_range(start=_label(first), periods=n, freq="M", name="month")
    return pd.DataFrame(data, index=index)


def monthly_counts(
    events: EventSet, areas: Mapping[str, BaseGeometry], start: DateLike, end: DateLike
) -> pd.DataFrame:
    """Return event counts per local month (rows) and area (columns).

    ``areas`` maps names to WGS84 (Multi)Polygons. Months run from the month
    of ``start`` up to, not including, the month of ``end``, in ``events.tz``;
    months without events are 0.
    """
    s = _as_date(start, "start", events.tz)
    e = _as_date(end, "end", events.tz)
    first, stop = int(_ordinal(s.year, s.month)), int(_ordinal(e.year, e.month))
    if stop <= first:
        raise ValueError(
            f"end={e.isoformat()} must fall in a later month than start={s.isoformat()}."
        )
    if not areas:
        raise ValueError("areas is empty; give at least one name: geometry pair.")
    masks = {
        name: shapely.contains_xy(_to_metric(g, f"areas[{name!r}]", events.crs), events.x, events.y)
        for name, g in areas.items()
    }
    return _count_table(_event_months(events), masks, first, stop)


# --- design shared by did() and evaluate_impact() -----------------------------------------


@dataclass(frozen=True)
class _Design:
    events: EventSet
    months: np.ndarray
    windows: _Windows
    areas: dict[str, BaseGeometry]
    masks: dict[str, np.ndarray]
    start: dt.date
    end: dt.date | None
    buffer_m: float

    def table(self) -> pd.DataFrame:
        return _count_table(self.months, self.masks, self.windows.before[0], self.windows.after[1])

    def totals(self, name: str) -> tuple[int, int]:
        m, mask = self.months, self.masks[name]
        (b0, b1), (a0, a1) = self.windows.before, self.windows.after
        return (
            int(np.sum(mask & (m >= b0) & (m < b1))),
            int(np.sum(mask & (m >= a0) & (m < a1))),
        )


def _prepare(
    events: EventSet,
    treated: BaseGeometry,
    control: BaseGeometry,
    start: DateLike,
    end: DateLike | None,
    months_before: int,
    months_after: int | None,
    buffer_m: float,
) -> _Design:
    if not (isinstance(buffer_m, int | float) and math.isfinite(buffer_m) and buffer_m >= 0):
        raise ValueError(f"buffer_m must be a distance in metres >= 0; got {buffer_m!r}.")
    s = _as_date(start, "start", events.tz)
    e = None if end is None else _as_date(end, "end", events.tz)
    months = _event_months(events)
    win = _windows(months, s, e, months_before, months_after)
    t = _to_metric(treated, "treated", events.crs)
    c = _to_metric(control, "control", events.crs)
    shared = t.intersection(c).area
    if shared > 1.0:  # touching edges share no ground; rounding may leave a sliver of m²
        raise ValueError(
            f"treated and control overlap ({shared / 1e6:.3f} km² in common); "
            "choose a control area that shares no ground with the treated area."
        )
    zone = t.buffer(buffer_m) if buffer_m > 0 else t
    buf = zone.difference(t).difference(c)
    buf_c = (c.buffer(buffer_m) if buffer_m > 0 else c).difference(c).difference(zone)
    areas = {"treated": t, "control": c, "buffer": buf, "buffer_control": buf_c}
    masks = {k: shapely.contains_xy(g, events.x, events.y) for k, g in areas.items()}
    design = _Design(events, months, win, areas, masks, s, e, float(buffer_m))
    period = f"{_label(win.before[0])} to {_label(win.after[1] - 1)}"
    for name in ("treated", "control"):
        if sum(design.totals(name)) == 0:
            raise ValueError(
                f"The {name} area holds no events from {period}; check that its geometry "
                "is in WGS84 lon/lat and lies over the events (and the category, if filtered)."
            )
    return design


# --- placebo test -------------------------------------------------------------------------


class _PointIndex:
    """Count points inside translated copies of one geometry (points sorted by x)."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        order = np.argsort(x, kind="stable")
        self.x, self.y = x[order], y[order]

    def count(self, geom: BaseGeometry, dx: float, dy: float) -> int:
        x0, y0, x1, y1 = geom.bounds
        lo, hi = np.searchsorted(self.x, [x0 + dx, x1 + dx], side="left")
        xs, ys = self.x[lo:hi], self.y[lo:hi]
        near = (ys >= y0 + dy) & (ys <= y1 + dy)
        # Moving the points instead of the polygon keeps one prepared geometry for all copies.
        return int(np.sum(shapely.contains_xy(geom, xs[near] - dx, ys[near] - dy)))


def _placebo_areas(
    design: _Design, min_placebos: int, max_placebos: int, rng: np.random.Generator
) -> tuple[np.ndarray, float | None]:
    """Return ``(before, after)`` counts of the in-space placebo areas and the level band used."""
    t = design.areas["treated"]
    shapely.prepare(t)
    m, ev = design.months, design.events
    (b0, b1), (a0, a1) = design.windows.before, design.windows.after
    in_b, in_a = (m >= b0) & (m < b1), (m >= a0) & (m < a1)
    pts_b, pts_a = _PointIndex(ev.x[in_b], ev.y[in_b]), _PointIndex(ev.x[in_a], ev.y[in_a])
    both = in_b | in_a
    ex0, ey0, ex1, ey1 = ev.x[both].min(), ev.y[both].min(), ev.x[both].max(), ev.y[both].max()
    gx0, gy0, gx1, gy1 = t.bounds
    step = max(max(gx1 - gx0, gy1 - gy0) / 3.0, 1.0)
    kx = np.arange(math.ceil((ex0 - gx0) / step), math.floor((ex1 - gx1) / step) + 1)
    ky = np.arange(math.ceil((ey0 - gy0) / step), math.floor((ey1 - gy1) / step) + 1)
    offsets = np.array([(i * step, j * step) for i in kx for j in ky], dtype=float).reshape(-1, 2)
    cap = _MAX_OFFSETS_PER_PLACEBO * max_placebos
    if len(offsets) > cap:
        offsets = offsets[np.sort(rng.choice(len(offsets), cap, replace=False))]
    zone = t.buffer(design.buffer_m) if design.buffer_m > 0 else t
    forbidden = shapely.union_all([zone, design.areas["control"]])
    shapely.prepare(forbidden)
    copies = np.array(
        [shapely.affinity.translate(t, dx, dy) for dx, dy in offsets], dtype=object
    ).reshape(-1)
    free = ~shapely.intersects(forbidden, copies) if len(copies) else np.zeros(0, bool)
    counts = np.array(
        [(pts_b.count(t, dx, dy), pts_a.count(t, dx, dy)) for dx, dy in offsets[free]],
        dtype=np.int64,
    ).reshape(-1, 2)
    tb = design.totals("treated")[0]
    keep = np.zeros(len(counts), bool)
    band: float | None = None
    for band in _PLACEBO_BANDS:
        keep = (counts[:, 0] >= max(tb / band, _PLACEBO_MIN_EVENTS)) & (counts[:, 0] <= tb * band)
        if keep.sum() >= min_placebos:
            break
    chosen = counts[keep]
    if len(chosen) > max_placebos:
        chosen = chosen[np.sort(rng.choice(len(chosen), max_placebos, replace=False))]
    return chosen, band if len(counts) else None


def _placebo_dates(design: _Design) -> np.ndarray:
    """Return placebo statistics of T against C at earlier dates where whole windows fit."""
    win = design.windows
    nb, na = win.months_before, win.months_after
    first = win.data[0]
    stop = win.before[1]
    if stop - first < nb + na:
        return np.zeros(0)
    table = _count_table(
        design.months, {k: design.masks[k] for k in ("treated", "control")}, first, stop
    )
    cum = np.vstack([np.zeros((1, 2)), np.cumsum(table[["treated", "control"]].to_numpy(), 0)])
    stats = []
    for s in range(first + nb, stop - na + 1):
        i = s - first
        before = cum[i] - cum[i - nb]
        after = cum[i + na] - cum[i]
        lc = _log_change(before, after, nb, na)
        stats.append(float(lc[0] - lc[1]))
    return np.asarray(stats)


def _did(
    design: _Design, alpha: float, min_placebos: int, max_placebos: int, seed: int | None
) -> DidResult:
    _check_alpha(alpha)
    if not isinstance(min_placebos, int) or min_placebos < 1:
        raise ValueError(f"min_placebos must be a whole number >= 1; got {min_placebos!r}.")
    if not isinstance(max_placebos, int) or max_placebos < min_placebos:
        raise ValueError(
            f"max_placebos must be a whole number >= min_placebos ({min_placebos}); "
            f"got {max_placebos!r}."
        )
    rng = np.random.default_rng(seed)
    nb, na = design.windows.months_before, design.windows.months_after
    (t0, t1), (c0, c1) = design.totals("treated"), design.totals("control")
    s = float(_log_change(t0, t1, nb, na) - _log_change(c0, c1, nb, na))
    areas, band = _placebo_areas(design, min_placebos, max_placebos, rng)
    lc_areas = _log_change(areas[:, 0], areas[:, 1], nb, na)
    lc_c = float(_log_change(c0, c1, nb, na))
    dates = _placebo_dates(design)
    placebos = np.concatenate([lc_areas - lc_c, dates])
    p, _, exceeding = _rank_p(placebos, s) if len(placebos) else (1.0, 0, 0)
    dispersion: float | None = None
    if len(areas) >= _MIN_FOR_DISPERSION:
        se = np.sqrt(1 / (areas[:, 0] + _HALF) + 1 / (areas[:, 1] + _HALF))
        # Deviations from the common change, so a city-wide trend is not taken for noise.
        dev = (lc_areas - np.median(lc_areas)) / se
        dispersion = max(1.0, float(np.sum(dev**2) / (len(dev) - 1)))
    rr = (t1 / na) / (t0 / nb) / ((c1 / na) / (c0 / nb)) if min(t0, c0, c1) > 0 else None
    return DidResult(
        months_before=nb,
        months_after=na,
        treated_before=t0 / nb,
        treated_after=t1 / na,
        control_before=c0 / nb,
        control_after=c1 / na,
        estimate=(t1 / na - t0 / nb) - (c1 / na - c0 / nb),
        ratio_of_ratios=rr,
        relative_change=None if rr is None else rr - 1,
        statistic=s,
        p_value=p,
        placebo_statistics=placebos,
        n_placebo_areas=len(areas),
        n_placebo_dates=len(dates),
        placebo_band=band,
        exceeding=exceeding,
        dispersion=dispersion,
        alpha=alpha,
    )


def did(
    events: EventSet,
    treated: BaseGeometry,
    control: BaseGeometry,
    start: DateLike,
    *,
    end: DateLike | None = None,
    months_before: int = DEFAULT_MONTHS,
    months_after: int | None = None,
    buffer_m: float = DEFAULT_BUFFER_M,
    alpha: float = 0.05,
    min_placebos: int = 99,
    max_placebos: int = 500,
    seed: int | None = 0,
) -> DidResult:
    """Estimate the difference in differences of monthly counts and test it with placebos.

    ``buffer_m`` only keeps placebo areas out of the treated area's catchment.
    ``seed`` drives the sampling of placebo areas when there are more than
    ``max_placebos`` (or, in very large cities, too many grid positions).
    """
    design = _prepare(events, treated, control, start, end, months_before, months_after, buffer_m)
    return _did(design, alpha, min_placebos, max_placebos, seed)


# --- the whole evaluation -----------------------------------------------------------------


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:+.0%}"


def _p(v: float | None) -> str:
    if v is None:
        return "n/a"
    return "p < 0.001" if v < 0.001 else f"p = {v:.3f}"


def _verdict(d: DidResult) -> tuple[str, str]:
    """Return the verdict code and the sentence that explains it."""
    needed = math.ceil(2 / d.alpha - 1)
    level = f"{d.alpha:.0%} level"
    if d.n_placebos < needed:
        return "inconclusive", (
            f"Only {d.n_placebos} comparable untreated areas or dates were found, too few for "
            f"a placebo test at the {level} (at least {needed} are needed), so it cannot be "
            "told whether this is more than noise."
        )
    _, tail, k = _rank_p(d.placebo_statistics, d.statistic)
    if d.p_value > d.alpha:
        return "no_detectable_change", (
            f"{k} of {d.n_placebos} comparable untreated areas or dates changed as much "
            f"(placebo test {_p(d.p_value)}), so the change is not distinguishable from noise "
            f"at the {level}."
        )
    if (tail < 0) != (d.estimate < 0) or d.estimate == 0:
        return "inconclusive", (
            f"Compared with {d.n_placebos} comparable untreated areas or dates the treated area "
            f"moved the other way ({_p(d.p_value)}): the control area is not representative; "
            "choose another (see suggest_controls)."
        )
    word = "fall" if tail < 0 else "rise"
    few = "None" if k == 0 else f"Only {k}"
    return ("reduction" if tail < 0 else "increase"), (
        f"{few} of the {d.n_placebos} comparable untreated areas or dates changed as much "
        f"(placebo test {_p(d.p_value)}), so the {word} is distinguishable from noise at the "
        f"{level}."
    )


def _displacement(verdict: str, w: WddResult, buffer_events: int, alpha: float) -> str:
    if verdict != "reduction" or buffer_events == 0:
        return "not_assessed"
    se = w.se_displace * math.sqrt(w.dispersion or 1.0)
    z = w.est_displace / se if se > 0 else 0.0
    if abs(z) < float(ndtri(1 - alpha / 2)):
        return "no_detectable_displacement"
    return "displacement" if z > 0 else "diffusion_of_benefits"


def _reading(q: float) -> str:
    """Return Bowers & Johnson's reading of a WDQ after a success."""
    if q > 1:
        return "diffusion of benefits larger than the direct effect"
    if q > 0:
        return "diffusion of benefits smaller than the direct effect"
    if q == 0:
        return "neither displacement nor diffusion"
    if q >= -1:
        return "displacement smaller than the gain"
    return "displacement larger than the gain"


def _displacement_words(code: str, verdict: str, q: float | None) -> str:
    if verdict != "reduction":
        return ""
    if code == "not_assessed":
        return " The catchment holds no events, so displacement was not assessed."
    wdq = "" if q is None else f" (weighted displacement quotient {q:.2f}: {_reading(q)})"
    if code == "no_detectable_displacement":
        return f" The catchment's change is not distinguishable from noise{wdq}."
    if code == "displacement":
        return f" Crime rose in the catchment more than around the control: displacement{wdq}."
    return f" Crime fell in the catchment more than around the control: diffusion of benefits{wdq}."


def evaluate_impact(
    events: EventSet,
    treated: BaseGeometry,
    control: BaseGeometry,
    start: DateLike,
    *,
    end: DateLike | None = None,
    months_before: int = DEFAULT_MONTHS,
    months_after: int | None = None,
    buffer_m: float = DEFAULT_BUFFER_M,
    alpha: float = 0.05,
    min_placebos: int = 99,
    max_placebos: int = 500,
    seed: int | None = 0,
) -> ImpactResult:
    """Evaluate an intervention in ``treated`` from ``start`` against ``control``.

    Run the DiD placebo test, the WDD with the ``buffer_m`` catchment and the
    WDQ, and say in a verdict code and a sentence whether the change is
    distinguishable from noise at ``alpha``. See the module docstring.
    """
    design = _prepare(events, treated, control, start, end, months_before, months_after, buffer_m)
    d = _did(design, alpha, min_placebos, max_placebos, seed)
    totals = {k: design.totals(k) for k in AREAS}
    nb, na = d.months_before, d.months_after
    w = wdd(
        totals["treated"],
        totals["control"],
        totals["buffer"],
        totals["buffer_control"],
        time_weights=(nb / na, 1.0),
        alpha=alpha,
        dispersion=d.dispersion,
    )
    q = displacement_quotient(totals["treated"], totals["control"], totals["buffer"])
    verdict, because = _verdict(d)
    displacement = _displacement(verdict, w, sum(totals["buffer"]), alpha)
    win = design.windows
    head = (
        f"From the {nb} months before to the {na} months after {design.start.isoformat()}, "
        f"events in the treated area changed by {_pct(d.relative_change)} relative to the "
        f"control area ({d.estimate:+.1f} a month). "
    )
    wdd_words = (
        f" Counting the {buffer_m:g} m catchment, the weighted displacement difference is "
        f"{w.est_total:+.0f} events (z = {w.z:.2f}, {_p(w.p_value)} assuming Poisson counts"
        + (
            f"; {_p(w.p_adjusted)} allowing for the extra variation seen between areas"
            if w.p_adjusted is not None
            else ""
        )
        + ")."
    )
    return ImpactResult(
        counts=design.table(),
        start=design.start,
        end=design.end,
        before=(_label(win.before[0]), _label(win.before[1] - 1)),
        after=(_label(win.after[0]), _label(win.after[1] - 1)),
        transition_month=None if win.transition is None else _label(win.transition),
        totals=totals,
        did=d,
        wdd=w,
        displacement_quotient=q,
        verdict=verdict,
        displacement=displacement,
        summary=head + because + wdd_words + _displacement_words(displacement, verdict, q),
        alpha=alpha,
        buffer_m=float(buffer_m),
        seed=seed,
        buffer_area=_to_lonlat(design.areas["buffer"], events.crs),
        buffer_control_area=_to_lonlat(design.areas["buffer_control"], events.crs),
    )


# --- choosing a control -------------------------------------------------------------------


def suggest_controls(
    events: EventSet,
    treated: BaseGeometry,
    candidates: Mapping[str, BaseGeometry],
    start: DateLike,
    months_before: int = DEFAULT_MONTHS,
    *,
    buffer_m: float = DEFAULT_BUFFER_M,
    max_level_ratio: float = 3.0,
) -> pd.DataFrame:
    """Rank candidate control areas by how closely their past follows the treated area.

    Only the before window is used, so controls can be chosen while the
    intervention is being planned (``start`` may be the month after the data).
    Candidates that intersect the treated area or its ``buffer_m`` catchment
    are dropped (they may share its displacement), and so are those without
    events in the before window. For the rest, over the ``months_before`` whole
    months before ``start``: ``correlation`` (Pearson, monthly counts),
    ``level_ratio`` (candidate / treated events), ``trend_difference``
    (difference of the yearly log-linear trends, candidate minus treated)
    and ``comparable_level`` (``level_ratio`` within a factor
    ``max_level_ratio``). Rows are sorted: comparable levels first, then by
    correlation (highest first), then by the smallest trend difference. The
    correlation is NaN when either series is constant.
    """
    if not (isinstance(max_level_ratio, int | float) and max_level_ratio >= 1):
        raise ValueError(f"max_level_ratio must be a number >= 1; got {max_level_ratio!r}.")
    if not (isinstance(buffer_m, int | float) and math.isfinite(buffer_m) and buffer_m >= 0):
        raise ValueError(f"buffer_m must be a distance in metres >= 0; got {buffer_m!r}.")
    if not candidates:
        raise ValueError("candidates is empty; give at least one name: geometry pair.")
    s = _as_date(start, "start", events.tz)
    months = _event_months(events)
    win = _windows(months, s, None, months_before, None, need_after=False)
    t = _to_metric(treated, "treated", events.crs)
    zone = t.buffer(buffer_m) if buffer_m > 0 else t
    masks = {"__treated__": shapely.contains_xy(t, events.x, events.y)}
    for name, geom in candidates.items():
        g = _to_metric(geom, f"candidates[{name!r}]", events.crs)
        if g.intersection(zone).area <= 1.0:
            masks[name] = shapely.contains_xy(g, events.x, events.y)
    table = _count_table(months, masks, win.before[0], win.before[1])
    tr = table.pop("__treated__").to_numpy(float)
    if tr.sum() == 0:
        raise ValueError(
            f"The treated area holds no events from {_label(win.before[0])} to "
            f"{_label(win.before[1] - 1)}; check that it is in WGS84 lon/lat over the events."
        )
    steps = np.arange(len(tr)) / 12.0
    trend_t = np.polyfit(steps, np.log(tr + _HALF), 1)[0]
    rows = []
    for name in table.columns:
        c = table[name].to_numpy(float)
        if c.sum() == 0:
            continue
        corr = np.nan if c.std() == 0 or tr.std() == 0 else float(np.corrcoef(tr, c)[0, 1])
        ratio = c.sum() / tr.sum()
        rows.append(
            {
                "name": name,
                "correlation": corr,
                "level_ratio": ratio,
                "trend_difference": float(np.polyfit(steps, np.log(c + _HALF), 1)[0] - trend_t),
                "events_before": int(c.sum()),
                "comparable_level": bool(1 / max_level_ratio <= ratio <= max_level_ratio),
            }
        )
    columns = [
        "correlation",
        "level_ratio",
        "trend_difference",
        "events_before",
        "comparable_level",
    ]
    if not rows:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="name"))
    out = pd.DataFrame(rows).set_index("name")
    out["_corr"] = out["correlation"].fillna(-2.0)
    out["_trend"] = out["trend_difference"].abs()
    out = out.sort_values(["comparable_level", "_corr", "_trend"], ascending=[False, False, True])
    return out[columns]
