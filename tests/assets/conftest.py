"""Fixtures of the confiscated-asset registry: the illustrative agency files, a comune, people."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import prossima.assets
from prossima.accounts.models import OrganisationKind, Role
from prossima.assets import actions, agency
from prossima.assets.models import Asset, AssetImport, AssetKind, HolderKind, Purpose, Stage

DATA = Path(prossima.assets.__file__).resolve().parent / "data"
DESTINED = DATA / "immobili_destinati_illustrativo.csv"
IN_MANAGEMENT = DATA / "beni_in_gestione_illustrativo.csv"
# "Today" for the registry's rules in these tests; every date in the files is earlier.
TODAY = dt.date(2025, 6, 16)


class Clock:
    """Stands in for ``actions.today`` so that a test decides what day it is."""

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def __call__(self) -> dt.date:
        return self.day


@pytest.fixture(autouse=True)
def _database(db: Any, fast_password_hashing: None) -> None:
    """Give every test here the database (rolled back after each test)."""


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Fix the registry's today (``TODAY`` unless a test moves it).

    Only ``actions.today`` is replaced: modules that imported ``today`` by name
    (``queries``) keep the real date.
    """
    fixed = Clock(TODAY)
    monkeypatch.setattr(actions, "today", fixed)
    return fixed


@pytest.fixture
def bologna_org(make_org: Callable[..., Any], bologna: Any) -> Any:
    return make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)


@pytest.fixture
def modena_org(make_org: Callable[..., Any], modena: Any) -> Any:
    return make_org(OrganisationKind.COMUNE, "Comune di Modena", comune=modena)


@pytest.fixture
def manager(make_user: Callable[..., Any], bologna_org: Any) -> Any:
    return make_user(bologna_org, Role.MANAGER, username="manager_bo")


@pytest.fixture
def analyst(make_user: Callable[..., Any], bologna_org: Any) -> Any:
    return make_user(bologna_org, Role.ANALYST, username="analyst_bo")


@pytest.fixture
def modena_manager(make_user: Callable[..., Any], modena_org: Any) -> Any:
    return make_user(modena_org, Role.MANAGER, username="manager_mo")


@pytest.fixture
def admin(make_user: Callable[..., Any]) -> Any:
    return make_user(username="platform_admin", is_superuser=True, is_staff=True)


def destined_text() -> str:
    return DESTINED.read_text(encoding="utf-8")


def management_text() -> str:
    return IN_MANAGEMENT.read_text(encoding="utf-8")


def replace_line(text: str, code: str, old: str, new: str) -> str:
    """Return ``text`` with ``old`` replaced by ``new`` on the line of asset ``code`` only."""
    lines = text.split("\n")
    (at,) = [i for i, line in enumerate(lines) if line.replace(",", ";").split(";")[0] == code]
    assert old in lines[at], f"{old!r} is not on the line of {code}"
    lines[at] = lines[at].replace(old, new, 1)
    return "\n".join(lines)


def line_of(text: str, code: str) -> int:
    """Return the line (1-based, header is 1) on which asset ``code`` is written."""
    lines = enumerate(text.split("\n"), start=1)
    return next(i for i, line in lines if line.replace(",", ";").split(";")[0] == code)


def import_text(
    actor: Any,
    text: str | bytes,
    *,
    scope: list[Any] | None,
    organisation: Any = None,
    filename: str = "immobili.csv",
    encoding: str = "auto",
) -> AssetImport:
    """Import a file with the mapping and kind the preview would guess."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    header, rows = agency.read_table(agency.decode(raw, encoding), filename)
    return actions.do_import_assets(
        actor,
        raw=raw,
        filename=filename,
        file_kind=agency.guess_file_kind(header, rows),
        columns=agency.guess_columns(header),
        scope=scope,
        organisation=organisation,
        encoding=encoding,
    )


def concession_fields(starts_on: dt.date, months: int = 24, **extra: Any) -> dict[str, Any]:
    """Return the fields of a concession to a cooperative starting on ``starts_on``."""
    fields: dict[str, Any] = {
        "holder": "Cooperativa sociale Esempio",
        "holder_kind": HolderKind.COOPERATIVE,
        "act_reference": "Determina n. 1 (esempio)",
        "subject": "Uso a fini sociali",
        "purpose": Purpose.SOCIAL,
        "starts_on": starts_on,
        "duration_months": months,
        "project_title": "Emporio solidale",
        "goals": "Distribuire beni di prima necessità.",
        "beneficiaries": "Famiglie in difficoltà",
    }
    fields.update(extra)
    return fields


def handed_over_asset(
    actor: Any,
    comune: Any,
    code: str,
    *,
    handed_over_on: dt.date,
    decree_on: dt.date | None = None,
    address: str = "",
) -> Asset:
    """Register an asset and take it through its destination and handover."""
    decree_on = decree_on or handed_over_on - dt.timedelta(days=90)
    asset = actions.do_create_asset(
        actor,
        comune,
        code=code,
        kind=AssetKind.REAL_ESTATE,
        address=address,
        stage=Stage.CONFISCATED_FINAL,
        confiscated_final_on=decree_on - dt.timedelta(days=365),
    )
    asset = actions.do_record_stage(
        actor, asset, Stage.DESTINED, decree_on, decree_number=f"{code}/D"
    )
    return actions.do_record_stage(actor, asset, Stage.HANDED_OVER, handed_over_on)
