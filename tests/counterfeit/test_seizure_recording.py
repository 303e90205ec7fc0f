"""Recording and changing seizures: the rules of an operation and its lines, all-or-nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from prossima.accounts.models import AuditEvent
from prossima.counterfeit.models import (
    AlertSource,
    Nature,
    Outcome,
    PlaceType,
    ProductAlert,
    ProductCategory,
    QuantityUnit,
    SeizedGoods,
    Seizure,
)
from prossima.counterfeit.seizures import do_record_seizure, do_update_seizure

pytestmark = pytest.mark.usefixtures("db", "seizure_today", "english")

# Piazza Maggiore, Bologna; and a point in the centre of Modena.
IN_BOLOGNA = (11.3426, 44.4939)
IN_MODENA = (10.9254, 44.6471)


def operation(**overrides: Any) -> dict[str, Any]:
    """Return the fields of a street seizure in Bologna."""
    fields: dict[str, Any] = {
        "reference": "TEST-001",
        "seized_on": dt.date(2025, 6, 1),
        "unit": "Nucleo Commercio",
        "place_type": PlaceType.STREET,
        "address": "Piazza Maggiore",
        "lon": IN_BOLOGNA[0],
        "lat": IN_BOLOGNA[1],
        "outcome": Outcome.DESTROYED,
    }
    fields.update(overrides)
    return fields


def bags(**overrides: Any) -> dict[str, Any]:
    """Return a line of 20 counterfeit bags worth 300 € each if genuine."""
    line: dict[str, Any] = {
        "category": ProductCategory.LEATHER,
        "brand": "MarcaEsempio",
        "quantity": Decimal("20"),
        "quantity_unit": QuantityUnit.PIECES,
        "genuine_unit_value": Decimal("300"),
        "nature": Nature.COUNTERFEIT,
        "health_risk": False,
    }
    line.update(overrides)
    return line


def nothing_saved() -> bool:
    return not Seizure.objects.exists() and not SeizedGoods.objects.exists()


def test_record_with_lines(officer: Any, bologna_org: Any, bologna: Any) -> None:
    toys = bags(
        category=ProductCategory.TOYS,
        brand="",
        quantity="150",
        genuine_unit_value="12.50",
        nature=Nature.BOTH,
        health_risk=True,
    )
    seizure = do_record_seizure(officer, bologna_org, goods=[bags(), toys], **operation())
    assert seizure.tenant == bologna_org
    assert seizure.comune == bologna  # the tenant's comune by default
    assert seizure.recorded_by == officer
    lines = list(seizure.goods.order_by("pk"))
    assert [g.category for g in lines] == [ProductCategory.LEATHER, ProductCategory.TOYS]
    assert lines[1].quantity == Decimal("150")
    assert lines[1].health_risk is True
    assert [g.genuine_value for g in lines] == [6000.0, 1875.0]
    event = AuditEvent.objects.get(object_type="counterfeit.seizure", object_id=str(seizure.pk))
    assert event.action == AuditEvent.Action.CREATE
    assert event.organisation_id == bologna_org.pk
    assert event.comune_code == bologna.istat_code


def test_record_without_point(officer: Any, bologna_org: Any) -> None:
    seizure = do_record_seizure(
        officer,
        bologna_org,
        goods=[bags()],
        **operation(place_type=PlaceType.PARCEL, lon=None, lat=None, address=""),
    )
    assert seizure.lon is None
    assert seizure.goods.count() == 1


@pytest.mark.parametrize(
    ("fields", "goods", "key"),
    [
        ({}, [], "goods"),
        ({}, [bags(quantity=Decimal("-3"))], "goods-0-quantity"),
        ({}, [bags(quantity=Decimal("0"))], "goods-0-quantity"),
        ({}, [bags(genuine_unit_value=Decimal("-1"))], "goods-0-genuine_unit_value"),
        ({"seized_on": dt.date(2026, 1, 1)}, [bags()], "seized_on"),
        ({}, [bags(), bags(category="handbags")], "goods-1-category"),
        ({}, [bags(nature="fake")], "goods-0-nature"),
        ({"place_type": "beach"}, [bags()], "place_type"),
        ({"outcome": "sold"}, [bags()], "outcome"),
        ({"lon": IN_MODENA[0], "lat": IN_MODENA[1]}, [bags()], "lat"),
        ({"lon": IN_BOLOGNA[0], "lat": None}, [bags()], "lat"),
        ({"unit": ""}, [bags()], "unit"),
        ({}, [bags(alert="A99/99999/99")], "goods-0-alert"),
    ],
    ids=[
        "no-lines",
        "negative-quantity",
        "zero-quantity",
        "negative-value",
        "future-date",
        "unknown-category",
        "unknown-nature",
        "unknown-place",
        "unknown-outcome",
        "point-outside-comune",
        "half-a-point",
        "no-unit",
        "unknown-alert",
    ],
)
def test_refusals_save_nothing(
    officer: Any, bologna_org: Any, fields: dict[str, Any], goods: list[Any], key: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        do_record_seizure(officer, bologna_org, goods=goods, **operation(**fields))
    assert key in caught.value.message_dict
    assert nothing_saved()
    assert not AuditEvent.objects.filter(object_type="counterfeit.seizure").exists()


def test_every_problem_is_reported_at_once(officer: Any, bologna_org: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        do_record_seizure(
            officer,
            bologna_org,
            goods=[bags(quantity=0), bags(category="x")],
            **operation(seized_on=dt.date(2030, 1, 1)),
        )
    assert {"seized_on", "goods-0-quantity", "goods-1-category"} <= set(caught.value.message_dict)


def test_reference_is_unique_per_tenant(
    officer: Any, bologna_org: Any, modena_officer: Any, modena_org: Any
) -> None:
    do_record_seizure(officer, bologna_org, goods=[bags()], **operation())
    with pytest.raises(ValidationError) as caught:
        do_record_seizure(officer, bologna_org, goods=[bags()], **operation())
    assert "reference" in caught.value.message_dict
    # Another comune may use the same reference for its own operation.
    do_record_seizure(
        modena_officer,
        modena_org,
        goods=[bags()],
        **operation(lon=IN_MODENA[0], lat=IN_MODENA[1]),
    )
    assert Seizure.objects.filter(reference="TEST-001").count() == 2


def test_officer_of_another_comune_cannot_record(modena_officer: Any, bologna_org: Any) -> None:
    with pytest.raises(PermissionDenied):
        do_record_seizure(modena_officer, bologna_org, goods=[bags()], **operation())
    assert nothing_saved()


def test_association_cannot_record(association_analyst: Any, bologna_org: Any) -> None:
    with pytest.raises(PermissionDenied):
        do_record_seizure(association_analyst, bologna_org, goods=[bags()], **operation())


def test_line_linked_to_alert_by_number(officer: Any, bologna_org: Any) -> None:
    alert = ProductAlert.objects.create(
        number="A12/00123/24",
        source=AlertSource.SAFETY_GATE,
        published_on=dt.date(2024, 3, 1),
        notifying_country="Italia",
        product_name="Bambola (esempio)",
        category=ProductCategory.TOYS,
        risk_level="serious",
        description="Esempio illustrativo.",
        is_illustrative=True,
    )
    seizure = do_record_seizure(
        officer,
        bologna_org,
        goods=[bags(category=ProductCategory.TOYS, alert="a12/00123/24")],
        **operation(),
    )
    assert seizure.goods.get().alert == alert


def test_update_replaces_fields_and_lines(officer: Any, bologna_org: Any) -> None:
    seizure = do_record_seizure(officer, bologna_org, goods=[bags()], **operation())
    old_line = seizure.goods.get().pk
    do_update_seizure(
        officer,
        seizure,
        goods=[bags(quantity=Decimal("25")), bags(category=ProductCategory.FOOTWEAR)],
        **operation(outcome=Outcome.EVIDENCE, address="Via Rizzoli"),
    )
    seizure.refresh_from_db()
    assert seizure.outcome == Outcome.EVIDENCE
    assert seizure.address == "Via Rizzoli"
    lines = list(seizure.goods.order_by("pk"))
    assert [g.quantity for g in lines] == [Decimal("25"), Decimal("20")]
    assert old_line not in [g.pk for g in lines]
    assert AuditEvent.objects.filter(
        object_type="counterfeit.seizure", action=AuditEvent.Action.UPDATE
    ).exists()


def test_update_keeps_lines_that_did_not_change(officer: Any, bologna_org: Any) -> None:
    seizure = do_record_seizure(officer, bologna_org, goods=[bags()], **operation())
    line = seizure.goods.get().pk
    do_update_seizure(officer, seizure, goods=[bags()], **operation(notes="Verbale firmato"))
    assert seizure.goods.get().pk == line


def test_refused_update_changes_nothing(officer: Any, bologna_org: Any) -> None:
    seizure = do_record_seizure(officer, bologna_org, goods=[bags()], **operation())
    with pytest.raises(ValidationError):
        do_update_seizure(officer, seizure, goods=[], **operation(address="Altrove"))
    seizure.refresh_from_db()
    assert seizure.address == "Piazza Maggiore"
    assert seizure.goods.count() == 1
