"""Check that the rolling-origin backtest never looks ahead and reports fairness."""

from __future__ import annotations

import numpy as np
import pandas as pd

from prossima.analysis.evaluate import backtest
from prossima.analysis.events import EventSet
from prossima.analysis.forecast.backtest import gini

MODELS = ["retrospective", "sepp:fit_days=365:max_iter=20", "stkde"]


def test_periods_do_not_see_later_events(toronto: EventSet) -> None:
    full = backtest(toronto, MODELS, "2019-09-02", "2019-09-29", 7)
    # Drop everything after the end of the second period: periods 1-2 must not change.
    cut = toronto.before(pd.Timestamp("2019-09-16", tz=toronto.tz))
    short = backtest(cut, MODELS, "2019-09-02", "2019-09-15", 7)
    assert len(full.origins) == 4
    assert len(short.origins) == 2
    assert short.grid.cell_ids == full.grid.cell_ids
    for m in MODELS:
        for metric in ("hit_rate", "pai", "pei"):
            np.testing.assert_array_equal(short.metrics[m][metric], full.metrics[m][metric][:2])


def test_refit_every_k_and_fairness(toronto: EventSet) -> None:
    res = backtest(
        toronto,
        ["retrospective", "sepp:fit_days=365"],
        "2019-09-02",
        "2019-09-29",
        7,
        refit_every=2,
    )
    doc = res.to_json(baseline="retrospective")
    fair = doc["models"]["retrospective"]["fairness"]
    assert res.subarea_attribute == "Neighbourhood"
    assert 0 <= fair["gini_flags_over_subareas"] <= 1
    assert 0 < fair["top5_share_of_flags"] <= 1
    assert 0 <= fair["mean_jaccard_consecutive_periods"] <= 1
    assert doc["refit_every"] == 2
    assert "1" in doc["models"]["sepp:fit_days=365"]["paired_pai_vs_baseline"]


def test_gini() -> None:
    assert gini(np.array([1.0, 1, 1, 1])) == 0.0
    assert gini(np.array([0.0, 0, 0, 4])) == 0.75
