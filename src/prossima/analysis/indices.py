"""Composite indicators of vulnerability, built as the OECD/JRC Handbook describes.

Reference: OECD/JRC, *Handbook on Constructing Composite Indicators:
Methodology and User Guide* (2008), steps 5-7 (normalisation, weighting and
aggregation) and step 8 (uncertainty and sensitivity analysis).

API
---
- ``composite_index(table, *, directions=None, normalisation="minmax",
  weights="equal", aggregation="linear", missing="mean", shares=None)
  -> IndexResult``.
- ``sensitivity(table, *, directions=None, normalisations=("minmax", "zscore",
  "rank"), weightings=("equal", "pca"), aggregations=("linear", "geometric"),
  n_weight_draws=200, seed=0, concentration=10.0, missing="mean", shares=None)
  -> SensitivityResult``.
- ``population_indicators(population) -> dict[str, float]``: the age
  indicators the platform shows for a comune, from its ISTAT pyramid.

Input
-----
``table`` has one row per area (index = area code, unique) and one numeric
column per indicator. Higher values mean *more vulnerable* unless
``directions[column] == -1``; such columns are multiplied by -1 before
normalisation, so every normalised indicator grows with vulnerability.

Missing values
--------------
``missing="mean"`` replaces each missing value with the mean of its indicator
over the other areas (the count per indicator is reported);
``missing="drop"`` removes every area with a missing value (the areas are
reported). Either way ``IndexResult.missing`` says what was done.

Normalisation
-------------
- ``"minmax"``: ``(x - min) / (max - min)``, in [0, 1].
- ``"zscore"``: ``(x - mean) / std`` with the population standard deviation
  (``ddof=0``): the areas are the whole set being compared, not a sample.
- ``"rank"``: percentile rank ``(r - 1) / (n - 1)`` where ``r`` is the rank
  from the least vulnerable (ties get their average rank), in [0, 1] like
  min-max so that both aggregations accept it.

A constant indicator is rejected for every normalisation: min-max and z-score
are undefined (division by zero) and a rank of ties carries no information.

Weights
-------
- ``"equal"``: ``1 / k`` for ``k`` indicators.
- a mapping ``{indicator: weight}`` ("expert" weights): every indicator must
  be present, no other key is accepted, weights are non-negative and are
  rescaled to sum to 1.
- ``"pca"``: the Handbook's factor-analysis weights (section 6.1) without the
  varimax rotation and with loadings summed instead of each indicator being
  assigned to one factor. Exactly:

  1. standardise the *normalised* indicators (z-scores, ``ddof=0``), so the
     PCA is on the correlation matrix as in the Handbook;
  2. fit ``sklearn.decomposition.PCA``; keep the fewest leading components
     whose cumulative explained variance ratio reaches ``PCA_VARIANCE`` (60 %);
  3. weight of indicator ``j`` = ``Σ_c s_c · v_jc²`` over kept components
     ``c``, where ``v_c`` is the unit eigenvector (``components_[c]``) and
     ``s_c`` the share of the kept variance that ``c`` explains. ``v_jc²``
     is the Handbook's "squared loading scaled to unity" (``λ_c v_jc² / λ_c``);
     the weights then already sum to 1.

  The weight of ``j`` is therefore its communality over the kept components
  divided by their total variance: an indicator uncorrelated with the others
  (noise) gets a small weight. Without rotation, a second kept component can
  still give weight to such an indicator; the PCA details are in ``settings``.

Aggregation
-----------
- ``"linear"``: weighted arithmetic mean ``Σ w_j x_j``. ``contributions`` are
  ``w_j x_j`` and each row sums to the score.
- ``"geometric"``: weighted geometric mean ``Π x'_j ** w_j`` with
  ``x' = ε + (1 - ε) x`` and ``ε = GEOMETRIC_EPSILON`` (0.01): the geometric
  mean needs strictly positive values and min-max or rank values reach 0;
  the shift keeps scores in [ε, 1]. ``contributions`` are in log terms,
  ``w_j log x'_j``, and each row sums to ``log(score)``. Z-scores are
  rejected: they are negative below the mean, and any positive shift of
  them ranks areas exactly as min-max does.

Ranks are 1 for the most vulnerable area (ties share the lowest rank).

Sensitivity
-----------
The Handbook's uncertainty analysis (section 7): the index is computed under
every valid combination of ``normalisations × weightings × aggregations``
(z-score with geometric is skipped and reported), and under
``n_weight_draws`` Monte Carlo scenarios, each of which draws a normalisation
and an aggregation uniformly among the valid ones and weights from a
Dirichlet distribution with every parameter equal to ``concentration``: the
mean is the equal weighting and each weight has standard deviation
``sqrt((1/k)(1 - 1/k) / (k·concentration + 1))`` (for 4 indicators and the
default 10, about 0.07 around 0.25). The reference scenario uses the first
element of each of the three tuples. Per area the result reports the rank
under the reference, the median rank and the 5th-95th percentile band over
all scenarios (reference included; ``numpy.percentile``, linear
interpolation), and per scenario the mean absolute rank shift from the
reference, ``R̄_S = (1/M) Σ_c |rank_ref(c) - rank_s(c)|``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "GEOMETRIC_EPSILON",
    "PCA_VARIANCE",
    "IndexResult",
    "MissingReport",
    "SensitivityResult",
    "composite_index",
    "population_indicators",
    "sensitivity",
]

NORMALISATIONS = ("minmax", "zscore", "rank")
WEIGHTINGS = ("equal", "pca")
AGGREGATIONS = ("linear", "geometric")
MISSING = ("mean", "drop")
GEOMETRIC_EPSILON = 0.01
PCA_VARIANCE = 0.6
AGES = 101  # ISTAT single years 0 … 99 and "100 and over".

WeightSpec = str | Mapping[str, float]


@dataclass
class MissingReport:
    """How missing values were treated: imputed counts or dropped areas."""

    method: str
    imputed: dict[str, int] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        """Return one sentence that says how missing values were treated."""
        if self.method == "mean":
            total = sum(self.imputed.values())
            if not total:
                return "No missing values."
            parts = ", ".join(f"{col}: {n}" for col, n in self.imputed.items() if n)
            return f"{total} missing values replaced by the indicator mean ({parts})."
        if not self.dropped:
            return "No missing values."
        return f"{len(self.dropped)} areas with missing values dropped: {', '.join(self.dropped)}."

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "method": self.method,
            "imputed": dict(self.imputed),
            "dropped": list(self.dropped),
            "summary": self.summary,
        }


@dataclass
class IndexResult:
    """A composite index: scores, ranks and everything needed to explain them."""

    scores: pd.Series
    ranks: pd.Series
    normalised: pd.DataFrame
    weights: dict[str, float]
    contributions: pd.DataFrame
    missing: MissingReport
    settings: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data (area codes as strings, no NaN)."""
        return {
            "scores": _series_dict(self.scores),
            "ranks": {str(k): int(v) for k, v in self.ranks.items()},
            "normalised": _frame_dict(self.normalised),
            "weights": {k: float(v) for k, v in self.weights.items()},
            "contributions": _frame_dict(self.contributions),
            "missing": self.missing.to_dict(),
            "settings": _json_ready(self.settings),
        }


@dataclass
class SensitivityResult:
    """Ranks of every area under many plausible ways of building the index."""

    reference: IndexResult
    ranks: pd.DataFrame  # areas × scenarios; column "reference" first
    summary: pd.DataFrame  # per area: reference_rank, median_rank, rank_p05, rank_p95
    scenarios: pd.DataFrame  # per scenario: settings and mean_abs_rank_shift
    skipped: list[str]
    settings: dict[str, Any]

    @property
    def outside_band(self) -> list[str]:
        """Return the areas whose reference rank lies outside their 5th-95th band."""
        s = self.summary
        mask = (s["reference_rank"] < s["rank_p05"]) | (s["reference_rank"] > s["rank_p95"])
        return [str(a) for a in s.index[mask]]

    def to_dict(self) -> dict[str, Any]:
        """Return the per-area bands and per-scenario shifts as JSON-ready data."""
        return {
            "reference": self.reference.to_dict(),
            "areas": _frame_dict(self.summary),
            "scenarios": [_json_ready(row) for row in self.scenarios.to_dict(orient="records")],
            "skipped": list(self.skipped),
            "outside_band": self.outside_band,
            "settings": _json_ready(self.settings),
        }


def composite_index(
    table: pd.DataFrame,
    *,
    directions: Mapping[str, int] | None = None,
    normalisation: str = "minmax",
    weights: WeightSpec = "equal",
    aggregation: str = "linear",
    missing: str = "mean",
    shares: Iterable[str] | None = None,
) -> IndexResult:
    """Return the composite index of the areas (rows) of ``table``; see the module docstring."""
    _check_choice("normalisation", normalisation, NORMALISATIONS)
    _check_choice("aggregation", aggregation, AGGREGATIONS)
    _check_combination(normalisation, aggregation)
    oriented, report = _prepare(table, directions, shares, missing)
    normalised = _normalise(oriented, normalisation)
    w, weight_settings = _weights(normalised, weights)
    scores, contributions = _aggregate(normalised, w, aggregation)
    settings: dict[str, Any] = {
        "normalisation": normalisation,
        "aggregation": aggregation,
        "missing": missing,
        "directions": {c: int((directions or {}).get(c, 1)) for c in oriented.columns},
        **weight_settings,
    }
    if aggregation == "geometric":
        settings["epsilon"] = GEOMETRIC_EPSILON
    return IndexResult(
        scores=scores,
        ranks=_ranks(scores),
        normalised=normalised,
        weights=dict(zip(normalised.columns, map(float, w), strict=True)),
        contributions=contributions,
        missing=report,
        settings=settings,
    )


def sensitivity(
    table: pd.DataFrame,
    *,
    directions: Mapping[str, int] | None = None,
    normalisations: Sequence[str] = NORMALISATIONS,
    weightings: Sequence[WeightSpec] = WEIGHTINGS,
    aggregations: Sequence[str] = AGGREGATIONS,
    n_weight_draws: int = 200,
    seed: int | None = 0,
    concentration: float = 10.0,
    missing: str = "mean",
    shares: Iterable[str] | None = None,
) -> SensitivityResult:
    """Return the rank bands of every area over alternative ways to build the index."""
    if not normalisations or not weightings or not aggregations:
        raise ValueError(
            "normalisations, weightings and aggregations must each name at least one choice."
        )
    for n in normalisations:
        _check_choice("normalisations", n, NORMALISATIONS)
    for a in aggregations:
        _check_choice("aggregations", a, AGGREGATIONS)
    if n_weight_draws < 0:
        raise ValueError(f"n_weight_draws must be 0 or more, not {n_weight_draws}.")
    if not concentration > 0:
        raise ValueError(f"concentration must be positive, not {concentration}.")
    _check_combination(normalisations[0], aggregations[0])

    oriented, report = _prepare(table, directions, shares, missing)
    normalised = {n: _normalise(oriented, n) for n in dict.fromkeys(normalisations)}
    valid = [
        (n, a)
        for n in dict.fromkeys(normalisations)
        for a in dict.fromkeys(aggregations)
        if not (n == "zscore" and a == "geometric")
    ]
    skipped = [
        f"{n}/{a}: geometric aggregation needs positive values; z-scores are not"
        for n in dict.fromkeys(normalisations)
        for a in dict.fromkeys(aggregations)
        if (n, a) not in valid
    ]
    reference = composite_index(
        table,
        directions=directions,
        normalisation=normalisations[0],
        weights=weightings[0],
        aggregation=aggregations[0],
        missing=missing,
        shares=shares,
    )

    columns: dict[str, pd.Series] = {"reference": reference.ranks}
    rows: list[dict[str, Any]] = []
    weight_cache: dict[tuple[str, int], np.ndarray] = {}
    for (n, a), (i, spec) in itertools.product(valid, enumerate(weightings)):
        label_w = spec if isinstance(spec, str) else f"expert{i}"
        if (n, i) not in weight_cache:
            weight_cache[n, i] = _weights(normalised[n], spec)[0]
        scores, _ = _aggregate(normalised[n], weight_cache[n, i], a)
        label = f"{n}/{label_w}/{a}"
        columns[label] = _ranks(scores)
        rows.append({"scenario": label, "normalisation": n, "weights": label_w, "aggregation": a})

    rng = np.random.default_rng(seed)
    k = oriented.shape[1]
    for d in range(n_weight_draws):
        n, a = valid[int(rng.integers(len(valid)))]
        w = rng.dirichlet(np.full(k, concentration))
        scores, _ = _aggregate(normalised[n], w, a)
        label = f"draw{d}"
        columns[label] = _ranks(scores)
        rows.append(
            {"scenario": label, "normalisation": n, "weights": "dirichlet", "aggregation": a}
        )

    ranks = pd.DataFrame(columns)
    ref = ranks["reference"].to_numpy(dtype=float)
    values = ranks.to_numpy(dtype=float)
    summary = pd.DataFrame(
        {
            "reference_rank": ranks["reference"].astype(int),
            "median_rank": np.median(values, axis=1),
            "rank_p05": np.percentile(values, 5, axis=1),
            "rank_p95": np.percentile(values, 95, axis=1),
        },
        index=ranks.index,
    )
    scenarios = pd.DataFrame(rows, columns=["scenario", "normalisation", "weights", "aggregation"])
    scenarios["mean_abs_rank_shift"] = [
        float(np.mean(np.abs(ranks[row["scenario"]].to_numpy(dtype=float) - ref))) for row in rows
    ]
    settings = {
        "reference": reference.settings,
        "normalisations": list(normalisations),
        "weightings": [w if isinstance(w, str) else dict(w) for w in weightings],
        "aggregations": list(aggregations),
        "n_weight_draws": n_weight_draws,
        "seed": seed,
        "concentration": concentration,
        "missing": report.summary,
    }
    return SensitivityResult(reference, ranks, summary, scenarios, skipped, settings)


def population_indicators(population: Mapping[str, Any]) -> dict[str, float]:
    """Return the age shares and old-age dependency of one ISTAT age pyramid.

    ``population`` holds ``males`` and ``females``: 101 counts each, index =
    age, the last being "100 and over" (the shape of ``territory.Population``).
    Returns ``minors_share`` (0-17), ``aged_65_plus_share``,
    ``aged_80_plus_share`` (shares of the total, 0-1) and
    ``old_age_dependency``: residents 65+ per 100 aged 15-64, the ISTAT
    definition that ``Population.old_age_dependency`` also uses.
    """
    arrays = {}
    for sex in ("males", "females"):
        if sex not in population:
            raise ValueError(f"population must hold '{sex}': {AGES} counts by single age.")
        values = np.asarray(population[sex], dtype=float)
        if values.shape != (AGES,):
            raise ValueError(
                f"population['{sex}'] must hold {AGES} counts (ages 0 to 100+), not {values.size}."
            )
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"population['{sex}'] must hold non-negative finite counts.")
        arrays[sex] = values
    both = arrays["males"] + arrays["females"]
    total = both.sum()
    working = both[15:65].sum()
    if total <= 0:
        raise ValueError("population has no residents: shares are undefined.")
    if working <= 0:
        raise ValueError("population has no residents aged 15-64: old-age dependency undefined.")
    return {
        "minors_share": float(both[:18].sum() / total),
        "aged_65_plus_share": float(both[65:].sum() / total),
        "aged_80_plus_share": float(both[80:].sum() / total),
        "old_age_dependency": float(100.0 * both[65:].sum() / working),
    }


def _check_choice(argument: str, value: object, accepted: Sequence[str]) -> None:
    if not isinstance(value, str) or value not in accepted:
        raise ValueError(
            f"Unknown {argument} {value!r}; accepted values: {', '.join(map(repr, accepted))}."
        )


def _check_combination(normalisation: str, aggregation: str) -> None:
    if normalisation == "zscore" and aggregation == "geometric":
        raise ValueError(
            "aggregation='geometric' needs strictly positive values, but z-scores are negative "
            "below the mean; use normalisation='minmax' or 'rank' with the geometric mean."
        )


def _prepare(
    table: pd.DataFrame,
    directions: Mapping[str, int] | None,
    shares: Iterable[str] | None,
    missing: str,
) -> tuple[pd.DataFrame, MissingReport]:
    """Validate ``table``, treat missing values and orient every column towards vulnerability."""
    _check_choice("missing", missing, MISSING)
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame, not {type(table).__name__}.")
    if table.shape[1] < 1:
        raise ValueError("table must have at least 1 indicator column.")
    if table.shape[0] < 2:
        raise ValueError(f"table must have at least 2 areas (rows), not {table.shape[0]}.")
    if table.index.has_duplicates:
        dup = table.index[table.index.duplicated()][0]
        raise ValueError(f"table has area {dup!r} more than once; each area needs one row.")
    if table.columns.has_duplicates:
        raise ValueError("table has duplicate indicator column names.")
    for col in table.columns:
        dtype = table[col].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise ValueError(
                f"Indicator {col!r} is not numeric (dtype {dtype}); convert it to numbers "
                "(e.g. pd.to_numeric) or drop it."
            )
    frame = table.astype(float)
    values = frame.to_numpy()
    if np.isinf(values).any():
        row, col = np.argwhere(np.isinf(values))[0]
        raise ValueError(
            f"Indicator {frame.columns[col]!r} is infinite for area {frame.index[row]!r}."
        )
    for col in shares or ():
        if col not in frame.columns:
            raise ValueError(f"shares names {col!r}, which is not a column of table.")
        bad = frame[col][(frame[col] < 0) | (frame[col] > 1)]
        if len(bad):
            raise ValueError(
                f"Indicator {col!r} is declared a share but area {bad.index[0]!r} has "
                f"{bad.iloc[0]}; shares must lie between 0 and 1."
            )
    signs = _directions(frame.columns, directions)

    if missing == "mean":
        counts = frame.isna().sum()
        empty = [str(c) for c, n in counts.items() if n == len(frame)]
        if empty:
            raise ValueError(f"Indicators {', '.join(empty)} have no values at all; drop them.")
        report = MissingReport("mean", imputed={str(c): int(n) for c, n in counts.items()})
        frame = frame.fillna(frame.mean())
    else:
        rows = frame.isna().any(axis=1)
        report = MissingReport("drop", dropped=[str(a) for a in frame.index[rows]])
        frame = frame.loc[~rows]
        if len(frame) < 2:
            raise ValueError(
                f"Only {len(frame)} areas have no missing value; at least 2 are needed. "
                "Use missing='mean' or fill the gaps."
            )
    for col in frame.columns:
        if frame[col].nunique() == 1:
            raise ValueError(
                f"Indicator {col!r} is constant ({frame[col].iloc[0]}) across the areas: "
                "min-max and z-score normalisation are undefined and it cannot tell areas "
                "apart; drop it from the table."
            )
    return frame * signs, report


def _directions(columns: pd.Index, directions: Mapping[str, int] | None) -> pd.Series:
    signs = pd.Series(1.0, index=columns)
    for col, sign in (directions or {}).items():
        if col not in columns:
            raise ValueError(f"directions names {col!r}, which is not a column of table.")
        if sign not in (1, -1):
            raise ValueError(
                f"directions[{col!r}] is {sign!r}; accepted values: 1 (higher = more "
                "vulnerable) or -1 (higher = less vulnerable)."
            )
        signs[col] = float(sign)
    return signs


def _normalise(frame: pd.DataFrame, method: str) -> pd.DataFrame:
    if method == "minmax":
        low, high = frame.min(), frame.max()
        return (frame - low) / (high - low)
    if method == "zscore":
        return (frame - frame.mean()) / frame.std(ddof=0)
    return (frame.rank(method="average") - 1.0) / (len(frame) - 1)


def _weights(normalised: pd.DataFrame, spec: WeightSpec) -> tuple[np.ndarray, dict[str, Any]]:
    """Return the weights (in column order, summing to 1) and the settings that explain them."""
    columns = [str(c) for c in normalised.columns]
    k = len(columns)
    if isinstance(spec, str):
        _check_choice("weights", spec, WEIGHTINGS)
        if spec == "equal":
            return np.full(k, 1.0 / k), {"weights": "equal"}
        return _pca_weights(normalised)
    if not isinstance(spec, Mapping):
        raise ValueError(
            f"weights must be 'equal', 'pca' or a mapping {{indicator: weight}}, not {spec!r}."
        )
    unknown = sorted(set(map(str, spec)) - set(columns))
    absent = [c for c in columns if c not in spec]
    if unknown:
        raise ValueError(
            f"weights names {', '.join(unknown)}, not indicators of table "
            f"(indicators: {', '.join(columns)})."
        )
    if absent:
        raise ValueError(f"weights has no weight for indicators {', '.join(absent)}.")
    raw = np.array([float(spec[c]) for c in columns])
    if not np.all(np.isfinite(raw)) or np.any(raw < 0):
        bad = columns[int(np.argmax(~np.isfinite(raw) | (raw < 0)))]
        raise ValueError(f"weights[{bad!r}] must be a non-negative number, not {spec[bad]!r}.")
    if raw.sum() <= 0:
        raise ValueError("weights are all zero; at least one indicator needs a positive weight.")
    return raw / raw.sum(), {"weights": "expert", "expert_weights": dict(spec)}


def _pca_weights(normalised: pd.DataFrame) -> tuple[np.ndarray, dict[str, Any]]:
    # Imported here so that the other weightings do not pay for scikit-learn's import.
    from sklearn.decomposition import PCA

    values = normalised.to_numpy(dtype=float)
    standard = (values - values.mean(axis=0)) / values.std(axis=0, ddof=0)
    pca = PCA().fit(standard)
    ratio = pca.explained_variance_ratio_
    kept = int(np.searchsorted(np.cumsum(ratio), PCA_VARIANCE - 1e-12) + 1)
    kept = min(kept, len(ratio))
    share = ratio[:kept] / ratio[:kept].sum()
    w = (share[:, None] * pca.components_[:kept] ** 2).sum(axis=0)
    settings = {
        "weights": "pca",
        "pca_components": kept,
        "pca_explained_variance_ratio": [float(r) for r in ratio[:kept]],
    }
    return w / w.sum(), settings


def _aggregate(
    normalised: pd.DataFrame, w: np.ndarray, aggregation: str
) -> tuple[pd.Series, pd.DataFrame]:
    values = normalised.to_numpy(dtype=float)
    if aggregation == "linear":
        parts = values * w
        scores = parts.sum(axis=1)
    else:
        parts = w * np.log(GEOMETRIC_EPSILON + (1.0 - GEOMETRIC_EPSILON) * values)
        scores = np.exp(parts.sum(axis=1))
    index = normalised.index
    return (
        pd.Series(scores, index=index, name="score"),
        pd.DataFrame(parts, index=index, columns=normalised.columns),
    )


def _ranks(scores: pd.Series) -> pd.Series:
    # Rounding first keeps areas whose scores differ only by float noise tied.
    return scores.round(12).rank(ascending=False, method="min").astype(int).rename("rank")


def _series_dict(series: pd.Series) -> dict[str, float | None]:
    return {str(k): _number(v) for k, v in series.items()}


def _frame_dict(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {
        str(area): {str(c): _json_ready(v) for c, v in row.items()}
        for area, row in frame.iterrows()
    }


def _number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _json_ready(value: Any) -> Any:
    """Return ``value`` with numpy scalars as Python numbers and NaN/inf as None."""
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _number(value)
    return value
