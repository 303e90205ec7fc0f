"""Indicators: computation, suppression, peer bands, who sees what, maps, yearly report."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from shapely.geometry import box

from prossima.accounts.models import OrganisationKind, Role
from prossima.reports.actions.indicators import do_compute_indicators, is_small
from prossima.reports.indicators import BY_CODE, INDICATORS, concentration_parts
from prossima.reports.models import IndicatorValue
from prossima.reports.queries.indicators import national_map, peer_band
from prossima.territory.models import Comune

YEAR = 2025


@pytest.fixture(autouse=True)
def _database(db: Any, fast_password_hashing: None) -> None:
    """Give every test here the database (rolled back after each test)."""


@pytest.fixture
def bologna_org(make_org: Any, bologna: Any) -> Any:
    return make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)


def add_incidents(
    tenant: Any, points: list[tuple[float, float]], year: int = YEAR, *, categorised: bool = True
) -> None:
    """Store incidents of a tenant at the given places (test records, never shown)."""
    from prossima.incidents.actions import do_create_dataset, do_install_default_taxonomy
    from prossima.incidents.models import Category, Incident

    do_install_default_taxonomy(tenant)
    dataset = do_create_dataset(None, tenant, name=f"Test {year} {categorised}")
    category = (
        Category.objects.filter(tenant=tenant, code="furto-abitazione").first()
        if categorised
        else None
    )
    when = dt.datetime(year, 3, 1, 12, tzinfo=dt.UTC)
    Incident.objects.bulk_create(
        Incident(
            fingerprint=f"test-{year}-{i}",
            tenant=tenant,
            dataset=dataset,
            category=category,
            source_category="furto",
            occurred_from=when,
            time_resolution="hour",
            lon=lon,
            lat=lat,
            source_kind=dataset.source_kind,
        )
        for i, (lon, lat) in enumerate(points)
    )


# --- The measures --------------------------------------------------------------------------


def test_concentration_is_one_cell_or_spread_evenly() -> None:
    # A 2.5 km square in Bologna: 100 cells of 250 m, more or less.
    area = box(11.30, 44.48, 11.332, 44.5025)
    lon = np.full(40, 11.3101)
    lat = np.full(40, 44.4851)
    share, gini, cells = concentration_parts(lon, lat, area)  # type: ignore[misc]
    assert share == 1.0
    assert gini > 0.95
    assert 80 <= cells <= 120
    rng = np.random.default_rng(1)
    lon = rng.uniform(11.30, 11.332, 20_000)
    lat = rng.uniform(44.48, 44.5025, 20_000)
    share, gini, _cells = concentration_parts(lon, lat, area)  # type: ignore[misc]
    assert 0.05 <= share < 0.09  # the top 5 % of cells hold about 5 % of uniform incidents
    assert gini < 0.1


def test_small_counts_are_suppressed_zero_and_larger_are_not() -> None:
    rate = BY_CODE["incidents_rate"]
    assert is_small(rate, 1, 400)
    assert is_small(rate, 4, 400)
    assert not is_small(rate, 0, 400)
    assert not is_small(rate, 5, 400)
    resolved = BY_CODE["reports_resolved"]
    assert is_small(resolved, 0, 3)  # three reports: their share says too much
    assert not is_small(BY_CODE["assets_in_reuse"], 1, 2)  # public registry, not people


def test_incidents_are_computed_per_comune_with_their_parts(
    bologna_org: Any, bologna: Any, make_org: Any, modena: Any
) -> None:
    add_incidents(bologna_org, [(11.3426, 44.4937)] * 30 + [(11.35, 44.50)] * 3)
    modena_org = make_org(OrganisationKind.COMUNE, "Comune di Modena", comune=modena)
    add_incidents(modena_org, [(10.9252, 44.6471)] * 2)
    add_incidents(bologna_org, [(11.3426, 44.4937)] * 20, year=YEAR - 1)
    add_incidents(bologna_org, [(11.34, 44.49)] * 2, categorised=False)  # total only
    result = do_compute_indicators(YEAR)
    assert result.suppressed["incidents_rate"] >= 1
    total = IndicatorValue.objects.get(indicator="incidents_rate", comune=bologna, breakdown="")
    assert total.numerator == 35
    assert total.value == pytest.approx(35 / (bologna.population / 1000))
    by_category = IndicatorValue.objects.get(
        indicator="incidents_rate", comune=bologna, breakdown="furto-abitazione"
    )
    assert by_category.numerator == 33
    assert not total.suppressed
    small = IndicatorValue.objects.get(indicator="incidents_rate", comune=modena, breakdown="")
    assert small.suppressed
    trend = IndicatorValue.objects.get(indicator="incidents_trend", comune=bologna)
    assert trend.value == pytest.approx((35 / 20 - 1) * 100)
    top = IndicatorValue.objects.get(indicator="incidents_top5", comune=bologna)
    assert top.value == pytest.approx(100.0)  # two places, both in the top 5 % of cells
    # Recomputing replaces, never duplicates.
    do_compute_indicators(YEAR)
    assert (
        IndicatorValue.objects.filter(
            indicator="incidents_rate", comune=bologna, breakdown=""
        ).count()
        == 1
    )


# --- Bands and maps ------------------------------------------------------------------------


def store(code: str, comune: Comune, value: float, *, suppressed: bool = False, **kw: Any) -> None:
    IndicatorValue.objects.create(
        comune=comune, indicator=code, year=YEAR, value=value, suppressed=suppressed, **kw
    )


def test_the_band_uses_comuni_of_the_same_size_and_region(bologna: Any, modena: Any) -> None:
    # Modena is one of Emilia-Romagna's cities of 60,001 to 250,000 residents.
    peers = list(
        Comune.objects.filter(
            region=modena.region, population__gt=60_000, population__lte=250_000
        ).exclude(pk=modena.pk)
    )
    assert len(peers) >= 5
    for i, comune in enumerate(peers):
        store("reports_rate", comune, float(i))
    store("reports_rate", bologna, 1000.0)  # another size class: not a peer
    store("reports_rate", peers[0], 99.0, breakdown="x")  # another breakdown: not counted
    band = peer_band(modena, "reports_rate", YEAR)
    assert band is not None
    assert band.scope == "region"
    assert band.peers == len(peers)
    assert band.median == pytest.approx(np.median(range(len(peers))))
    assert band.p25 <= band.median <= band.p75 < 1000
    IndicatorValue.objects.filter(comune=peers[0]).update(suppressed=True)
    assert peer_band(modena, "reports_rate", YEAR).peers == len(peers) - 1  # type: ignore[union-attr]
    # Bologna has no peer of its size in the loaded territory: no band rather than a thin one.
    assert peer_band(bologna, "reports_rate", YEAR) is None


def test_the_national_map_sums_parts_by_region_and_leaves_out_suppressed(
    bologna: Any, modena: Any
) -> None:
    store("reports_rate", bologna, 20.0, numerator=780, denominator=39)
    store("reports_rate", modena, 10.0, numerator=180, denominator=18)
    other = Comune.objects.filter(region=bologna.region).exclude(pk__in=[bologna.pk, modena.pk])[0]
    store("reports_rate", other, 1.0, numerator=2, denominator=2, suppressed=True)
    data = national_map("reports_rate", YEAR)
    assert {c[0] for c in data["comuni"]} == {bologna.istat_code, modena.istat_code}
    (region,) = data["regions"]
    assert region["value"] == pytest.approx((780 + 180) / (39 + 18))
    assert region["comuni"] == 2


# --- Who sees what ---------------------------------------------------------------------------


def test_police_indicators_are_for_staff_and_aggregate_viewers_only(
    bologna_org: Any, bologna: Any, make_org: Any, make_user: Any
) -> None:
    add_incidents(bologna_org, [(11.3426, 44.4937)] * 3)  # under the threshold
    do_compute_indicators(YEAR)
    url = f"/reports/comuni/{bologna.istat_code}/"
    anonymous = Client().get(url)
    assert "incidents_rate" not in [r["indicator"].code for r in anonymous.context["rows"]]
    assert Client().get("/reports/indicators/incidents_rate/map.json").status_code == 404
    association = make_org(OrganisationKind.ASSOCIATION, "Associazione")
    analyst = Client()
    analyst.force_login(make_user(association, Role.ANALYST))
    rows = {r["indicator"].code: r for r in analyst.get(url).context["rows"]}
    assert rows["incidents_rate"]["last"].suppressed  # 3 incidents: hidden from the association
    assert rows["incidents_rate"]["last"].value is None
    staff = Client()
    staff.force_login(make_user(bologna_org, Role.ANALYST))
    rows = {r["indicator"].code: r for r in staff.get(url).context["rows"]}
    assert rows["incidents_rate"]["last"].value == pytest.approx(3 / (bologna.population / 1000))
    assert (
        analyst.get("/reports/indicators/incidents_rate/map.json?year=2025").json()["comuni"] == []
    )


def test_every_definition_page_says_formula_source_and_caveats(english: None) -> None:
    client = Client()
    for indicator in INDICATORS:
        page = client.get(f"/reports/indicators/{indicator.code}/").content.decode()
        for part in (indicator.formula, indicator.source, indicator.caveats):
            assert str(part).replace("'", "&#x27;") in page, (indicator.code, part)


# --- The demo's yearly report ----------------------------------------------------------------


@pytest.fixture
def demo(bologna: Any) -> dict[str, Any]:
    from prossima.demo import (
        load_demo_accounts,
        load_demo_assets,
        load_demo_dialogue,
        load_demo_indicators,
        load_demo_practices,
        load_demo_reports,
    )

    orgs = load_demo_accounts()
    load_demo_assets(orgs)
    load_demo_practices(orgs)
    load_demo_reports(orgs)
    load_demo_dialogue(orgs)
    load_demo_indicators()
    return {"orgs": orgs, "year": timezone.localdate().year}


def test_the_demo_comune_gets_a_yearly_report_with_charts(
    demo: dict[str, Any], bologna: Any
) -> None:
    year = demo["year"]
    residents = IndicatorValue.objects.get(indicator="residents_65", comune=bologna, year=year)
    assert residents.value == pytest.approx(
        100 * bologna.population_detail.aged_65_plus / bologna.population_detail.total
    )
    assert IndicatorValue.objects.filter(indicator="residents_65", year=year).count() > 300
    page = Client().get(f"/reports/comuni/{bologna.istat_code}/{year}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('class="indicator-chart"') >= 4
    assert 'data-testid="yearly-map"' in body
    titles = [s.code for s in page.context["report"].sections]
    assert titles[:1] == ["context"]
    assert "incidents" not in titles  # the public does not see police indicators
    assert {"reports", "assets", "participation"} <= set(titles)


def test_the_yearly_report_prints_as_pdf(demo: dict[str, Any], bologna: Any) -> None:
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:  # the Pango library is missing on this machine
        if os.environ.get("PROSSIMA_REQUIRE_BROWSER") == "1":
            pytest.fail(f"WeasyPrint cannot load Pango: {exc}")
        pytest.skip(f"WeasyPrint cannot load Pango (install libpango-1.0-0): {exc}")
    response = Client().get(f"/reports/comuni/{bologna.istat_code}/{demo['year']}/report.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert len(response.content) > 10_000


def test_the_command_computes_the_years_asked(bologna: Any) -> None:
    from io import StringIO

    out = StringIO()
    call_command("compute_indicators", "2024", "--indicator", "residents_65", stdout=out)
    assert out.getvalue().startswith("2024: ")
    assert IndicatorValue.objects.filter(year=2024, indicator="residents_65").exists()
    assert not IndicatorValue.objects.filter(year=2024).exclude(indicator="residents_65").exists()
    json.dumps(national_map("residents_65", 2024))  # the map data is plain JSON
