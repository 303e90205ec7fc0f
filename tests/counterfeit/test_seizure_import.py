"""The CSV import of seizures: grouping by reference, problems by line and column, idempotence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

import prossima.counterfeit
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
from prossima.counterfeit.seizures import (
    SeizureFileError,
    SeizureImportRefusedError,
    do_import_seizures,
)

pytestmark = pytest.mark.usefixtures("db", "seizure_today", "english")

EXAMPLE = Path(prossima.counterfeit.__file__).resolve().parent / "data" / "sequestri_esempio.csv"


def example() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def run(actor: Any, tenant: Any, text: str, **kwargs: Any) -> Any:
    return do_import_seizures(
        actor, tenant, raw=text.encode("utf-8"), filename="sequestri.csv", **kwargs
    )


def line_pks() -> set[int]:
    return set(SeizedGoods.objects.values_list("pk", flat=True))


def test_example_file_is_illustrative() -> None:
    text = example()
    rows = text.strip().split("\n")[1:]
    assert all(row.startswith("ESEMPIO-") for row in rows)
    assert "inventati a scopo illustrativo" in text


def test_import_example(officer: Any, bologna_org: Any, bologna: Any) -> None:
    result = run(officer, bologna_org, example())
    assert (result.rows, result.operations, result.created) == (9, 6, 6)
    assert (result.updated, result.unchanged, result.saved) == (0, 0, True)
    assert Seizure.objects.filter(tenant=bologna_org).count() == 6
    assert SeizedGoods.objects.count() == 9
    first = Seizure.objects.get(reference="ESEMPIO-2025-001")
    assert first.seized_on == dt.date(2025, 3, 14)
    assert first.place_type == PlaceType.STREET
    assert first.outcome == Outcome.DESTROYED
    assert first.comune == bologna
    assert (first.lon, first.lat) == (11.3455, 44.4990)
    assert first.goods.count() == 2
    assert {g.category for g in first.goods.all()} == {ProductCategory.LEATHER}
    # A row that leaves the operation's fields empty belongs to the operation above.
    third = Seizure.objects.get(reference="ESEMPIO-2025-003")
    cosmetics = third.goods.get(category=ProductCategory.COSMETICS)
    assert cosmetics.quantity == Decimal("12.5")
    assert cosmetics.quantity_unit == QuantityUnit.KG
    assert cosmetics.nature == Nature.UNSAFE
    assert cosmetics.health_risk is True
    assert cosmetics.brand == ""
    # ISTAT code instead of the name.
    assert Seizure.objects.get(reference="ESEMPIO-2025-002").comune == bologna
    parcel = Seizure.objects.get(reference="ESEMPIO-2025-006")
    assert parcel.lon is None
    assert parcel.goods.get().quantity_unit == QuantityUnit.LITRES
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.IMPORT, object_type="counterfeit.seizure"
    ).exists()


def test_reimport_changes_nothing(officer: Any, bologna_org: Any) -> None:
    run(officer, bologna_org, example())
    seizures = set(Seizure.objects.values_list("pk", flat=True))
    lines = line_pks()
    again = run(officer, bologna_org, example())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert set(Seizure.objects.values_list("pk", flat=True)) == seizures
    assert line_pks() == lines


def test_reimport_replaces_only_changed_lines(officer: Any, bologna_org: Any) -> None:
    run(officer, bologna_org, example())
    lines = line_pks()
    changed = example().replace(
        ";abbigliamento;MarcaEsempio Lusso;500;", ";abbigliamento;MarcaEsempio Lusso;450;"
    )
    result = run(officer, bologna_org, changed)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 5)
    fourth = Seizure.objects.get(reference="ESEMPIO-2025-004")
    assert sorted(g.quantity for g in fourth.goods.all()) == [Decimal("300"), Decimal("450")]
    others = set(SeizedGoods.objects.exclude(seizure=fourth).values_list("pk", flat=True))
    assert others <= lines  # the other operations kept their lines
    assert SeizedGoods.objects.count() == 9
    assert Seizure.objects.count() == 6


def test_reimport_updates_operation_fields_without_touching_lines(
    officer: Any, bologna_org: Any
) -> None:
    run(officer, bologna_org, example())
    lines = line_pks()
    changed = example().replace(";reperto;calzature;", ";distrutto;calzature;")
    result = run(officer, bologna_org, changed)
    assert (result.updated, result.unchanged) == (1, 5)
    assert Seizure.objects.get(reference="ESEMPIO-2025-002").outcome == Outcome.DESTROYED
    assert line_pks() == lines


def test_bad_row_names_line_and_column(officer: Any, bologna_org: Any) -> None:
    bad = example().replace(
        ";calzature;MarcaEsempio Sport;60;", ";calzature;MarcaEsempio Sport;-60;"
    )
    with pytest.raises(SeizureImportRefusedError) as caught:
        run(officer, bologna_org, bad)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field, problem.value) == (4, "quantita", "-60")
    assert "more than zero" in problem.reason
    assert not Seizure.objects.exists()


def test_every_bad_value_is_listed_and_nothing_saved(officer: Any, bologna_org: Any) -> None:
    bad = (
        example()
        .replace("14/03/2025;", "31/02/2025;", 1)
        .replace(";giocattoli;", ";aquiloni;")
        .replace(";magazzino;", ";spiaggia;")
        .replace(";litri;", ";barili;")
    )
    with pytest.raises(SeizureImportRefusedError) as caught:
        run(officer, bologna_org, bad)
    found = {(p.line, p.field) for p in caught.value.problems}
    assert {(2, "data"), (5, "categoria"), (7, "luogo"), (10, "unita_di_misura")} <= found
    reasons = " ".join(p.reason for p in caught.value.problems)
    assert "accepted" in reasons
    assert "giocattoli" in reasons
    assert not Seizure.objects.exists()
    assert not SeizedGoods.objects.exists()


def test_future_date_and_point_outside_comune(officer: Any, bologna_org: Any) -> None:
    bad = (
        example().replace("20/05/2025", "20/05/2026").replace("11.3700;44.5100", "10.9254;44.6471")
    )
    with pytest.raises(SeizureImportRefusedError) as caught:
        run(officer, bologna_org, bad)
    by_line = {p.line: p for p in caught.value.problems}
    assert by_line[9].field == "data"
    assert "future" in by_line[9].reason
    assert by_line[7].field == "lat"
    assert "outside" in by_line[7].reason
    assert not Seizure.objects.exists()


def test_rows_of_one_operation_must_agree(officer: Any, bologna_org: Any) -> None:
    lines = example().split("\n")
    lines[2] = lines[2].replace(";strada;", ";mercato;")
    with pytest.raises(SeizureImportRefusedError) as caught:
        run(officer, bologna_org, "\n".join(lines))
    (problem,) = caught.value.problems
    assert (problem.line, problem.field, problem.value) == (3, "luogo", "mercato")


def test_alert_column_links_lines(officer: Any, bologna_org: Any) -> None:
    alert = ProductAlert.objects.create(
        number="A12/00999/25",
        source=AlertSource.SAFETY_GATE,
        published_on=dt.date(2025, 1, 10),
        notifying_country="Italia",
        product_name="Giocattolo (esempio)",
        category=ProductCategory.TOYS,
        risk_level="serious",
        description="Esempio illustrativo.",
        is_illustrative=True,
    )
    linked = example().replace(
        ";150;pezzi;15;contraffatto e non sicuro;sì;;",
        ";150;pezzi;15;contraffatto e non sicuro;sì;A12/00999/25;",
    )
    run(officer, bologna_org, linked)
    assert SeizedGoods.objects.get(category=ProductCategory.TOYS).alert == alert


def test_unknown_alert_is_a_problem(officer: Any, bologna_org: Any) -> None:
    linked = example().replace(
        ";150;pezzi;15;contraffatto e non sicuro;sì;;",
        ";150;pezzi;15;contraffatto e non sicuro;sì;A00/00000/00;",
    )
    with pytest.raises(SeizureImportRefusedError) as caught:
        run(officer, bologna_org, linked)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field, problem.value) == (5, "allerta", "A00/00000/00")
    assert not Seizure.objects.exists()


def test_english_headers_and_values(officer: Any, bologna_org: Any) -> None:
    text = (
        "reference,date,unit,comune,place_type,address,lon,lat,outcome,category,brand,"
        "quantity,quantity_unit,genuine_unit_value,nature,health_risk,alert\n"
        "EX-1,2025-07-01,Trade unit,Bologna,Street,Via Example,11.3426,44.4939,Destroyed,"
        "Footwear,ExampleBrand,12,pairs,80.5,Counterfeit,no,\n"
        "EX-1,,,,,,,,,Toys,,3,pieces,,both,yes,\n"
    )
    result = run(officer, bologna_org, text)
    assert (result.operations, result.created) == (1, 1)
    seizure = Seizure.objects.get(reference="EX-1")
    assert seizure.place_type == PlaceType.STREET
    assert sorted(g.category for g in seizure.goods.all()) == ["footwear", "toys"]
    assert seizure.goods.get(category="toys").health_risk is True


def test_dry_run_saves_nothing(officer: Any, bologna_org: Any) -> None:
    result = run(officer, bologna_org, example(), dry_run=True)
    assert (result.created, result.saved) == (6, False)
    assert not Seizure.objects.exists()


def test_missing_columns_are_named(officer: Any, bologna_org: Any) -> None:
    with pytest.raises(SeizureFileError) as caught:
        run(officer, bologna_org, "riferimento;data\nX;01/01/2025\n")
    assert "Police unit" in str(caught.value) or "reparto" in str(caught.value)


def test_reference_is_required(officer: Any, bologna_org: Any) -> None:
    bad = example().replace("ESEMPIO-2025-005;", ";")
    with pytest.raises(SeizureImportRefusedError) as caught:
        run(officer, bologna_org, bad)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (9, "riferimento")


def test_only_the_tenants_police_import(modena_officer: Any, bologna_org: Any) -> None:
    with pytest.raises(PermissionDenied):
        run(modena_officer, bologna_org, example())


def test_same_reference_in_another_tenant_is_another_operation(
    officer: Any, bologna_org: Any, modena_officer: Any, modena_org: Any
) -> None:
    run(officer, bologna_org, example())
    modena_file = example().replace(";Bologna;", ";Modena;").replace(";037006;", ";036023;")
    # Points of Bologna are outside Modena: drop them.
    for point in (
        "11.3455;44.4990",
        "11.3430;44.5005",
        "11.3300;44.4950",
        "11.3700;44.5100",
        "11.3426;44.4939",
    ):
        modena_file = modena_file.replace(point, ";")
    result = run(modena_officer, modena_org, modena_file)
    assert result.created == 6
    assert Seizure.objects.filter(reference="ESEMPIO-2025-001").count() == 2


def test_columns_missing_from_a_reimport_keep_what_is_recorded(
    officer: Any, bologna_org: Any
) -> None:
    run(officer, bologna_org, example())
    # The same operations, without addresses, coordinates and notes.
    rows = [line.split(";") for line in example().strip().split("\n")]
    keep = [i for i, name in enumerate(rows[0]) if name not in ("indirizzo", "lon", "lat", "note")]
    text = "\n".join(";".join(row[i] for i in keep) for row in rows) + "\n"
    result = run(officer, bologna_org, text)
    assert (result.updated, result.unchanged) == (0, 6)
    first = Seizure.objects.get(reference="ESEMPIO-2025-001")
    assert first.address == "Via dell'Indipendenza (esempio)"
    assert first.lat == 44.4990
    assert first.notes == "Dati inventati a scopo illustrativo"
