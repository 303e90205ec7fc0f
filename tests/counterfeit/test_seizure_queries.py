"""Totals of seizures by category, brand, place and month; the street-trade hot spots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import prossima.counterfeit
from prossima.counterfeit import seizure_queries as queries
from prossima.counterfeit.models import (
    Nature,
    Outcome,
    PlaceType,
    ProductCategory,
    SeizedGoods,
    Seizure,
)
from prossima.counterfeit.seizures import do_import_seizures

pytestmark = pytest.mark.usefixtures("db", "seizure_today", "english")

EXAMPLE = Path(prossima.counterfeit.__file__).resolve().parent / "data" / "sequestri_esempio.csv"
YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


@pytest.fixture
def example(officer: Any, bologna_org: Any) -> Any:
    """The example file imported for Bologna: 6 operations, 9 lines of goods."""
    do_import_seizures(officer, bologna_org, raw=EXAMPLE.read_bytes(), filename=EXAMPLE.name)
    return bologna_org


def by_key(rows: list[queries.TotalRow]) -> dict[str, queries.TotalRow]:
    return {r.key: r for r in rows}


def test_overall_totals(example: Any) -> None:
    totals = queries.totals(example, *YEAR)
    overall = totals.overall
    assert overall.operations == 6
    assert overall.lines == 9
    assert overall.value == Decimal("88550")
    assert overall.health_lines == 4
    assert overall.health_percent == 44
    assert dict(overall.quantity_by_unit) == {
        "pieces": Decimal("1045"),
        "pairs": Decimal("60"),
        "kg": Decimal("12.5"),
        "litres": Decimal("2.5"),
    }


def test_totals_by_category(example: Any) -> None:
    rows = by_key(queries.totals(example, *YEAR).by_category)
    assert set(rows) == {
        "leather_goods",
        "footwear",
        "toys",
        "cosmetics",
        "communication",
        "clothing",
        "jewellery",
    }
    leather = rows["leather_goods"]
    # Bags and leather goods: two lines of one operation.
    assert (leather.operations, leather.lines, leather.value) == (1, 2, Decimal("18450"))
    assert dict(leather.quantity_by_unit) == {"pieces": Decimal("65")}
    cosmetics = rows["cosmetics"]
    assert cosmetics.operations == 2
    assert dict(cosmetics.quantity_by_unit) == {"kg": Decimal("12.5"), "litres": Decimal("2.5")}
    assert cosmetics.value == Decimal("650")
    assert cosmetics.health_share == 1.0
    assert rows["clothing"].value == Decimal("45000")
    assert rows["clothing"].health_share == 0.0
    assert rows["footwear"].quantities == [("pairs", "pairs", Decimal("60"))]


def test_totals_by_brand(example: Any) -> None:
    totals = queries.totals(example, *YEAR)
    rows = by_key(totals.by_brand)
    # Goods without a brand are left out; brands are grouped whatever their case.
    assert len(rows) == 6
    assert totals.brands_named == 6
    lusso = rows["marcaesempio lusso"]
    assert (lusso.label, lusso.operations, lusso.lines) == ("MarcaEsempio Lusso", 2, 3)
    assert lusso.value == Decimal("63450")
    assert dict(lusso.quantity_by_unit) == {"pieces": Decimal("565")}
    assert totals.by_brand[0].key == "marcaesempio lusso"  # the most operations first


def test_top_twenty_brands(officer: Any, bologna_org: Any) -> None:
    header = "riferimento;data;reparto;luogo;esito;categoria;marchio;quantita;natura\n"
    rows = [
        f"B-{i};01/02/2025;Nucleo;negozio;distrutto;abbigliamento;Marca {i};{i + 1};contraffatto"
        for i in range(25)
    ]
    text = header + "\n".join(rows) + "\n"
    do_import_seizures(officer, bologna_org, raw=text.encode(), filename="b.csv")
    totals = queries.totals(bologna_org, *YEAR)
    assert totals.brands_named == 25
    assert len(totals.by_brand) == queries.TOP_BRANDS == 20


def test_totals_by_place(example: Any) -> None:
    rows = by_key(queries.totals(example, *YEAR).by_place)
    assert {k: r.operations for k, r in rows.items()} == {
        "street": 2,
        "market": 1,
        "shop": 1,
        "warehouse": 1,
        "parcel": 1,
    }
    assert rows["street"].value == Decimal("18450") + Decimal("7500")
    assert rows["warehouse"].lines == 2


def test_totals_by_month(example: Any) -> None:
    months = queries.totals(example, *YEAR).by_month
    assert [(m.key, m.operations) for m in months] == [
        ("2025-03", 1),
        ("2025-04", 2),
        ("2025-05", 2),
        ("2025-06", 1),
    ]
    assert months[1].value == Decimal("7200") + Decimal("2250") + Decimal("500")


def test_totals_of_a_shorter_period(example: Any) -> None:
    totals = queries.totals(example, dt.date(2025, 4, 1), dt.date(2025, 4, 30))
    assert totals.overall.operations == 2
    assert [m.key for m in totals.by_month] == ["2025-04"]


def test_months_without_seizures_are_listed(officer: Any, bologna_org: Any) -> None:
    header = "riferimento;data;reparto;luogo;esito;categoria;quantita;natura\n"
    text = header + (
        "M-1;10/01/2025;Nucleo;negozio;distrutto;giocattoli;5;contraffatto\n"
        "M-2;10/04/2025;Nucleo;negozio;distrutto;giocattoli;5;contraffatto\n"
    )
    do_import_seizures(officer, bologna_org, raw=text.encode(), filename="m.csv")
    months = queries.totals(bologna_org, *YEAR).by_month
    assert [(m.key, m.operations) for m in months] == [
        ("2025-01", 1),
        ("2025-02", 0),
        ("2025-03", 0),
        ("2025-04", 1),
    ]


def test_totals_are_per_tenant(example: Any, modena_org: Any) -> None:
    assert queries.totals(modena_org, *YEAR).overall.operations == 0


def test_map_points(example: Any) -> None:
    points, total = queries.map_points(example, *YEAR)
    assert total == 5  # the parcel has no point
    assert {p["reference"] for p in points} == {f"ESEMPIO-2025-00{i}" for i in range(1, 6)}
    assert all(p["url"].startswith("/counterfeit/seizures/") for p in points)


# --- Street-trade hot spots -------------------------------------------------------------

# A cluster around Piazza Maggiore and a few seizures spread over the centre of Bologna.
CLUSTER = (11.3426, 44.4939)
SPREAD = [(11.3300, 44.4950), (11.3600, 44.5000), (11.3200, 44.4850), (11.3500, 44.4800)]


def street_seizures(tenant: Any, comune: Any, count: int, *, place: str = PlaceType.STREET) -> None:
    """Store ``count`` seizures (bypassing the rules, which other tests cover)."""
    seizures = []
    for i in range(count):
        if i < len(SPREAD):
            lon, lat = SPREAD[i]
        else:
            lon, lat = CLUSTER[0] + (i % 5) * 0.0004, CLUSTER[1] + (i % 3) * 0.0003
        seizures.append(
            Seizure(
                tenant=tenant,
                reference=f"H-{place}-{i}",
                seized_on=dt.date(2025, 1 + i % 12, 1 + i % 28),
                unit="Nucleo",
                comune=comune,
                place_type=place,
                lon=lon,
                lat=lat,
                outcome=Outcome.DESTROYED,
            )
        )
    Seizure.objects.bulk_create(seizures)
    SeizedGoods.objects.bulk_create(
        SeizedGoods(
            seizure=s,
            category=ProductCategory.LEATHER,
            quantity=Decimal(3),
            nature=Nature.COUNTERFEIT,
        )
        for s in Seizure.objects.filter(tenant=tenant, place_type=place)
    )


def test_too_few_street_seizures(bologna_org: Any, bologna: Any) -> None:
    street_seizures(bologna_org, bologna, queries.MIN_STREET_SEIZURES - 1)
    # Seizures elsewhere than in the street do not count.
    street_seizures(bologna_org, bologna, 10, place=PlaceType.MARKET)
    found = queries.street_hotspots(bologna_org, *YEAR)
    assert (found.count, found.enough, found.cells) == (29, False, None)


def test_hotspots_with_enough_street_seizures(bologna_org: Any, bologna: Any) -> None:
    street_seizures(bologna_org, bologna, 40)
    found = queries.street_hotspots(bologna_org, *YEAR)
    assert found.enough
    assert found.count == 40
    assert found.cells is not None
    features = found.cells["features"]
    assert features
    assert all(f["geometry"]["type"] == "Polygon" for f in features)
    assert sum(f["properties"]["count"] for f in features) == 40
    assert set(features[0]["properties"]) == {"cell_id", "count", "gi_class", "gi_z"}
    assert found.summary["cell_size_m"] == queries.HOTSPOT_CELL_M
    # The cluster of Piazza Maggiore stands out as a hot spot.
    assert found.summary["hot_cells"] >= 1
    hottest = max(features, key=lambda f: f["properties"]["count"])
    assert hottest["properties"]["gi_class"] > 0


def test_hotspots_count_only_the_period(bologna_org: Any, bologna: Any) -> None:
    street_seizures(bologna_org, bologna, 40)
    found = queries.street_hotspots(bologna_org, dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    assert found.count < queries.MIN_STREET_SEIZURES
    assert found.cells is None
