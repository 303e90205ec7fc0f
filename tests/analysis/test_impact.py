"""Impact evaluation: WDD and WDQ by hand, injected effects and placebo runs on Toronto data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from scipy.stats import norm
from shapely.geometry import Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from prossima.analysis.events import EventSet
from prossima.analysis.impact import (
    DISPLACEMENT_CODES,
    VERDICTS,
    did,
    displacement_quotient,
    evaluate_impact,
    monthly_counts,
    suggest_controls,
    wdd,
)

# Yonge & Dundas, the busiest corner of the extract (about 1,100 events in 2018-2019).
BUSY = (-79.3802, 43.6561)
START = "2019-01-01"
HALF = 300.0  # treated and candidate areas are 600 m squares


def _metric(events: EventSet, lon: float, lat: float) -> tuple[float, float]:
    x, y = Transformer.from_crs("EPSG:4326", events.crs, always_xy=True).transform(lon, lat)
    return float(x), float(y)


def _lonlat(events: EventSet, geom: BaseGeometry) -> BaseGeometry:
    back = Transformer.from_crs(events.crs, "EPSG:4326", always_xy=True)
    return shapely.transform(geom, lambda c: np.column_stack(back.transform(c[:, 0], c[:, 1])))


def _square(events: EventSet, x: float, y: float, half: float = HALF) -> BaseGeometry:
    """Return a WGS84 square of side ``2 * half`` metres centred on projected ``(x, y)``."""
    return _lonlat(events, box(x - half, y - half, x + half, y + half))


def _inside(events: EventSet, x: float, y: float, half: float = HALF) -> np.ndarray:
    return np.asarray(
        shapely.contains_xy(box(x - half, y - half, x + half, y + half), events.x, events.y)
    )


def _after(events: EventSet) -> np.ndarray:
    return events.t >= np.datetime64("2019-01-01T05:00")  # local midnight in Toronto (UTC-5)


def _drop(events: EventSet, mask: np.ndarray, share: float, seed: int) -> EventSet:
    """Return ``events`` without a random ``share`` of the events under ``mask``."""
    rng = np.random.default_rng(seed)
    return events.select(~(mask & (rng.random(len(events)) < share)))


@pytest.fixture(scope="module")
def grid(toronto_events: EventSet) -> dict[str, BaseGeometry]:
    """Return 600 m squares tiling the extract: the candidate control areas."""
    x0, y0 = toronto_events.x.min(), toronto_events.y.min()
    return {
        f"{i}-{j}": _square(toronto_events, x0 + HALF + 600 * i, y0 + HALF + 600 * j)
        for i in range(7)
        for j in range(7)
    }


class Site(NamedTuple):
    x: float
    y: float
    treated: BaseGeometry
    control: BaseGeometry


@pytest.fixture(scope="module")
def busy(toronto_events: EventSet, grid: dict[str, BaseGeometry]) -> Site:
    """Return the treated square at Yonge & Dundas and its best suggested control."""
    x, y = _metric(toronto_events, *BUSY)
    treated = _square(toronto_events, x, y)
    ranked = suggest_controls(toronto_events, treated, grid, START)
    return Site(x, y, treated, grid[str(ranked.index[0])])


# --- the statistics by hand ---------------------------------------------------------------


def test_wdd_reproduces_the_papers_worked_example() -> None:
    # Wheeler & Ratcliffe (2018), as checked in ptools' tests: control 308 -> 318,
    # treated 207 -> 110, displacement control 150 -> 140, displacement 178 -> 157.
    res = wdd((207, 110), (308, 318), (178, 157), (150, 140), alpha=0.05)
    assert res.est_local == -107  # (110 - 207) - (318 - 308)
    assert res.est_displace == -11  # (157 - 178) - (140 - 150)
    assert res.est_total == -118
    np.testing.assert_allclose(res.se_total, np.sqrt(1568), rtol=1e-12)
    assert round(res.z, 2) == -2.98
    assert (round(res.ci_low), round(res.ci_high)) == (-196, -40)
    np.testing.assert_allclose(res.p_value, 2 * norm.sf(118 / np.sqrt(1568)), rtol=1e-12)
    assert res.p_adjusted is None


def test_wdd_time_and_area_weights_match_ptools() -> None:
    # ptools tests: wdd(c(100,50), c(80,20), time_weights=c(2,1)) -> -20, SE sqrt(115).
    res = wdd((80, 20), (100, 50), time_weights=(2, 1))
    assert res.est_local == -20
    np.testing.assert_allclose(res.se_local, np.sqrt(115), rtol=1e-12)
    # ptools area_weights=c(0.9,1.2,1.6,1.5) is ordered control, treated, disp. control,
    # displacement; here the order is treated, control, buffer, buffer control.
    res = wdd((207, 110), (308, 318), (178, 157), (150, 140), area_weights=(1.2, 0.9, 1.5, 1.6))
    np.testing.assert_allclose(
        [res.est_total, res.se_total, res.z, res.ci_low, res.ci_high],
        [-99.69444444, 35.4280755, -2.813995483, -169.1321965, -30.25669241],
        rtol=1e-8,
    )


def test_wdd_dispersion_scales_the_standard_error_only() -> None:
    plain = wdd((200, 150), (200, 200))
    adjusted = wdd((200, 150), (200, 200), dispersion=4.0)
    assert adjusted.est_total == plain.est_total
    assert adjusted.z_adjusted == pytest.approx(plain.z / 2)
    assert adjusted.p_adjusted is not None
    assert adjusted.p_adjusted > plain.p_value
    with pytest.raises(ValueError, match="dispersion must be a number >= 1"):
        wdd((200, 150), (200, 200), dispersion=0.5)
    with pytest.raises(ValueError, match="treated must be a \\(before, after\\) pair"):
        wdd((200,), (200, 200))


def test_displacement_quotient_by_hand() -> None:
    # Success (50/100 - 100/100 = -0.5) and a buffer that rose as much: full displacement.
    assert displacement_quotient((100, 50), (100, 100), (100, 150)) == pytest.approx(-1.0)
    # The buffer fell too: diffusion of benefits, half the size of the direct effect.
    assert displacement_quotient((100, 50), (100, 100), (100, 75)) == pytest.approx(0.5)
    assert displacement_quotient((100, 50), (100, 0), (100, 75)) is None  # empty control
    assert displacement_quotient((100, 100), (100, 100), (100, 75)) is None  # no success


# --- monthly counts -----------------------------------------------------------------------


def test_monthly_counts_match_a_direct_count(toronto_events: EventSet, busy: Site) -> None:
    areas = {"treated": busy.treated, "control": busy.control}
    table = monthly_counts(toronto_events, areas, "2018-01-01", "2020-01-01")
    assert list(table.columns) == ["treated", "control"]
    assert len(table) == 24
    assert str(table.index[0]) == "2018-01"
    assert str(table.index[-1]) == "2019-12"
    inside = _inside(toronto_events, busy.x, busy.y)
    local = toronto_events.times()[inside]
    by_hand = pd.Series(1, index=local.strftime("%Y-%m")).groupby(level=0).sum()
    assert table["treated"].to_numpy().tolist() == by_hand.to_numpy().tolist()
    # Months without events are rows of zeros, and months outside are left out.
    lake = {"lake": _square(toronto_events, toronto_events.x.mean(), toronto_events.y.min() - 5000)}
    summer = monthly_counts(toronto_events, lake, "2019-06-15", "2019-09-01")
    assert summer["lake"].tolist() == [0, 0, 0]


# --- injected effects ---------------------------------------------------------------------


def test_a_halved_hot_spot_is_detected_by_did_and_wdd(toronto_events: EventSet, busy: Site) -> None:
    x, y = busy.x, busy.y
    inside = _inside(toronto_events, x, y) & _after(toronto_events)
    treated_events = _drop(toronto_events, inside, 0.5, seed=7)
    res = evaluate_impact(treated_events, busy.treated, busy.control, START)
    assert res.verdict == "reduction"
    assert res.did.p_value <= 0.05
    assert res.did.relative_change is not None
    assert -0.6 < res.did.relative_change < -0.4
    assert res.wdd.est_total < 0
    assert res.wdd.p_value <= 0.05
    assert res.wdd.p_adjusted is not None
    assert res.wdd.p_adjusted <= 0.05
    assert "distinguishable from noise at the 5% level" in res.summary
    untouched = evaluate_impact(toronto_events, busy.treated, busy.control, START)
    assert untouched.verdict == "no_detectable_change"
    assert untouched.displacement == "not_assessed"
    assert "not distinguishable from noise" in untouched.summary


def _placebo_runs(events: EventSet, grid: dict[str, BaseGeometry], n: int) -> list[dict[str, bool]]:
    """Evaluate ``n`` random 600 m squares with >= 100 events: untouched and with 50 % removed."""
    rng = np.random.default_rng(2024)
    runs: list[dict[str, bool]] = []
    after = _after(events)
    while len(runs) < n:
        x = rng.uniform(events.x.min() + HALF, events.x.max() - HALF)
        y = rng.uniform(events.y.min() + HALF, events.y.max() - HALF)
        inside = _inside(events, x, y)
        if inside.sum() < 100:
            continue
        treated = _square(events, x, y)
        control = grid[str(suggest_controls(events, treated, grid, START).index[0])]
        null = evaluate_impact(events, treated, control, START)
        hit = evaluate_impact(
            _drop(events, inside & after, 0.5, seed=len(runs)), treated, control, START
        )
        runs.append(
            {
                "null_flagged": null.verdict in ("reduction", "increase"),
                "null_wdd": null.wdd.p_value <= 0.05,
                "null_wdd_adjusted": (null.wdd.p_adjusted or 1.0) <= 0.05,
                "detected": hit.verdict == "reduction",
                "detected_wdd": hit.wdd.p_value <= 0.05 and hit.wdd.est_total < 0,
            }
        )
    return runs


def test_placebo_runs_rarely_flag_untouched_data_and_mostly_detect_a_halving(
    toronto_events: EventSet, grid: dict[str, BaseGeometry]
) -> None:
    runs = _placebo_runs(toronto_events, grid, 20)
    rate = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
    # At alpha = 0.05 the placebo test flags about 1 run in 20 by chance; 3 of 20 would
    # already be unlikely (binomial tail ~8 %), 4 is the bound the issue allows (20 %).
    assert rate["null_flagged"] <= 0.20, rate
    # The paper's Poisson WDD is known to be too liberal on overdispersed counts; the
    # dispersion-adjusted p-value must do better than it.
    assert rate["null_wdd_adjusted"] <= rate["null_wdd"], rate
    assert rate["detected"] >= 0.75, rate


def _move_east(events: EventSet, mask: np.ndarray, x: float) -> EventSet:
    """Return ``events`` with the ``mask`` events squeezed into the ring east of the square at x.

    The ring is the default 200 m catchment: ``x + 300`` to ``x + 500`` metres.
    """
    squeezed = x + 400 + (events.x - x) * (80 / HALF)
    new_x = np.where(mask, squeezed, events.x)
    lon, lat = Transformer.from_crs(events.crs, "EPSG:4326", always_xy=True).transform(
        new_x, events.y
    )
    return dataclasses.replace(events, x=new_x, lon=np.asarray(lon), lat=np.asarray(lat))


def test_moving_events_into_the_catchment_is_displacement(
    toronto_events: EventSet, busy: Site
) -> None:
    rng = np.random.default_rng(3)
    after_inside = _inside(toronto_events, busy.x, busy.y) & _after(toronto_events)
    chosen = after_inside & (rng.random(len(toronto_events)) < 0.6)
    moved = _move_east(toronto_events, chosen, busy.x)
    res = evaluate_impact(moved, busy.treated, busy.control, START)
    assert res.verdict == "reduction"
    assert res.totals["buffer"][1] - evaluate_impact(
        toronto_events, busy.treated, busy.control, START
    ).totals["buffer"][1] == int(chosen.sum())
    assert res.displacement_quotient is not None
    assert res.displacement_quotient < 0
    assert res.displacement == "displacement"
    assert res.wdd.est_local < res.wdd.est_total  # the catchment gives part of the gain back
    assert "displacement" in res.summary


def test_a_fall_in_the_catchment_too_is_diffusion_of_benefits(
    toronto_events: EventSet, busy: Site
) -> None:
    x, y = busy.x, busy.y
    fewer = _drop(toronto_events, _inside(toronto_events, x, y) & _after(toronto_events), 0.5, 1)
    # 40 % fewer events after the start in the square ring holding the 200 m catchment.
    ring = _inside(fewer, x, y, HALF + 200) & ~_inside(fewer, x, y)
    fewer = _drop(fewer, ring & _after(fewer), 0.4, seed=2)
    res = evaluate_impact(fewer, busy.treated, busy.control, START)
    assert res.verdict == "reduction"
    assert res.displacement_quotient is not None
    assert res.displacement_quotient > 0
    assert res.displacement == "diffusion_of_benefits"


# --- choosing controls, windows and outputs -----------------------------------------------


def test_suggest_controls_drops_neighbours_and_ranks_by_past_similarity(
    toronto_events: EventSet, grid: dict[str, BaseGeometry], busy: Site
) -> None:
    x, y = busy.x, busy.y
    candidates = dict(grid)
    candidates["itself"] = busy.treated
    candidates["next door"] = _square(toronto_events, x + 700, y)
    candidates["far"] = _square(toronto_events, x - 1500, y)  # west: the extract ends east
    ranked = suggest_controls(toronto_events, busy.treated, candidates, START)
    assert "itself" not in ranked.index
    assert "next door" not in ranked.index
    assert "far" in ranked.index
    assert list(ranked.columns) == [
        "correlation",
        "level_ratio",
        "trend_difference",
        "events_before",
        "comparable_level",
    ]
    comparable = ranked["comparable_level"].to_numpy()
    assert not np.any(np.diff(comparable.astype(int)) > 0)  # comparable levels come first
    top = ranked[ranked["comparable_level"]]["correlation"].dropna().to_numpy()
    assert np.all(np.diff(top) <= 0)
    # While planning, start may be the month after the data: only the past is needed.
    planned = suggest_controls(toronto_events, busy.treated, grid, "2020-01-01")
    assert len(planned) > 0


def test_windows_with_a_mid_month_start_and_an_end(toronto_events: EventSet, busy: Site) -> None:
    args = (toronto_events, busy.treated, busy.control)
    res = evaluate_impact(*args, "2019-01-15", months_after=11)
    assert res.transition_month == "2019-01"
    assert res.before == ("2018-01", "2018-12")
    assert res.after == ("2019-02", "2019-12")
    assert len(res.counts) == 24  # the transition month is drawn but counted in neither window
    ended = evaluate_impact(*args, dt.date(2019, 1, 1), end="2019-07-01")
    assert ended.after == ("2019-01", "2019-06")
    assert ended.did.months_after == 6
    assert ended.totals["treated"][1] == int(ended.counts.loc["2019-01":"2019-06", "treated"].sum())


def test_placebo_dates_join_when_the_history_is_long_enough(
    toronto_events: EventSet, busy: Site
) -> None:
    res = did(
        toronto_events,
        busy.treated,
        busy.control,
        "2019-07-01",
        months_before=6,
        months_after=6,
    )
    # Placebo starts 2018-07 ... 2019-01: six months of data before, six after, all pre-July.
    assert res.n_placebo_dates == 7
    assert res.n_placebos == res.n_placebo_areas + 7


def test_result_is_json_ready_reproducible_and_plots(
    toronto_events: EventSet, busy: Site, tmp_path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kwargs = {"min_placebos": 10, "max_placebos": 20, "seed": 5}
    res = evaluate_impact(toronto_events, busy.treated, busy.control, START, **kwargs)
    again = evaluate_impact(toronto_events, busy.treated, busy.control, START, **kwargs)
    np.testing.assert_array_equal(res.did.placebo_statistics, again.did.placebo_statistics)
    assert res.did.n_placebo_areas == 20  # a seeded sample of the comparable areas
    other = evaluate_impact(
        toronto_events, busy.treated, busy.control, START, **{**kwargs, "seed": 6}
    )
    assert not np.array_equal(res.did.placebo_statistics, other.did.placebo_statistics)
    assert res.verdict in VERDICTS
    assert res.displacement in DISPLACEMENT_CODES
    payload = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert payload["counts"]["months"][0] == "2018-01"
    assert payload["totals"]["treated"]["before"] == res.totals["treated"][0]
    assert payload["geometries"]["buffer"]["type"] in ("Polygon", "MultiPolygon")
    assert payload["verdict"] == res.verdict
    assert payload["summary"] == res.summary
    png = tmp_path / "monthly.png"
    assert res.plot_monthly(png) is None
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig, ax = plt.subplots()
    assert res.plot_monthly(ax) is ax
    assert len(ax.lines) >= 5  # four areas and the intervention date
    plt.close(fig)


def test_a_treated_area_too_big_for_placebos_is_inconclusive(
    toronto_events: EventSet, grid: dict[str, BaseGeometry]
) -> None:
    x0, y0 = toronto_events.x.min(), toronto_events.y.min()
    big = _square(toronto_events, x0 + 1500, y0 + 2500, 1200)
    control = _square(toronto_events, x0 + 3600, y0 + 600, 300)
    res = evaluate_impact(toronto_events, big, control, START)
    assert res.did.n_placebos < 39
    assert res.verdict == "inconclusive"
    assert "too few" in res.summary


# --- errors -------------------------------------------------------------------------------


def _bowtie() -> Polygon:
    return Polygon([(-79.39, 43.65), (-79.38, 43.66), (-79.38, 43.65), (-79.39, 43.66)])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            {"start": "2021-03-01"},
            r"start=2021-03-01 is outside the data: the events cover 2018-01 to 2019-12",
        ),
        (
            {"start": "2018-04-01"},
            r"only 3 whole months precede start=2018-04-01; choose a start at least 6",
        ),
        ({"months_before": 3}, r"months_before must be a whole number of at least 6"),
        ({"start": "2018-09-01"}, r"months_before=12 needs events from 2017-09.*between 6 and 8"),
        ({"months_after": 2}, r"months_after must be a whole number of at least 3"),
        ({"start": "2019-06-01"}, r"months_after=12 needs events up to 2020-05.*between 3 and 7"),
        ({"end": "2019-02-01"}, r"holds 1 whole month; at least 3 are needed"),
        ({"end": "2018-12-01"}, r"end=2018-12-01 must come after start"),
        ({"end": "2019-06-01", "months_after": 5}, r"either end .* or months_after"),
        ({"start": "1 January 2019"}, r"start='1 January 2019' is not a date"),
        ({"alpha": 0.9}, r"alpha must be a number in \(0, 0.5\]"),
        ({"buffer_m": -5}, r"buffer_m must be a distance in metres >= 0"),
        ({"control": "treated"}, r"treated and control overlap \(0.360 km² in common\)"),
        ({"control": "lake"}, r"The control area holds no events from 2018-01 to 2019-12"),
        ({"control": "bowtie"}, r"control is not a valid geometry \(Self-intersection"),
        ({"control": "metres"}, r"control has coordinates outside lon .* not projected metres"),
        ({"treated": "point"}, r"treated must be a non-empty Polygon or MultiPolygon; got Point"),
        ({"treated": "text"}, r"treated must be a shapely Polygon or MultiPolygon in WGS84"),
    ],
)
def test_errors_name_the_argument_and_what_is_accepted(
    toronto_events: EventSet, busy: Site, change: dict[str, object], match: str
) -> None:
    special = {
        "treated": busy.treated,
        "lake": _square(toronto_events, toronto_events.x.mean(), toronto_events.y.min() - 5000),
        "bowtie": _bowtie(),
        "metres": box(630000, 4830000, 631000, 4831000),
        "point": Point(*BUSY),
        "text": "Yonge & Dundas",
    }
    kwargs: dict[str, object] = {
        "treated": busy.treated,
        "control": busy.control,
        "start": START,
    }
    for key, value in change.items():
        kwargs[key] = (
            special.get(value, value)
            if isinstance(value, str) and key in ("treated", "control")
            else value
        )
    with pytest.raises(ValueError, match=match):
        evaluate_impact(toronto_events, **kwargs)


def test_other_functions_check_their_arguments(
    toronto_events: EventSet, busy: Site, grid: dict[str, BaseGeometry]
) -> None:
    with pytest.raises(ValueError, match="areas is empty"):
        monthly_counts(toronto_events, {}, "2018-01-01", "2019-01-01")
    with pytest.raises(ValueError, match="must fall in a later month than start"):
        monthly_counts(toronto_events, grid, "2018-05-03", "2018-05-20")
    with pytest.raises(ValueError, match="candidates is empty"):
        suggest_controls(toronto_events, busy.treated, {}, START)
    with pytest.raises(ValueError, match=r"candidates\['bad'\] is not a valid geometry"):
        suggest_controls(toronto_events, busy.treated, {"bad": _bowtie()}, START)
    with pytest.raises(ValueError, match="max_placebos must be a whole number >= min_placebos"):
        did(toronto_events, busy.treated, busy.control, START, max_placebos=5)
