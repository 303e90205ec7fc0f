"""EventSet construction, projection and filtering."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from prossima.analysis.events import EventSet, utm_crs_for


def _events(lon: list[float], lat: list[float], **kw: object) -> EventSet:
    t = pd.to_datetime(["2024-01-01 10:00", "2024-02-01 10:00", "2024-03-01 10:00"][: len(lon)])
    return EventSet.from_lonlat(
        lon, lat, t.tz_localize("Europe/Rome"), ["a", "b", "a"][: len(lon)], **kw
    )


def test_utm_zone_follows_the_centroid() -> None:
    assert utm_crs_for(np.array([-79.4]), np.array([43.7])) == "EPSG:32617"
    assert utm_crs_for(np.array([11.34]), np.array([44.49])) == "EPSG:32632"
    assert utm_crs_for(np.array([-58.4]), np.array([-34.6])) == "EPSG:32721"


def test_projection_gives_metres_and_keeps_lonlat() -> None:
    ev = _events([11.34, 11.35, 11.34], [44.49, 44.49, 44.50])
    assert ev.crs == "EPSG:32632"
    # 0.01 degree of longitude at 44.5 N is about 793 m.
    assert ev.x[1] - ev.x[0] == pytest.approx(793, abs=5)
    lon, _lat = ev.to_lonlat()
    np.testing.assert_allclose(lon, [11.34, 11.35, 11.34])
    assert ev.t.dtype == np.dtype("datetime64[ns]")
    # 10:00 in Rome in January is 09:00 UTC.
    assert ev.t[0] == np.datetime64("2024-01-01T09:00", "ns")


def test_given_crs_is_used() -> None:
    ev = _events([11.34, 11.35], [44.49, 44.49], crs="EPSG:3857")
    assert ev.crs == "EPSG:3857"


def test_geographic_crs_is_refused() -> None:
    with pytest.raises(ValueError, match="not projected"):
        _events([11.34], [44.49], crs="EPSG:4326")


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        EventSet.from_lonlat([11.0], [44.0], pd.to_datetime(["2024-01-01"]), ["a"])


def test_filters() -> None:
    ev = _events([11.34, 11.35, 11.36], [44.49, 44.49, 44.49])
    assert len(ev) == 3
    assert len(ev.of_category("a")) == 2
    with pytest.raises(ValueError, match="Unknown categories"):
        ev.of_category("zzz")
    cut = dt.datetime(2024, 2, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert len(ev.before(cut)) == 1
    assert len(ev.between("2024-01-15T00:00+00:00", "2024-12-31T00:00+00:00")) == 2
    sub = ev.select(np.array([True, False, True]))
    np.testing.assert_array_equal(sub.x, ev.x[[0, 2]])
    assert list(sub.category) == ["a", "a"]
    with pytest.raises(ValueError, match="timezone-aware"):
        ev.before("2024-02-01")


def test_lengths_must_agree() -> None:
    ev = _events([11.34, 11.35], [44.49, 44.49])
    with pytest.raises(ValueError, match=r"length"):
        EventSet(
            x=ev.x, y=ev.y[:1], t=ev.t, category=ev.category, crs=ev.crs, lon=ev.lon, lat=ev.lat
        )


def test_concat_keeps_order_and_refuses_mixed_crs() -> None:
    a = _events([11.34, 11.35], [44.49, 44.49])
    b = _events([11.36], [44.50])
    both = EventSet.concat([a, b])
    assert len(both) == 3
    np.testing.assert_array_equal(both.x, np.concatenate([a.x, b.x]))
    c = _events([11.36], [44.50], crs="EPSG:3857")
    with pytest.raises(ValueError, match="different CRSs"):
        EventSet.concat([a, c])
