"""Check every registered model against the estimator contract and for look-ahead leakage."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from prossima.analysis.events import EventSet
from prossima.analysis.forecast import MODELS, NotFittedError, forecast, make_model
from prossima.analysis.grid import Grid

from .conftest import FAST

ORIGIN = "2019-06-03"
NAMES = list(MODELS)


def _past(events: EventSet) -> EventSet:
    return events.before(pd.Timestamp(ORIGIN, tz=events.tz))


@pytest.mark.parametrize("name", NAMES)
def test_init_only_stores_params(name: str) -> None:
    cls = MODELS[name]
    sig = inspect.signature(cls.__init__)
    defaults = {k: p.default for k, p in sig.parameters.items() if k != "self"}
    assert cls().get_params() == defaults
    sentinel = {k: object() for k in defaults}
    model = cls(**sentinel)
    # Even nonsense values are stored untouched: validation belongs to fit.
    assert all(model.get_params()[k] is v for k, v in sentinel.items())
    assert not [k for k in vars(model) if k.endswith("_")]
    assert set(cls.param_docs) == set(defaults), "every parameter needs a one-line doc"
    assert cls.source
    assert cls.__doc__


@pytest.mark.parametrize("name", NAMES)
def test_fit_predict_contract(name: str, toronto: EventSet) -> None:
    past = _past(toronto)
    grid = Grid.from_events(past, 150.0)
    model = make_model(name, **FAST[name])
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict(ORIGIN, 7)
    before = set(vars(model))
    assert model.fit(past, grid) is model
    learned = set(vars(model)) - before
    assert learned
    assert all(k.endswith("_") for k in learned), learned
    scores = model.predict(ORIGIN, 7)
    assert scores.shape == (grid.n_cells,)
    assert np.isfinite(scores).all()
    assert (scores >= 0).all()
    assert scores.max() > 0
    again = make_model(name, **FAST[name]).fit(past, grid).predict(ORIGIN, 7)
    np.testing.assert_array_equal(scores, again)
    why = model.explain(ORIGIN, 7, int(np.argmax(scores)))
    assert why["score"] == pytest.approx(scores.max(), rel=1e-6)
    assert why["parts"]


@pytest.mark.parametrize("name", NAMES)
def test_predict_refuses_origin_inside_history(name: str, toronto: EventSet) -> None:
    past = _past(toronto)
    grid = Grid.from_events(past, 150.0)
    model = make_model(name, **FAST[name]).fit(past, grid)
    with pytest.raises(ValueError, match="strictly before its origin"):
        model.predict("2019-05-01", 7)


@pytest.mark.parametrize("name", NAMES)
def test_bad_parameter_is_named(name: str, toronto: EventSet) -> None:
    with pytest.raises(ValueError, match="Unknown parameter 'nope'"):
        make_model(name, nope=1)


def _with_future(events: EventSet) -> EventSet:
    """Add real later events, plus events exactly at the origin and far outside the hull."""
    origin = pd.Timestamp(ORIGIN, tz=events.tz)
    n = 40
    lon = np.r_[np.full(n, -79.30), np.full(n, -79.45)]
    lat = np.r_[np.full(n, 43.75), np.full(n, 43.60)]
    t = pd.DatetimeIndex([origin] * n + [origin + pd.Timedelta(days=2)] * n)
    extra = EventSet.from_lonlat(
        lon,
        lat,
        t,
        pd.Categorical(["Assault"] * (2 * n), categories=events.category.categories),
        crs=events.crs,
        attributes={k: np.full(2 * n, v[0]) for k, v in events.attributes.items()},
        time_resolution=events.time_resolution,
        tz=events.tz,
    )
    return EventSet.concat([events, extra])


@pytest.mark.parametrize("name", NAMES)
def test_events_at_or_after_origin_change_nothing(name: str, toronto: EventSet) -> None:
    past = _past(toronto)
    full = _with_future(toronto)
    assert len(full) > len(past)
    model = make_model(name, **FAST[name])
    a = forecast(past, ORIGIN, 7, model, 150.0)
    b = forecast(full, ORIGIN, 7, make_model(name, **FAST[name]), 150.0)
    assert a.cell_ids == b.cell_ids
    np.testing.assert_array_equal(a.scores, b.scores)
    np.testing.assert_array_equal(a.ranks, b.ranks)


def test_monthly_horizon_on_policeuk() -> None:
    from prossima.analysis.io import read_events

    from .conftest import POLICEUK

    events = read_events(POLICEUK).events
    fc = forecast(events, "2018-08-01", "1M", "retrospective", 500.0)
    assert str(fc.end.tz_convert("Europe/London").date()) == "2018-09-01"
    assert fc.scores.sum() == fc.grid.counts(events).sum()
