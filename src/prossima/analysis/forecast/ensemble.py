"""Blend several forecast models with weights learned on a validation window before the origin.

Source: forecast combination by out-of-sample performance (Bates & Granger
1969, *Operational Research Quarterly* 20; Timmermann 2006, *Handbook of
Economic Forecasting*), here choosing the weights that catch the most events
in the flagged cells, which is what a patrol plan is judged on.

``fit`` splits the history at ``validation_periods x horizon_days`` before
its end: every component is fitted on the events before that split, then
predicts each validation period (with the events before that period); the
weights on a simplex grid of step ``weight_step`` that maximise the mean hit
rate over ``coverages`` across the validation periods are kept. At
``predict``, the components keep the parameters learned before the split and
use every event before the origin. No component ever sees the events of the
period it is scored on, so the weights are honest out-of-sample choices.

Each component's scores are divided by their sum before blending so that
counts, densities and expected numbers of events are on one scale.
When the validation periods hold no events (for example data with gaps),
the weights stay equal and ``weights_source_`` says so.

Defaults: a long-memory retrospective count (``LONG_MEMORY``), SEPP and
boosted trees, so the blend has long-term concentration, self-excitation and
learned interactions to choose from (three components keep the weight search
small, 66 candidates, and less prone to fitting validation noise; STKDE and
prospective maps smooth over 300-400 m, which on snapped data spreads risk to
cells without any intersection, and scored 25-35 % below the naive baseline
on Toronto); 8 validation periods (two months of weeks, enough to average out
weekly noise); 1, 2, 5 and 10 % coverage.

A fourth default component, the same long-memory count over the events of
every offence type (``LONG_MEMORY_ALL_TYPES``), takes part only when ``fit``
is given ``all_types`` (a forecast of one category, e.g. ``--category``): a
cell's overall activity is a prior for where that category happens (Mohler
2014, *International Journal of Forecasting* 30, used other crime types as
leading indicators), and its weight is learned like the others, so a city
where it does not help gives it none. Without ``all_types`` it is dropped
(listed in ``dropped_components_``) and the blend is the three-component one.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from prossima.analysis.events import EventSet
from prossima.analysis.forecast._base import BaseForecaster, History

__all__ = ["LONG_MEMORY", "LONG_MEMORY_ALL_TYPES", "Ensemble"]

# Exponentially weighted count of distinct event days per cell over five years
# (see Retrospective): the long-memory micro-place signal. The time scale was
# compared on 2018 and on 2019 Toronto origins (365 to 1,500 days within 1 % of
# each other); 730 days is a round middle value, not a tuned optimum.
LONG_MEMORY = "retrospective:window_days=1825:time_scale_days=730:count=days"
# The same signal over every offence type, for forecasts of one category (see above).
LONG_MEMORY_ALL_TYPES = LONG_MEMORY + ":pool=all_types"
DEFAULT_COMPONENTS = f"{LONG_MEMORY},sepp,boosted,{LONG_MEMORY_ALL_TYPES}"


def _simplex(n: int, step: float) -> np.ndarray:
    m = round(1.0 / step)
    rows = [c for c in itertools.product(range(m + 1), repeat=n) if sum(c) == m]
    return np.asarray(rows, dtype=np.float64) / m


def _mean_hit_rates(blends: np.ndarray, truth: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """Return, per row of ``blends``, the mean hit rate over the flag counts ``ks``.

    Ties at the cut are broken by cell order here (the blends are continuous,
    so ties are rare) because the exact tie-sharing of ``evaluate`` would
    need a full sort per candidate and make the weight search 10x slower.
    """
    kmax = int(ks.max())
    n = blends.shape[1]
    if kmax < n:
        top = np.argpartition(-blends, kmax - 1, axis=1)[:, :kmax]
    else:
        top = np.tile(np.arange(n), (blends.shape[0], 1))
    vals = np.take_along_axis(blends, top, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    hits = np.cumsum(truth[np.take_along_axis(top, order, axis=1)], axis=1)
    return np.asarray(hits[:, ks - 1].mean(axis=1) / truth.sum())


def _normalise(s: np.ndarray) -> np.ndarray:
    total = float(s.sum())
    return s / total if total > 0 else np.full(len(s), 1.0 / len(s))


class Ensemble(BaseForecaster):
    """Blend component models with weights learned on the periods just before the origin.

    Fitted attributes: ``components_`` (fitted models), ``component_labels_`` (their
    names, or specs where a name repeats), ``weights_``,
    ``weights_source_``, ``validation_hit_rate_`` (mean hit rate of the chosen
    weights), ``validation_origins_``, ``dropped_components_`` (components that
    could not be fitted before the validation window, with the reason).
    """

    name = "ensemble"
    source = "Bates & Granger (1969); weights chosen on a validation window before the origin"
    param_docs = {
        "components": "comma-separated model specs (default: the long-memory retrospective "
        f"{LONG_MEMORY}, sepp, boosted, and the same count over every offence type, used only "
        "when the events of every type are given, e.g. with --category)",
        "horizon_days": "length of each validation period in days (default 7; the CLI sets it "
        "to --horizon)",
        "validation_periods": "number of periods before the origin used to learn the weights "
        "(default 8)",
        "weight_step": "grid step of the weights (default 0.1)",
        "coverages": "coverage shares the weights are chosen for (default 0.01,0.02,0.05,0.1)",
        "seed": "random seed passed to components that take one (default 0)",
    }

    def __init__(
        self,
        components: str = DEFAULT_COMPONENTS,
        horizon_days: float = 7.0,
        validation_periods: int = 8,
        weight_step: float = 0.1,
        coverages: tuple[float, ...] = (0.01, 0.02, 0.05, 0.10),
        seed: int | None = 0,
    ) -> None:
        self.components = components
        self.horizon_days = horizon_days
        self.validation_periods = validation_periods
        self.weight_step = weight_step
        self.coverages = coverages
        self.seed = seed

    def _names(self) -> list[str]:
        return [c.strip() for c in str(self.components).split(",") if c.strip()]

    def _make(self) -> list[BaseForecaster]:
        from prossima.analysis.forecast.api import make_model

        out = []
        for spec in self._names():
            model = make_model(spec)
            params = model.get_params()
            if "horizon_days" in params:
                model.set_params(horizon_days=self.horizon_days)
            if "seed" in params:
                model.set_params(seed=self.seed)
            out.append(model)
        return out

    def min_history_days(self) -> float:
        """Return the validation window plus what the components need before it."""
        need = max((m.min_history_days() for m in self._make()), default=0.0)
        return float(self.validation_periods) * float(self.horizon_days) + max(need, 28.0)

    def _validate_params(self) -> None:
        from prossima.analysis.forecast import MODELS

        names = self._names()
        bad = [n for n in names if n.split(":")[0] not in MODELS or n.startswith("ensemble")]
        if not names or bad:
            accepted = ", ".join(n for n in MODELS if n != "ensemble")
            raise ValueError(
                f"ensemble: components must be model names among {accepted}; "
                f"got {self.components!r}."
            )
        if not (isinstance(self.validation_periods, int) and self.validation_periods >= 1):
            raise ValueError("ensemble: validation_periods must be a positive integer.")
        if not 0 < float(self.weight_step) <= 1:
            raise ValueError("ensemble: weight_step must lie in (0, 1].")

    def _fit(self) -> None:
        from prossima.analysis.evaluate import n_flagged

        hist = self.history_
        h = float(self.horizon_days)
        end = float(hist.days[-1]) + 1e-6
        first = float(hist.days[0])
        v = int(self.validation_periods)
        split = end - v * h
        if split - first < 28.0:
            raise ValueError(
                f"ensemble needs at least {self.min_history_days():g} days of events before the "
                f"origin ({v} validation periods of {h:g} days plus the components' history); the "
                f"data before the origin span {end - first:.1f} days."
            )
        early = hist.until(split)
        comps: list[BaseForecaster] = []
        labels: list[str] = []
        dropped: dict[str, str] = {}
        for spec, m in zip(self._names(), self._make(), strict=True):
            label = spec if m.name in labels else m.name
            # Data with gaps (police.uk months) can leave a component too little history
            # before the split, and a component over every offence type needs them; the
            # blend then goes on with the others and says so.
            try:
                # The all-types history reaches the origin, but components only read
                # events before each period they predict, as with ``hist.until(o)``.
                comps.append(m._fit_on(early, self.grid_, self.all_types_))
                labels.append(label)
            except ValueError as exc:
                dropped[label] = str(exc)
        if not comps:
            raise ValueError(
                "ensemble: no component could be fitted on the events before the validation "
                f"window: {'; '.join(dropped.values())}"
            )
        self.dropped_components_ = dropped
        origins = [split + i * h for i in range(v)]
        preds: list[np.ndarray] = []  # (period) -> (n_comp, n_cells)
        truths: list[np.ndarray] = []
        for o in origins:
            sub = hist.until(o)
            preds.append(np.stack([_normalise(m._predict(sub, o, h)) for m in comps]))
            s = hist.window(o, o + h)
            truths.append(np.bincount(hist.cell[s], minlength=self.grid_.n_cells).astype(float))
        cand = _simplex(len(comps), float(self.weight_step))
        useful = [i for i, y in enumerate(truths) if y.sum() > 0]
        if not useful:
            best = np.full(len(comps), 1.0 / len(comps))
            self.weights_source_ = "equal (no events in the validation periods)"
            self.validation_hit_rate_ = float("nan")
        else:
            n = self.grid_.n_cells
            ks = np.asarray([n_flagged(n, c) for c in self.coverages])
            score = np.zeros(len(cand))
            for i in useful:
                score += _mean_hit_rates(cand @ preds[i], truths[i], ks)
            score /= len(useful)
            # Among equally good weights, prefer the most even blend (less variance).
            evenness = -np.abs(cand - 1.0 / len(comps)).sum(axis=1)
            best_i = int(np.lexsort((evenness, score))[-1])
            best = cand[best_i]
            self.weights_source_ = f"validation on {len(useful)} periods before the origin"
            self.validation_hit_rate_ = float(score[best_i])
        self.components_ = comps
        self.component_labels_ = labels
        self.weights_ = best
        self.validation_origins_ = np.asarray(origins)

    def update(self, events: EventSet, all_types: EventSet | None = None) -> Ensemble:
        """Replace the history (and the all-types events) of the blend and its components."""
        super().update(events, all_types)
        for m in self.components_:
            m.all_types_ = self.all_types_
        return self

    def _component_scores(self, hist: History, origin: float, horizon: float) -> np.ndarray:
        return np.stack([_normalise(m._predict(hist, origin, horizon)) for m in self.components_])

    def _predict(self, hist: History, origin: float, horizon: float) -> np.ndarray:
        return np.asarray(self.weights_ @ self._component_scores(hist, origin, horizon))

    def _explain(self, hist: History, origin: float, horizon: float, cell: int) -> dict[str, Any]:
        # Explaining many cells of one forecast (the platform stores the top cells'
        # explanations) must not predict every component again for each cell.
        key = (id(hist), origin, horizon)
        cached = getattr(self, "_explain_scores", None)
        if cached is None or cached[0] != key:
            cached = (key, self._component_scores(hist, origin, horizon))
            self._explain_scores = cached
        comp = cached[1]
        score = float(self.weights_ @ comp[:, cell])
        parts = []
        for m, label, w, s in zip(
            self.components_, self.component_labels_, self.weights_, comp[:, cell], strict=True
        ):
            sub = m._explain(hist, origin, horizon, cell)
            parts.append(
                {
                    "name": label,
                    "weight": float(w),
                    "value": float(w * s),
                    "share": float(w * s / score) if score > 0 else 0.0,
                    "label": f"{label} (weight {w:.2f})",
                    "detail": sub.get("parts", []),
                    **(
                        {"triggering_share": sub["triggering_share"]}
                        if "triggering_share" in sub
                        else {}
                    ),
                }
            )
        parts.sort(key=lambda p: -p["value"])
        context = next(
            (m._explain(hist, origin, horizon, cell).get("context") for m in self.components_[:1]),
            None,
        )
        return {
            "score": score,
            "weights_source": self.weights_source_,
            "parts": parts,
            "context": context,
        }
