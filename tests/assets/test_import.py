"""Importing the agency's files into a comune's registry, and fixing the rows kept aside."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from prossima.accounts.models import AuditEvent
from prossima.assets.actions import (
    ComuneMatcher,
    ImportRefusedError,
    do_discard_pending,
    do_record_stage,
    do_resolve_pending,
    do_set_direct_use,
    do_update_asset,
)
from prossima.assets.models import (
    Asset,
    AssetImport,
    AssetKind,
    FileKind,
    PendingRow,
    Purpose,
    RealEstateCategory,
    Stage,
)
from prossima.territory.models import Comune
from tests.assets.conftest import (
    destined_text,
    import_text,
    line_of,
    management_text,
    replace_line,
)

pytestmark = pytest.mark.usefixtures("english", "clock")

BOLOGNA_CODES = [f"I-BO-DEMO-00{n}" for n in range(1, 8)]


def nothing_saved() -> bool:
    return not (
        Asset.objects.exists() or AssetImport.objects.exists() or PendingRow.objects.exists()
    )


@pytest.fixture
def first_import(manager: Any, bologna: Any, bologna_org: Any) -> AssetImport:
    return import_text(manager, destined_text(), scope=[bologna], organisation=bologna_org)


def test_a_comune_imports_its_own_rows_and_keeps_the_unmatched_aside(
    first_import: AssetImport, bologna: Any, bologna_org: Any, manager: Any
) -> None:
    record = first_import
    assert record.file_kind == FileKind.DESTINED_REAL_ESTATE
    assert record.rows == 12
    assert record.created == 7  # I-BO-DEMO-001 to 007
    # San Lazzaro di Savena, Modena and Reggio nell'Emilia.
    assert record.outside_scope == 3
    # Borgo Panigale is a district, Castello di Serravalle merged into Valsamoggia.
    assert record.unmatched == 2
    assert (record.updated, record.unchanged) == (0, 0)
    assert record.scope == [bologna.istat_code]
    assert record.organisation == bologna_org
    assert record.imported_by == manager
    assert sorted(Asset.objects.values_list("code", flat=True)) == BOLOGNA_CODES
    assert set(Asset.objects.values_list("comune", flat=True)) == {bologna.pk}
    pending = list(PendingRow.objects.order_by("line"))
    assert [(p.line, p.code, p.comune_name) for p in pending] == [
        (9, "I-BO-DEMO-008", "BOLOGNA - BORGO PANIGALE"),
        (12, "I-BO-DEMO-011", "CASTELLO DI SERRAVALLE"),
    ]
    assert all(p.source == record and p.open for p in pending)
    assert "CASTELLO DI SERRAVALLE" in pending[1].reason
    assert pending[1].values["destination_decree_number"] == "512/2012"
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.IMPORT,
        object_type="assets.assetimport",
        object_id=str(record.pk),
        organisation_id=bologna_org.pk,
    ).exists()


def test_the_imported_assets_carry_the_agency_values(first_import: AssetImport) -> None:
    first = Asset.objects.get(code="I-BO-DEMO-001")
    assert first.kind == AssetKind.REAL_ESTATE
    assert first.stage == Stage.DESTINED
    assert first.destination_decree_number == "1201/2019"
    assert first.destination_decree_date == dt.date(2019, 3, 14)
    assert first.destination_purpose == Purpose.SOCIAL
    assert first.recipient == "Comune di Bologna"
    assert first.category == RealEstateCategory.HOUSING
    assert first.address == "VIA DELL'ESEMPIO 1"
    assert first.current_use == ""
    assert first.handed_over_on is None
    second = Asset.objects.get(code="I-BO-DEMO-002")
    assert second.current_use == "Casa per l'autonomia di giovani neomaggiorenni"
    assert Asset.objects.get(code="I-BO-DEMO-005").category == RealEstateCategory.LAND


def test_an_abbreviated_comune_is_matched(bologna: Any) -> None:
    matcher = ComuneMatcher()
    found, reason = matcher.match({"comune": "S. LAZZARO DI SAVENA", "province": "BOLOGNA"})
    assert found is not None
    assert (found.name, reason) == ("San Lazzaro di Savena", "")
    assert matcher.match({"comune": "REGGIO NELL'EMILIA"})[0] == Comune.objects.get(
        name="Reggio nell'Emilia"
    )
    assert matcher.match({"istat_code": "037006", "comune": "whatever"})[0] == bologna
    assert matcher.match({"comune": "BOLOGNA - BORGO PANIGALE"})[0] is None
    assert matcher.match({"comune": "CASTELLO DI SERRAVALLE"})[0] is None
    missing, why = matcher.match({"istat_code": "999999"})
    assert missing is None
    assert "999999" in why


def test_the_platform_imports_every_comune_it_can_match(admin: Any, bologna: Any) -> None:
    record = import_text(admin, destined_text(), scope=None)
    assert (record.created, record.outside_scope, record.unmatched) == (10, 0, 2)
    assert Asset.objects.get(code="I-BO-DEMO-009").comune.name == "San Lazzaro di Savena"
    assert Asset.objects.get(code="I-MO-DEMO-010").comune.name == "Modena"
    assert Asset.objects.get(code="I-RE-DEMO-012").comune.name == "Reggio nell'Emilia"


def test_reimporting_the_same_file_changes_nothing(
    first_import: AssetImport, manager: Any, bologna: Any, bologna_org: Any
) -> None:
    before = {a.code: (a.pk, a.updated_at) for a in Asset.objects.all()}
    again = import_text(manager, destined_text(), scope=[bologna], organisation=bologna_org)
    assert (again.created, again.updated, again.unmatched) == (0, 0, 0)
    assert again.outside_scope == 3
    assert again.unchanged == 9  # seven assets, two rows already waiting
    assert {a.code: (a.pk, a.updated_at) for a in Asset.objects.all()} == before
    assert PendingRow.objects.count() == 2
    assert set(PendingRow.objects.values_list("source", flat=True)) == {first_import.pk}
    assert AssetImport.objects.count() == 2


def test_a_changed_agency_value_is_updated(
    first_import: AssetImport, manager: Any, bologna: Any
) -> None:
    text = replace_line(destined_text(), "I-BO-DEMO-004", "Istituzionale", "Sociale")
    record = import_text(manager, text, scope=[bologna])
    assert (record.created, record.updated, record.unchanged) == (0, 1, 8)
    assert Asset.objects.get(code="I-BO-DEMO-004").destination_purpose == Purpose.SOCIAL


@pytest.mark.parametrize(
    ("code", "old", "new", "column"),
    [
        # In a row of another comune, outside the importer's scope.
        ("I-MO-DEMO-010", "03/03/2020", "31/02/2020", "decreto_data"),
        # In a row whose comune cannot be matched.
        ("I-BO-DEMO-011", ";Sociale;", ";Ricreativo;", "fine"),
        # In a row of the comune.
        ("I-BO-DEMO-006", "2016;18/04/2016", "2025;17/06/2025", "decreto_data"),
    ],
)
def test_one_bad_value_anywhere_refuses_the_whole_file(
    manager: Any, bologna: Any, bologna_org: Any, code: str, old: str, new: str, column: str
) -> None:
    text = replace_line(destined_text(), code, old, new)
    with pytest.raises(ImportRefusedError) as refused:
        import_text(manager, text, scope=[bologna], organisation=bologna_org)
    assert [(p.line, p.field) for p in refused.value.problems] == [(line_of(text, code), column)]
    assert "nothing was imported" in str(refused.value)
    assert nothing_saved()
    assert not AuditEvent.objects.filter(object_type="assets.assetimport").exists()


@pytest.mark.parametrize("code", ["I-BO-DEMO-003", "I-BO-DEMO-008"])
def test_a_value_too_long_to_store_refuses_the_file_by_line(
    manager: Any, bologna: Any, bologna_org: Any, code: str
) -> None:
    """A code longer than the registry keeps is a problem of the row, not a crash or a cut."""
    long_code = code + "-" + "X" * 40
    text = replace_line(destined_text(), code, code, long_code)
    with pytest.raises(ImportRefusedError) as refused:
        import_text(manager, text, scope=[bologna], organisation=bologna_org)
    (problem,) = refused.value.problems
    assert (problem.line, problem.field, problem.value) == (
        line_of(text, long_code),
        "s_bene",
        long_code,
    )
    assert "40" in problem.reason
    assert nothing_saved()


def test_a_later_import_that_breaks_the_stage_order_is_refused(
    first_import: AssetImport, manager: Any, bologna: Any
) -> None:
    """The comune recorded the handover; the agency's new decree date comes after it."""
    asset = Asset.objects.get(code="I-BO-DEMO-005")
    do_record_stage(manager, asset, Stage.HANDED_OVER, dt.date(2020, 9, 1))
    text = replace_line(destined_text(), "I-BO-DEMO-005", "30/07/2020", "30/10/2020")
    with pytest.raises(ImportRefusedError) as refused:
        import_text(manager, text, scope=[bologna])
    (problem,) = refused.value.problems
    # The file's date is fine by itself: the conflict is with the handover the comune recorded.
    assert (problem.line, problem.field) == (6, "handed_over_on")
    assert "Handed over to the comune on 2020-09-01" in problem.reason
    assert "Destined (decree) on 2020-10-30" in problem.reason
    asset.refresh_from_db()
    assert asset.destination_decree_date == dt.date(2020, 7, 30)
    assert AssetImport.objects.count() == 1


def test_resolving_a_row_creates_the_asset_once(
    first_import: AssetImport, manager: Any, bologna: Any, bologna_org: Any
) -> None:
    row = PendingRow.objects.get(code="I-BO-DEMO-008")
    asset = do_resolve_pending(manager, row, bologna)
    assert asset.comune == bologna
    assert asset.stage == Stage.DESTINED
    assert asset.destination_decree_number == "2875/2023"
    assert asset.destination_decree_date == dt.date(2023, 2, 16)
    assert asset.address == "VIA DEL FACSIMILE 5"
    row.refresh_from_db()
    assert row.resolved_asset == asset
    assert row.resolved_at is not None
    assert not row.open
    with pytest.raises(ValidationError, match="already been dealt with"):
        do_resolve_pending(manager, row, bologna)
    with pytest.raises(ValidationError, match="already been dealt with"):
        do_discard_pending(manager, row, bologna_org)
    row.refresh_from_db()
    assert not row.discarded
    assert Asset.objects.filter(code="I-BO-DEMO-008").count() == 1
    # The row is now an asset of Bologna: the next import updates it like the others.
    again = import_text(manager, destined_text(), scope=[bologna])
    assert (again.created, again.updated, again.unmatched, again.unchanged) == (0, 0, 0, 9)


def test_a_row_is_resolved_only_into_a_comune_one_manages(
    first_import: AssetImport, manager: Any, modena: Any
) -> None:
    row = PendingRow.objects.get(code="I-BO-DEMO-011")
    with pytest.raises(PermissionDenied):
        do_resolve_pending(manager, row, modena)
    row.refresh_from_db()
    assert row.open
    assert not Asset.objects.filter(code="I-BO-DEMO-011").exists()


def test_a_discarded_row_stays_discarded(
    first_import: AssetImport,
    manager: Any,
    bologna: Any,
    bologna_org: Any,
    modena_org: Any,
    modena_manager: Any,
) -> None:
    row = PendingRow.objects.get(code="I-BO-DEMO-011")
    with pytest.raises(PermissionDenied):
        do_discard_pending(modena_manager, row, bologna_org)
    with pytest.raises(ValidationError, match="another organisation"):
        do_discard_pending(modena_manager, row, modena_org)
    do_discard_pending(manager, row, bologna_org)
    row.refresh_from_db()
    assert row.discarded
    assert not row.open
    assert row.resolved_asset is None
    again = import_text(manager, destined_text(), scope=[bologna], organisation=bologna_org)
    assert again.unmatched == 0
    assert PendingRow.objects.filter(code="I-BO-DEMO-011").count() == 1


@pytest.mark.parametrize("who", ["analyst", "outsider", "modena_manager"])
def test_only_the_comunes_managers_import(
    request: pytest.FixtureRequest, make_user: Any, bologna: Any, who: str
) -> None:
    actor = make_user(username="outsider") if who == "outsider" else request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        import_text(actor, destined_text(), scope=[bologna])
    assert nothing_saved()


@pytest.mark.parametrize("scope", [None, []])
def test_a_manager_cannot_import_without_a_scope(manager: Any, scope: list[Any] | None) -> None:
    with pytest.raises(PermissionDenied):
        import_text(manager, destined_text(), scope=scope)
    assert nothing_saved()


def test_the_management_file_gives_every_stage_with_its_date(manager: Any, bologna: Any) -> None:
    record = import_text(manager, management_text(), scope=[bologna], filename="beni.csv")
    assert record.file_kind == FileKind.IN_MANAGEMENT
    assert (record.rows, record.created, record.unmatched) == (4, 4, 0)
    assets = {a.code: a for a in Asset.objects.all()}
    assert assets["I-BO-DEMO-101"].stage == Stage.SEIZED
    assert assets["I-BO-DEMO-101"].seized_on == dt.date(2024, 1, 12)
    assert assets["I-BO-DEMO-102"].stage == Stage.CONFISCATED_FIRST
    assert assets["I-BO-DEMO-102"].confiscated_first_on == dt.date(2023, 6, 7)
    assert assets["I-BO-DEMO-103"].stage == Stage.CONFISCATED_APPEAL
    assert assets["I-BO-DEMO-103"].confiscated_appeal_on == dt.date(2022, 2, 28)
    assert assets["I-BO-DEMO-104"].stage == Stage.CONFISCATED_FINAL
    assert assets["I-BO-DEMO-104"].confiscated_final_on == dt.date(2021, 10, 19)
    assert assets["I-BO-DEMO-104"].kind == AssetKind.COMPANY
    for asset in assets.values():
        later = [s for s in Stage.values if Stage.values.index(s) > Stage.values.index(asset.stage)]
        assert all(asset.stage_date(s) is None for s in later)


def test_a_later_file_moves_an_asset_forward_but_never_back(manager: Any, bologna: Any) -> None:
    import_text(manager, management_text(), scope=[bologna])
    text = replace_line(
        management_text(), "I-BO-DEMO-103", "Confisca II,28/02/2022", "Confisca def.,10/03/2023"
    )
    record = import_text(manager, text, scope=[bologna])
    assert (record.updated, record.unchanged) == (1, 3)
    asset = Asset.objects.get(code="I-BO-DEMO-103")
    assert asset.stage == Stage.CONFISCATED_FINAL
    assert asset.confiscated_appeal_on == dt.date(2022, 2, 28)
    assert asset.confiscated_final_on == dt.date(2023, 3, 10)
    # The original file again: the asset keeps its later stage.
    import_text(manager, management_text(), scope=[bologna])
    asset.refresh_from_db()
    assert asset.stage == Stage.CONFISCATED_FINAL


@pytest.mark.parametrize("importer", ["manager", "admin"])
def test_an_asset_registered_in_bologna_is_not_moved_by_a_later_file(
    request: pytest.FixtureRequest, first_import: AssetImport, bologna: Any, importer: str
) -> None:
    actor = request.getfixturevalue(importer)
    scope = [bologna] if importer == "manager" else None
    text = replace_line(destined_text(), "I-BO-DEMO-003", ";BOLOGNA;BOLOGNA;", ";MODENA;MODENA;")
    with pytest.raises(ImportRefusedError) as refused:
        import_text(actor, text, scope=scope)
    (problem,) = refused.value.problems
    assert (problem.line, problem.field, problem.value) == (4, "comune", "MODENA")
    assert "registered in Bologna" in problem.reason
    assert "not in Modena" in problem.reason
    assert Asset.objects.get(code="I-BO-DEMO-003").comune == bologna
    assert AssetImport.objects.count() == 1


def test_a_modena_import_cannot_take_a_bologna_asset(
    first_import: AssetImport, modena_manager: Any, modena: Any, bologna: Any
) -> None:
    text = replace_line(destined_text(), "I-BO-DEMO-003", ";BOLOGNA;BOLOGNA;", ";MODENA;MODENA;")
    with pytest.raises(ImportRefusedError):
        import_text(modena_manager, text, scope=[modena])
    assert Asset.objects.get(code="I-BO-DEMO-003").comune == bologna


def test_reimport_never_overwrites_what_the_comune_recorded(
    first_import: AssetImport, manager: Any, bologna: Any
) -> None:
    first = Asset.objects.get(code="I-BO-DEMO-001")
    first = do_record_stage(manager, first, Stage.HANDED_OVER, dt.date(2019, 9, 2))
    do_set_direct_use(manager, first, dt.date(2019, 10, 1), "Sportello per l'abitare")
    second = Asset.objects.get(code="I-BO-DEMO-002")
    do_update_asset(manager, second, current_use="Foresteria per studenti", notes="Tetto rifatto")
    # The agency's next file says something else about both.
    text = replace_line(destined_text(), "I-BO-DEMO-001", ";Sociale;;", ";Sociale;Uso agenzia;")
    text = replace_line(text, "I-BO-DEMO-002", "Casa per l'autonomia", "Casa per la vita")
    text = replace_line(text, "I-BO-DEMO-002", ";Villa;Villa;", ";Villa;Villa bifamiliare;")
    record = import_text(manager, text, scope=[bologna])
    assert (record.created, record.updated) == (0, 1)
    first.refresh_from_db()
    assert first.stage == Stage.HANDED_OVER
    assert first.handed_over_on == dt.date(2019, 9, 2)
    assert first.direct_use_since == dt.date(2019, 10, 1)
    assert first.current_use == "Sportello per l'abitare"
    second.refresh_from_db()
    assert second.typology == "Villa bifamiliare"  # the agency's own field is updated
    assert second.current_use == "Foresteria per studenti"
    assert second.notes == "Tetto rifatto"


def test_a_cp1252_file_imports_like_the_utf8_one(manager: Any, bologna: Any) -> None:
    record = import_text(manager, destined_text().encode("cp1252"), scope=[bologna])
    assert record.created == 7
    asset = Asset.objects.get(code="I-BO-DEMO-001")
    assert asset.category_source == "Unità immobiliare per uso di abitazione e assimilabile"


def test_lines_of_problems_count_blank_rows(manager: Any, bologna: Any) -> None:
    lines = destined_text().split("\n")
    lines.insert(3, ";;;;;;;;;;;;;;")
    text = "\n".join(lines)
    text = replace_line(text, "I-RE-DEMO-012", ";Sociale;", ";Svago;")
    with pytest.raises(ImportRefusedError) as refused:
        import_text(manager, text, scope=[bologna])
    assert [p.line for p in refused.value.problems] == [14]
