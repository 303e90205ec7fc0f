"""Search, point lookup and population summaries."""

from __future__ import annotations

from typing import Any

import numpy as np

from prossima.territory.queries import (
    comune_at,
    comune_by_code,
    comune_locator_for_bbox,
    population_summary,
    search_comuni,
)


def test_search_by_name_ranks_exact_then_prefix(db: Any) -> None:
    names = [c.name for c in search_comuni("bologna")]
    assert names[0] == "Bologna"
    assert "San Lazzaro di Savena" not in names
    assert all("bologna" in n.lower() for n in names)


def test_search_ignores_accents_and_case(db: Any) -> None:
    # "Forlì" typed without the accent.
    assert next(c.istat_code for c in search_comuni("FORLI")) == "040012"


def test_search_by_codes(db: Any) -> None:
    assert [c.name for c in search_comuni("037006")] == ["Bologna"]
    assert [c.name for c in search_comuni("37006")] == ["Bologna"]
    assert [c.name for c in search_comuni("A944")] == ["Bologna"]
    assert list(search_comuni("   ")) == []


def test_comune_by_code_pads_and_rejects_garbage(db: Any) -> None:
    assert comune_by_code("37006").name == "Bologna"
    assert comune_by_code("abc") is None
    assert comune_by_code("1234567") is None


def test_point_lookup(db: Any) -> None:
    # Piazza Maggiore, Bologna; the Garisenda tower; a point in the Adriatic.
    assert comune_at(11.3426, 44.4939).istat_code == "037006"
    assert comune_at(11.1, 44.7).istat_code != "037006"
    assert comune_at(13.5, 44.2) is None


def test_locator_matches_single_lookups(db: Any) -> None:
    rng = np.random.default_rng(7)
    lon = rng.uniform(10.9, 11.6, 200)
    lat = rng.uniform(44.3, 44.7, 200)
    locator = comune_locator_for_bbox(lon.min(), lat.min(), lon.max(), lat.max())
    codes = locator.locate(lon, lat)
    for i in range(0, 200, 10):
        single = comune_at(float(lon[i]), float(lat[i]))
        assert codes[i] == (single.istat_code if single else "")


def test_population_summary(bologna: Any) -> None:
    summary = population_summary(bologna)
    assert summary is not None
    assert summary.total == 387971
    assert summary.males_total + summary.females_total == summary.total
    assert sum(int(b["males"]) + int(b["females"]) for b in summary.pyramid) == summary.total
    assert len(summary.pyramid) == 20
    assert summary.pyramid[-1]["band"] == "95+"
    assert 0.2 < summary.aged_65_plus_share < 0.3
    assert summary.old_age_dependency is not None
    assert 30 < summary.old_age_dependency < 50
