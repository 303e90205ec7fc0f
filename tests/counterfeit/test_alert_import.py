"""Import of Safety Gate exports, the command, and local alerts with their permissions."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

import prossima.counterfeit
from prossima.accounts.models import AuditEvent, OrganisationKind, Role
from prossima.counterfeit import alerts
from prossima.counterfeit.alerts import (
    AlertImportError,
    do_create_local_alert,
    do_import_alerts,
    do_update_local_alert,
)
from prossima.counterfeit.models import AlertSource, ProductAlert

DATA = Path(prossima.counterfeit.__file__).resolve().parent / "data"
DEMO = DATA / "safety_gate_illustrativo.csv"
TODAY = dt.date(2026, 11, 27)


@pytest.fixture(autouse=True)
def _setup(db: Any, fast_password_hashing: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Give every test the database and a fixed today (every date of the file is earlier)."""
    monkeypatch.setattr(alerts, "today", lambda: TODAY)


@pytest.fixture
def bo_comune(make_org: Callable[..., Any], bologna: Any) -> Any:
    return make_org(OrganisationKind.COMUNE, "Comune di Bologna (alert test)", comune=bologna)


@pytest.fixture
def mo_comune(make_org: Callable[..., Any], modena: Any) -> Any:
    return make_org(OrganisationKind.COMUNE, "Comune di Modena (alert test)", comune=modena)


@pytest.fixture
def bo_manager(make_user: Callable[..., Any], bo_comune: Any) -> Any:
    return make_user(bo_comune, Role.MANAGER, username="alert_manager_bo")


@pytest.fixture
def mo_manager(make_user: Callable[..., Any], mo_comune: Any) -> Any:
    return make_user(mo_comune, Role.MANAGER, username="alert_manager_mo")


@pytest.fixture
def assoc_manager(make_user: Callable[..., Any], make_org: Callable[..., Any]) -> Any:
    association = make_org(OrganisationKind.ASSOCIATION, "Associazione (alert test)")
    return make_user(association, Role.MANAGER, username="alert_manager_assoc")


def demo_text() -> str:
    return DEMO.read_text(encoding="utf-8")


def run(text: str, actor: Any = None, filename: str = "export.csv") -> alerts.AlertImportResult:
    return do_import_alerts(actor, raw=text.encode("utf-8"), filename=filename)


def replace_on(text: str, number: str, old: str, new: str) -> str:
    """Return ``text`` with ``old`` replaced by ``new`` on the line of alert ``number`` only."""
    lines = text.split("\n")
    (at,) = [i for i, line in enumerate(lines) if line.startswith(number + ",")]
    assert old in lines[at], f"{old!r} is not on the line of {number}"
    lines[at] = lines[at].replace(old, new, 1)
    return "\n".join(lines)


def line_of(text: str, number: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if line.startswith(number + ","))


def refused(text: str) -> list[alerts.AlertProblem]:
    with pytest.raises(AlertImportError) as caught:
        run(text)
    return caught.value.problems


def png(size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return SimpleUploadedFile("prodotto.png", out.getvalue(), content_type="image/png")


def local_fields(**extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "product_name": "Monopattino giocattolo (test)",
        "brand": "Marca Esempio",
        "category": "toys",
        "risk_types": ["injuries", "choking"],
        "risk_level": "high",
        "description": "Le ruote si staccano durante l'uso.",
        "measures": "Sequestro presso un mercato rionale.",
        "measures_kind": "compulsory",
    }
    fields.update(extra)
    return fields


# --- The illustrative file ----------------------------------------------------------


def test_illustrative_file_imports() -> None:
    result = run(demo_text(), filename=DEMO.name)
    assert (result.rows, result.created, result.updated, result.unchanged) == (8, 8, 0, 0)
    assert ProductAlert.objects.count() == 8
    charger = ProductAlert.objects.get(number="DEMO/00002/26")
    assert charger.source == AlertSource.SAFETY_GATE
    assert charger.published_on == dt.date(2026, 2, 3)  # ISO date
    assert charger.notifying_country == "Germany"
    assert charger.category == "electrical"
    assert charger.risk_types == ["electric_shock", "fire"]
    assert charger.risk_level == "serious"
    assert charger.measures_kind == "voluntary"
    assert charger.counterfeit is False
    assert charger.is_illustrative
    hoodie = ProductAlert.objects.get(number="DEMO/00004/26")
    assert hoodie.published_on == dt.date(2026, 4, 2)  # dd/mm/yyyy
    assert hoodie.category == "clothing"
    assert hoodie.risk_types == ["strangulation", "injuries"]  # separated by ;
    assert hoodie.counterfeit is True
    assert ProductAlert.objects.get(number="DEMO/00005/26").risk_types == ["choking", "injuries"]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.IMPORT, object_type="counterfeit.productalert"
    ).exists()


def test_reimport_changes_nothing() -> None:
    run(demo_text())
    first = {a.number: a.updated_at for a in ProductAlert.objects.all()}
    result = run(demo_text())
    assert (result.rows, result.created, result.updated, result.unchanged) == (8, 0, 0, 8)
    assert ProductAlert.objects.count() == 8
    assert {a.number: a.updated_at for a in ProductAlert.objects.all()} == first


def test_reimport_updates_only_changed_alerts() -> None:
    run(demo_text())
    changed = replace_on(demo_text(), "DEMO/00003/26", "Serious", "High")
    result = run(changed)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 7)
    assert ProductAlert.objects.get(number="DEMO/00003/26").risk_level == "high"
    assert ProductAlert.objects.count() == 8


def test_italian_headers_and_values() -> None:
    text = (
        "NUMERO D'ALLERTA;Data di pubblicazione;Paese notificante;Nome del prodotto;Marca;"
        "Modello;Categoria;Paese d'origine;Contraffatto;Tipo di rischio;Livello di rischio;"
        "Descrizione del rischio;Misure adottate;Tipo di misure\n"
        "DEMO/00101/26;05/03/2026;Italia;Trenino di esempio;Marca Esempio;T-1;Giocattoli;"
        "Cina;Sì;Soffocamento, Lesioni;Grave;Parti piccole si staccano.;Ritiro;Obbligatorie\n"
        "DEMO/00102/26;2026-03-06;Italia;Rossetto di esempio;Marca Esempio;R-2;cosmetici;;no;"
        "Chimico;medio;Contiene piombo.;;\n"
    )
    result = run(text)
    assert result.created == 2
    train = ProductAlert.objects.get(number="DEMO/00101/26")
    assert (train.category, train.risk_level, train.counterfeit) == ("toys", "serious", True)
    assert train.risk_types == ["choking", "injuries"]
    assert train.measures_kind == "compulsory"
    assert train.origin_country == "Cina"
    lipstick = ProductAlert.objects.get(number="DEMO/00102/26")
    assert (lipstick.category, lipstick.risk_level, lipstick.measures_kind) == (
        "cosmetics",
        "medium",
        "",
    )


# --- Problems: each names its line and column, and nothing is saved ------------------


def test_missing_required_column() -> None:
    header, rest = demo_text().split("\n", 1)
    # The risk level's column renamed to something no export uses.
    text = header.replace(",Risk level,", ",Notes,") + "\n" + rest
    problems = refused(text)
    label = str(alerts.COLUMNS["risk_level"][0])  # "Risk level", in the reader's language
    assert [(p.line, p.column, p.value) for p in problems] == [(1, label, "")]
    assert "Livello di rischio" in problems[0].reason  # the names accepted
    assert ProductAlert.objects.count() == 0


def test_unknown_category_is_a_row_error() -> None:
    text = replace_on(demo_text(), "DEMO/00001/26", ",Toys,", ",Astronavi,")
    problems = refused(text)
    assert [(p.line, p.column, p.value) for p in problems] == [
        (line_of(text, "DEMO/00001/26"), "Product category", "Astronavi")
    ]
    assert "Toys (Giocattoli)" in problems[0].reason
    assert ProductAlert.objects.count() == 0


def test_unknown_risk_level_is_a_row_error() -> None:
    text = replace_on(demo_text(), "DEMO/00006/26", ",High,", ",Catastrophic,")
    problems = refused(text)
    assert [(p.line, p.column, p.value) for p in problems] == [
        (line_of(text, "DEMO/00006/26"), "Risk level", "Catastrophic")
    ]
    assert "Serious (Grave)" in problems[0].reason
    assert ProductAlert.objects.count() == 0


def test_bad_date_is_a_row_error() -> None:
    text = replace_on(demo_text(), "DEMO/00003/26", "17/03/2026", "31/02/2026")
    problems = refused(text)
    assert [(p.line, p.column, p.value) for p in problems] == [
        (line_of(text, "DEMO/00003/26"), "Date", "31/02/2026")
    ]
    assert "31/12/2025" in problems[0].reason  # what is accepted
    assert ProductAlert.objects.count() == 0


def test_future_date_unknown_risk_and_empty_value() -> None:
    text = replace_on(demo_text(), "DEMO/00008/26", "2026-09-01", "2027-01-01")
    text = replace_on(text, "DEMO/00007/26", "Damage to sight", "Teleportation")
    text = replace_on(text, "DEMO/00002/26", "Germany", "")
    problems = refused(text)
    assert [(p.line, p.column) for p in problems] == [
        (line_of(text, "DEMO/00002/26"), "Alert submitted by"),
        (line_of(text, "DEMO/00007/26"), "Risk type"),
        (line_of(text, "DEMO/00008/26"), "Date"),
    ]
    assert "Teleportation" in problems[1].reason


def test_nothing_is_changed_when_a_reimport_has_a_problem() -> None:
    run(demo_text())
    text = replace_on(demo_text(), "DEMO/00003/26", "Serious", "High")
    text = replace_on(text, "DEMO/00001/26", ",Toys,", ",Astronavi,")
    refused(text)
    assert ProductAlert.objects.get(number="DEMO/00003/26").risk_level == "serious"


def test_duplicate_number_in_the_file() -> None:
    lines = demo_text().split("\n")
    text = "\n".join([*lines[:3], lines[2]])
    problems = refused(text)
    assert [(p.line, p.column, p.value) for p in problems] == [(4, "Alert number", "DEMO/00002/26")]


def test_local_alert_is_never_overwritten(bo_manager: Any, bo_comune: Any) -> None:
    local = do_create_local_alert(bo_manager, bo_comune, **local_fields())
    row = (
        f"{local.number},01/02/2026,Italy,Altro prodotto,Marca Esempio,X,Toys,,No,"
        "Choking,Low,Testo diverso.,,\n"
    )
    lines = demo_text().split("\n")
    problems = refused("\n".join([lines[0], row]))
    assert [(p.line, p.column, p.value) for p in problems] == [(2, "Alert number", local.number)]
    local.refresh_from_db()
    assert local.product_name == "Monopattino giocattolo (test)"
    assert local.source == AlertSource.LOCAL


def test_who_may_import(bo_manager: Any, assoc_manager: Any, make_user: Callable[..., Any]) -> None:
    with pytest.raises(PermissionDenied):
        run(demo_text(), actor=bo_manager)
    assert ProductAlert.objects.count() == 0
    assert run(demo_text(), actor=assoc_manager).created == 8
    admin = make_user(username="alert_admin", is_superuser=True)
    assert run(demo_text(), actor=admin).unchanged == 8


def test_command_prints_counts() -> None:
    out = io.StringIO()
    call_command("import_product_alerts", str(DEMO), stdout=out)
    assert "8 rows; 8 added, 0 updated, 0 unchanged" in out.getvalue()
    out = io.StringIO()
    call_command("import_product_alerts", str(DEMO), stdout=out)
    assert "0 added, 0 updated, 8 unchanged" in out.getvalue()


def test_command_prints_problems_and_fails(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(replace_on(demo_text(), "DEMO/00001/26", ",Toys,", ",Astronavi,"))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_product_alerts", str(bad), stderr=err)
    assert "bad.csv:2: Product category='Astronavi'" in err.getvalue()
    assert ProductAlert.objects.count() == 0


# --- Local alerts ---------------------------------------------------------------------


def test_manager_publishes_local_alerts(bo_manager: Any, bo_comune: Any) -> None:
    first = do_create_local_alert(bo_manager, bo_comune, photo=png(), **local_fields())
    assert first.number == "LOC-037006-2026-1"
    assert first.source == AlertSource.LOCAL
    assert first.organisation == bo_comune
    assert first.published_on == TODAY
    assert first.notifying_country == "Italia"
    assert first.photo.name.startswith("alert-photos/")
    with Image.open(first.photo.open("rb")) as stored:
        assert stored.format == "PNG"
        assert stored.size == (40, 30)
    second = do_create_local_alert(
        bo_manager, bo_comune, **local_fields(published_on=dt.date(2026, 5, 2))
    )
    assert second.number == "LOC-037006-2026-2"
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_id=str(second.pk), organisation_id=bo_comune.pk
    ).exists()


def test_manager_of_another_comune_is_refused(mo_manager: Any, bo_comune: Any) -> None:
    with pytest.raises(PermissionDenied):
        do_create_local_alert(mo_manager, bo_comune, **local_fields())
    assert ProductAlert.objects.count() == 0


def test_officer_and_citizen_are_refused(
    make_user: Callable[..., Any], make_org: Callable[..., Any], bo_comune: Any
) -> None:
    police = make_org(OrganisationKind.POLICE_COMMAND, "PL Bologna (alert test)", parent=bo_comune)
    officer = make_user(police, Role.OFFICER, username="alert_officer")
    for user in (officer, make_user(username="alert_citizen")):
        with pytest.raises(PermissionDenied):
            do_create_local_alert(user, bo_comune, **local_fields())


def test_local_alert_values_are_checked(bo_manager: Any, bo_comune: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        do_create_local_alert(bo_manager, bo_comune, **local_fields(risk_level="apocalyptic"))
    assert "risk_level" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        do_create_local_alert(bo_manager, bo_comune, **local_fields(risk_types=[]))
    assert "risk_types" in caught.value.message_dict
    bad = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    with pytest.raises(ValidationError) as caught:
        do_create_local_alert(bo_manager, bo_comune, photo=bad, **local_fields())
    assert "photo" in caught.value.message_dict
    with pytest.raises(ValidationError):
        do_create_local_alert(bo_manager, bo_comune, **local_fields(number="MINE-1"))
    assert ProductAlert.objects.count() == 0


def test_update_local_alert(bo_manager: Any, mo_manager: Any, bo_comune: Any) -> None:
    local = do_create_local_alert(bo_manager, bo_comune, **local_fields())
    updated = do_update_local_alert(
        bo_manager, local, risk_level="serious", measures="Ritiro da tutti i banchi."
    )
    assert (updated.risk_level, updated.measures) == ("serious", "Ritiro da tutti i banchi.")
    assert updated.number == local.number
    with pytest.raises(PermissionDenied):
        do_update_local_alert(mo_manager, local, risk_level="low")
    assert ProductAlert.objects.get(pk=local.pk).risk_level == "serious"


def test_imported_alerts_are_not_edited_as_local(
    bo_manager: Any, make_user: Callable[..., Any]
) -> None:
    run(demo_text())
    imported = ProductAlert.objects.get(number="DEMO/00001/26")
    with pytest.raises(PermissionDenied):
        do_update_local_alert(bo_manager, imported, risk_level="low")
    admin = make_user(username="alert_admin2", is_superuser=True)
    with pytest.raises(ValidationError):
        do_update_local_alert(admin, imported, risk_level="low")
    assert ProductAlert.objects.get(pk=imported.pk).risk_level == "serious"
