"""Check the prior over every offence type given to one category's forecast, and its guards."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prossima.analysis.evaluate import backtest
from prossima.analysis.events import EventSet
from prossima.analysis.forecast import forecast, make_model
from prossima.analysis.grid import Grid

ORIGIN = "2019-06-03"
CATEGORY = "Break and Enter"
BLEND = "ensemble"
BLEND_PARAMS = {
    "components": "retrospective,retrospective:pool=all_types",
    "validation_periods": 3,
}


def _before(events: EventSet, when: str) -> EventSet:
    return events.before(pd.Timestamp(when, tz=events.tz))


def test_pool_all_types_counts_every_type_and_needs_them(toronto: EventSet) -> None:
    past = _before(toronto, ORIGIN)
    own = past.of_category(CATEGORY)
    grid = Grid.from_events(own, 150.0)
    with pytest.raises(ValueError, match="pool=all_types needs the events of every offence"):
        make_model("retrospective:pool=all_types").fit(own, grid)
    pooled = make_model("retrospective:pool=all_types").fit(own, grid, all_types=past)
    every = make_model("retrospective").fit(past, grid)
    np.testing.assert_array_equal(pooled.predict(ORIGIN, 7), every.predict(ORIGIN, 7))
    assert "of every offence type" in pooled.explain(ORIGIN, 7, 0)["parts"][0]["label"]


def test_ensemble_uses_all_types_only_when_given(toronto: EventSet) -> None:
    past = _before(toronto, ORIGIN)
    own = past.of_category(CATEGORY)
    grid = Grid.from_events(own, 150.0)
    alone = make_model(BLEND, **BLEND_PARAMS).fit(own, grid)
    assert alone.component_labels_ == ["retrospective"]
    assert "retrospective:pool=all_types" in alone.dropped_components_
    both = make_model(BLEND, **BLEND_PARAMS).fit(own, grid, all_types=past)
    assert both.component_labels_ == ["retrospective", "retrospective:pool=all_types"]
    assert both.weights_.sum() == pytest.approx(1.0)
    assert both.predict(ORIGIN, 7).max() > 0


def test_all_types_at_or_after_origin_are_refused_or_ignored(toronto: EventSet) -> None:
    own = toronto.of_category(CATEGORY)
    past_own = _before(own, ORIGIN)
    grid = Grid.from_events(past_own, 150.0)
    model = make_model("retrospective:pool=all_types").fit(past_own, grid, all_types=toronto)
    with pytest.raises(ValueError, match="strictly before its origin"):
        model.predict(ORIGIN, 7)
    # forecast() cuts every input at the origin, so later events of any type change nothing.
    a = forecast(own, ORIGIN, 7, make_model(BLEND, **BLEND_PARAMS), 150.0, all_types=toronto)
    b = forecast(
        past_own,
        ORIGIN,
        7,
        make_model(BLEND, **BLEND_PARAMS),
        150.0,
        all_types=_before(toronto, ORIGIN),
    )
    np.testing.assert_array_equal(a.scores, b.scores)


def test_backtest_periods_do_not_see_later_events_of_any_type(toronto: EventSet) -> None:
    own = toronto.of_category(CATEGORY)
    models = ["retrospective:window_days=730", "retrospective:pool=all_types"]
    full = backtest(own, models, "2019-09-02", "2019-09-29", 7, all_types=toronto)
    cut = _before(toronto, "2019-09-16")
    short = backtest(
        cut.of_category(CATEGORY), models, "2019-09-02", "2019-09-15", 7, all_types=cut
    )
    assert len(full.origins) == 4
    assert len(short.origins) == 2
    for m in models:
        np.testing.assert_array_equal(short.metrics[m]["pai"], full.metrics[m]["pai"][:2])
    # The prior over every type must actually differ from the category's own counts.
    assert not np.array_equal(full.metrics[models[0]]["pai"], full.metrics[models[1]]["pai"])
