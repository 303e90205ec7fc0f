"""Fuzz every importer: bad input gives a report, never a crash or a half-written import.

Each importer gets (a) arbitrary bytes, (b) text shaped like its format whose
cells are drawn from junk (wrong types, empty, huge or non-finite numbers,
dates in the wrong format, unicode, quotes, newlines, NUL, BOMs, other
delimiters), and (c) a valid file with one row corrupted at a random place.
Every example checks that only the importer's documented error escapes, that
the report names the line and field where its contract says so, and that the
row count of every table of the platform is unchanged after a refused import
(for the batch-transactional incident import: only the failed import record is
added, and the stored incidents are exactly the ones before).

Examples are derandomised and hypothesis keeps no example database, so CI runs
the same inputs every time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import prossima.assets
import prossima.counterfeit
from prossima.accounts.models import AuditEvent, OrganisationKind
from prossima.assets import actions as asset_actions
from prossima.assets import agency
from prossima.assets.models import Asset, AssetImport, PendingRow
from prossima.counterfeit import alerts, campaigns, seizures
from prossima.incidents.actions import IncidentImportError, do_create_dataset, do_import_incidents
from prossima.incidents.models import Import, Incident
from prossima.inclusion.actions import IndicatorFileError, do_upload_indicators
from prossima.practices.actions import SEED_FILE, do_load_seed_practices
from prossima.territory.actions import do_import_subareas
from prossima.territory.geometry import GeoJSONError
from prossima.territory.models import SubArea
from tests.security.conftest import changed_tables, rolled_back, table_counts

# Bounded and reproducible: a fixed seed per test and no example database.
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Slower importers (the practices index every text; incidents read with pandas).
FUZZ_SLOW = settings(FUZZ, max_examples=15)

COUNTERFEIT_DATA = Path(prossima.counterfeit.__file__).resolve().parent / "data"
ASSET_DATA = Path(prossima.assets.__file__).resolve().parent / "data"
ASSETS_TODAY = dt.date(2025, 6, 16)
ALERTS_TODAY = dt.date(2026, 11, 27)
SEIZURES_TODAY = dt.date(2025, 12, 31)
NOW = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)

# Cells that have broken parsers before: types, numbers, dates, encodings, CSV syntax.
TRICKY_CELLS = [
    "",
    " ",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "-0",
    "9" * 40,
    "-1",
    "1,5",
    "1.000,50",
    "0x1F",
    "²",
    "١٢",
    "٣٠/٠١/٢٠٢٥",
    "31/02/2025",
    "2025-13-01",
    "2025/02/30",
    "12/01/2026 10:00",
    "1/1/1",
    "0000-00-00",
    "99999-01-01",
    "\x00",
    "a\x00b",
    "\ufeff",
    '"',
    '""',
    'a"b',
    "a\nb",
    "a\r\nb",
    ";",
    ",",
    "\t",
    "|",
    "é",
    "Ω" * 400,
    "x" * 5000,
    "None",
    "null",
    "TRUE",
    "'; DROP TABLE x; --",
    "🙂",
    "\u202e",
]
JUNK_CELL = st.one_of(
    st.sampled_from(TRICKY_CELLS),
    st.text(max_size=12),
    st.integers().map(str),
    st.floats().map(str),
    st.dates().map(lambda d: d.strftime("%m/%d/%Y")),
)
DELIMITERS = [";", ",", "\t", "|"]


@pytest.fixture(autouse=True)
def _database(
    db: Any, fast_password_hashing: None, english: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Give every test the database and fix each importer's today, as their own tests do."""
    monkeypatch.setattr(asset_actions, "today", lambda: ASSETS_TODAY)
    monkeypatch.setattr(alerts, "today", lambda: ALERTS_TODAY)
    monkeypatch.setattr(seizures, "today", lambda: SEIZURES_TODAY)
    monkeypatch.setattr(campaigns, "today", lambda: SEIZURES_TODAY)


# --- Helpers ----------------------------------------------------------------------------


def read_csv(path: Path, delimiter: str) -> tuple[list[str], list[list[str]]]:
    """Return the header and rows of one of the illustrative files."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8")), delimiter=delimiter))
    return rows[0], [r for r in rows[1:] if r]


def write_csv(rows: list[list[str]], delimiter: str, terminator: str = "\n") -> str:
    """Return rows as CSV text (quoting what needs it)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=terminator).writerows(rows)
    return buffer.getvalue()


@st.composite
def encoded(draw: st.DrawFn, text: str) -> bytes:
    """Return text as bytes in an encoding an office might use, sometimes with a BOM."""
    if draw(st.booleans()):
        text = "\ufeff" + text
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "cp1252", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


@st.composite
def csv_like(draw: st.DrawFn, header: list[str], valid: list[list[str]], delimiter: str) -> bytes:
    """Return a file with the right header and rows of valid cells mixed with junk."""
    separator = draw(st.sampled_from([delimiter, delimiter, *DELIMITERS]))
    rows: list[list[str]] = [header]
    for _ in range(draw(st.integers(0, 4))):
        base = draw(st.sampled_from(valid))
        width = draw(st.sampled_from([len(header), len(header), 0, 1, len(header) + 2]))
        cells = [base[i] if i < len(base) else "" for i in range(width)]
        for i in range(width):
            if draw(st.integers(0, 2)) == 0:
                cells[i] = draw(JUNK_CELL)
        rows.append(cells)
    text = write_csv(rows, separator, draw(st.sampled_from(["\n", "\r\n", "\r"])))
    if draw(st.integers(0, 4)) == 0:
        # Unquoted: embedded separators, quotes and newlines reach the reader raw.
        text = "\n".join(separator.join(r) for r in rows)
    return draw(encoded(text))


@st.composite
def one_bad_row(
    draw: st.DrawFn,
    valid: list[list[str]],
    header: list[str],
    corruptions: dict[str, list[str]],
) -> tuple[list[list[str]], int, str]:
    """Return valid rows with one cell made invalid, the file line of that row and its column."""
    rows = [list(r) for r in valid]
    at = draw(st.integers(0, len(rows) - 1))
    column = draw(st.sampled_from(sorted(corruptions)))
    rows[at][header.index(column)] = draw(st.sampled_from(corruptions[column]))
    return rows, at + 2, column  # line 1 is the header


@st.composite
def one_junk_cell(
    draw: st.DrawFn, valid: list[list[str]], header: list[str], columns: list[str]
) -> list[list[str]]:
    """Return valid rows with one free-text cell replaced by junk (NUL, 5000 chars, quotes...)."""
    rows = [list(r) for r in valid]
    at = draw(st.integers(0, len(rows) - 1))
    rows[at][header.index(draw(st.sampled_from(columns)))] = draw(JUNK_CELL)
    return rows


def refused(
    call: Callable[[], Any], errors: tuple[type[BaseException], ...]
) -> tuple[Any, BaseException | None]:
    """Run an all-or-nothing import in a savepoint; check a refusal wrote nothing.

    Returns the result (or None) and the documented error raised (or None);
    any other exception propagates and fails the example.
    """
    before = table_counts()
    with rolled_back():
        try:
            return call(), None
        except errors as exc:
            assert changed_tables(before, table_counts()) == {}, "a refused import wrote rows"
            return None, exc


def problem_at(problems: list[Any], line: int, field: str) -> bool:
    """Return whether the problems name the line and, by its file name, the field.

    A bad coordinate is a bad point: the importer may name either of its columns.
    """
    fields = {field, *POINT_COLUMNS.get(field, ())}
    return any(
        p.line == line and getattr(p, "field", getattr(p, "column", "")) in fields for p in problems
    )


POINT_COLUMNS = {"lon": ("lat",), "lat": ("lon",)}


# --- Incidents (batch-transactional) ----------------------------------------------------

INCIDENT_HEADER = ["lon", "lat", "time", "category"]
INCIDENT_CORRUPTIONS = {
    "lon": ["abc", "", "200", "NaN", "inf", "1e309"],
    "lat": ["abc", "", "-91", "NaN"],
    "time": ["31/02/2024", "not a date", "2099-01-01T10:00", "", "2024-13-01T10:00"],
}


@pytest.fixture
def incident_dataset(make_org: Callable[..., Any], bologna: Any, tmp_path: Path) -> Any:
    """Return a Bologna dataset that already holds incidents, so exact rows can be compared."""
    tenant = make_org(OrganisationKind.COMUNE, "Comune di Bologna (fuzz)", comune=bologna)
    dataset = do_create_dataset(None, tenant, name="Fuzz")
    seed = tmp_path / "seed.csv"
    seed.write_text(
        "lon,lat,time,category\n11.3426,44.4939,2023-05-01T10:00,furto\n"
        "11.3400,44.4950,2023-05-02T10:00,rapina\n",
        encoding="utf-8",
    )
    assert do_import_incidents(None, dataset, seed, now=NOW).created == 2
    return dataset


def incident_rows(dataset: Any) -> list[tuple[int, str]]:
    return list(
        Incident.objects.filter(dataset=dataset).order_by("pk").values_list("pk", "fingerprint")
    )


def import_incidents(dataset: Any, path: Path, raw: bytes) -> tuple[Import | None, str]:
    """Import bytes and check the batch contract; return the record (None if refused)."""
    path.write_bytes(raw)
    before_rows = incident_rows(dataset)
    before = table_counts()
    with rolled_back():
        error: IncidentImportError | None = None
        try:
            record = do_import_incidents(None, dataset, path, now=NOW)
        except IncidentImportError as exc:
            error = exc
        if error is not None:
            # The failed import is recorded with its reason; no incident is written.
            assert path.name in str(error)
            assert changed_tables(before, table_counts()) == {Import._meta.db_table: 1}
            assert incident_rows(dataset) == before_rows
            failed = Import.objects.filter(dataset=dataset).latest("pk")
            assert failed.status == Import.Status.FAILED
            assert failed.error
            return None, str(error)
        assert record.status == Import.Status.DONE
        assert record.accepted == record.created + record.duplicates
        assert record.rows == record.accepted + record.rejected
        new = Incident.objects.filter(dataset=dataset).exclude(pk__in=[p for p, _ in before_rows])
        assert new.count() == record.created
        assert set(new.values_list("first_import", flat=True)) <= {record.pk}
        assert incident_rows(dataset)[: len(before_rows)] == before_rows
        rejects = list(csv.DictReader(io.StringIO(record.rejects_csv)))
        assert len(rejects) == record.rejected
        for reject in rejects:
            assert int(reject["line"]) >= 2, reject
        return record, record.rejects_csv


@FUZZ_SLOW
@given(raw=st.binary(max_size=400))
def test_incidents_arbitrary_bytes(incident_dataset: Any, tmp_path: Path, raw: bytes) -> None:
    import_incidents(incident_dataset, tmp_path / "fuzz.csv", raw)


@FUZZ_SLOW
@given(data=st.data())
def test_incidents_malformed_rows(incident_dataset: Any, tmp_path: Path, data: Any) -> None:
    valid = [["11.3426", "44.4939", "2024-05-01T10:00", "furto"]]
    raw = data.draw(csv_like(INCIDENT_HEADER, valid, ","))
    import_incidents(incident_dataset, tmp_path / "fuzz.csv", raw)


@FUZZ_SLOW
@given(
    points=st.lists(
        st.tuples(
            st.floats(11.33, 11.35).map(lambda v: f"{v:.5f}"),
            st.floats(44.490, 44.500).map(lambda v: f"{v:.5f}"),
            st.integers(0, 300 * 24),
        ),
        min_size=2,
        max_size=6,
        unique_by=lambda p: p[2],
    ),
    data=st.data(),
)
def test_incidents_one_bad_row_is_rejected_by_line(
    incident_dataset: Any, tmp_path: Path, points: list[tuple[str, str, int]], data: Any
) -> None:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    valid = [
        [lon, lat, (start + dt.timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M"), "furto"]
        for lon, lat, h in points
    ]
    rows, line, _column = data.draw(one_bad_row(valid, INCIDENT_HEADER, INCIDENT_CORRUPTIONS))
    raw = write_csv([INCIDENT_HEADER, *rows], ",").encode()
    record, _report = import_incidents(incident_dataset, tmp_path / "fuzz.csv", raw)
    assert record is not None, "one bad row must not refuse the whole file"
    rejects = list(csv.DictReader(io.StringIO(record.rejects_csv)))
    assert [int(r["line"]) for r in rejects] == [line]
    assert record.created == len(valid) - 1


@FUZZ_SLOW
@given(category=JUNK_CELL)
@example(category="a\x00b")
@example(category="x" * 5000)
def test_incidents_junk_category(incident_dataset: Any, tmp_path: Path, category: str) -> None:
    rows = [["11.3426", "44.4939", "2024-05-01T10:00", category]]
    raw = write_csv([INCIDENT_HEADER, *rows], ",").encode()
    import_incidents(incident_dataset, tmp_path / "fuzz.csv", raw)


# --- Confiscated assets (all-or-nothing) ------------------------------------------------

ASSET_HEADER, ASSET_ROWS = read_csv(ASSET_DATA / "immobili_destinati_illustrativo.csv", ";")
ASSET_COLUMNS = agency.guess_columns(ASSET_HEADER)
ASSET_KIND = agency.guess_file_kind(ASSET_HEADER, ASSET_ROWS)
ASSET_ERRORS = (agency.AgencyFileError, asset_actions.ImportRefusedError)
ASSET_CORRUPTIONS = {
    "decreto_data": ["31/02/2019", "2099-01-01", "ieri", "2019-13-01"],
    "decreto_anno": ["1950", "abc", "3000", "²"],
    "genere": ["Astronave", "42"],
    "fine": ["Ludico"],
    "s_bene": [""],
}


@pytest.fixture
def asset_scope(bologna: Any) -> list[Any]:
    return [bologna]


def import_assets(raw: bytes, scope: list[Any]) -> tuple[Any, BaseException | None]:
    return refused(
        lambda: asset_actions.do_import_assets(
            None,
            raw=raw,
            filename="immobili.csv",
            file_kind=ASSET_KIND,
            columns=ASSET_COLUMNS,
            scope=scope,
        ),
        ASSET_ERRORS,
    )


@FUZZ
@given(raw=st.binary(max_size=600))
def test_assets_arbitrary_bytes(asset_scope: list[Any], raw: bytes) -> None:
    import_assets(raw, asset_scope)


@FUZZ
@given(data=st.data())
def test_assets_malformed_rows(asset_scope: list[Any], data: Any) -> None:
    _result, error = import_assets(data.draw(csv_like(ASSET_HEADER, ASSET_ROWS, ";")), asset_scope)
    if isinstance(error, asset_actions.ImportRefusedError):
        assert error.problems
        assert all(p.line >= 2 and p.field for p in error.problems)


@FUZZ
@given(data=st.data())
def test_assets_one_bad_row_refuses_the_file(asset_scope: list[Any], data: Any) -> None:
    rows, line, column = data.draw(one_bad_row(ASSET_ROWS, ASSET_HEADER, ASSET_CORRUPTIONS))
    raw = write_csv([ASSET_HEADER, *rows], ";").encode()
    _result, error = import_assets(raw, asset_scope)
    assert isinstance(error, asset_actions.ImportRefusedError), error
    assert problem_at(error.problems, line, column), error.problems
    assert not (Asset.objects.exists())
    assert not (AssetImport.objects.exists())
    assert not (PendingRow.objects.exists())


@FUZZ
@given(data=st.data())
def test_assets_junk_in_free_text(asset_scope: list[Any], data: Any) -> None:
    rows = data.draw(
        one_junk_cell(ASSET_ROWS, ASSET_HEADER, ["indirizzo", "utilizzo", "tipologia"])
    )
    import_assets(write_csv([ASSET_HEADER, *rows], ";").encode(), asset_scope)


# --- Product-safety alerts (all-or-nothing) ---------------------------------------------

ALERT_HEADER, ALERT_ROWS = read_csv(COUNTERFEIT_DATA / "safety_gate_illustrativo.csv", ",")
ALERT_ERRORS = (alerts.AlertFileError, alerts.AlertImportError)
ALERT_CORRUPTIONS = {
    "Date": ["31/02/2026", "2099-01-01", "yesterday", ""],
    "Risk level": ["Tremendous", "42"],
    "Product category": ["Aquiloni"],
    "Alert number": [""],
}


def import_alerts(raw: bytes) -> tuple[Any, BaseException | None]:
    return refused(
        lambda: alerts.do_import_alerts(None, raw=raw, filename="export.csv"), ALERT_ERRORS
    )


@FUZZ
@given(raw=st.binary(max_size=600))
def test_alerts_arbitrary_bytes(raw: bytes) -> None:
    import_alerts(raw)


@FUZZ
@given(data=st.data())
def test_alerts_malformed_rows(data: Any) -> None:
    _result, error = import_alerts(data.draw(csv_like(ALERT_HEADER, ALERT_ROWS, ",")))
    if isinstance(error, alerts.AlertImportError):
        assert error.problems
        assert all(p.line >= 1 and p.column for p in error.problems)


@FUZZ
@given(data=st.data())
def test_alerts_one_bad_row_refuses_the_file(data: Any) -> None:
    rows, line, column = data.draw(one_bad_row(ALERT_ROWS, ALERT_HEADER, ALERT_CORRUPTIONS))
    _result, error = import_alerts(write_csv([ALERT_HEADER, *rows], ",").encode())
    assert isinstance(error, alerts.AlertImportError), error
    assert problem_at(error.problems, line, column), error.problems


@FUZZ
@given(data=st.data())
def test_alerts_junk_in_free_text(data: Any) -> None:
    rows = data.draw(one_junk_cell(ALERT_ROWS, ALERT_HEADER, ["Product", "Brand", "Description"]))
    import_alerts(write_csv([ALERT_HEADER, *rows], ",").encode())


# --- Seizures (all-or-nothing) ----------------------------------------------------------

SEIZURE_HEADER, SEIZURE_ROWS = read_csv(COUNTERFEIT_DATA / "sequestri_esempio.csv", ";")
SEIZURE_ERRORS = (seizures.SeizureFileError, seizures.SeizureImportRefusedError)
SEIZURE_CORRUPTIONS = {
    "quantita": ["-60", "abc", "0", "NaN", "9" * 40],
    "valore_unitario": ["-1", "abc", "inf", "9" * 40],
    "luogo": ["spiaggia"],
    "categoria": ["aquiloni"],
    "unita_di_misura": ["barili"],
    "lon": ["200", "abc"],
}


@pytest.fixture
def seizure_tenant(make_org: Callable[..., Any], bologna: Any) -> Any:
    return make_org(OrganisationKind.COMUNE, "Comune di Bologna (fuzz)", comune=bologna)


def import_seizures(tenant: Any, raw: bytes) -> tuple[Any, BaseException | None]:
    return refused(
        lambda: seizures.do_import_seizures(None, tenant, raw=raw, filename="sequestri.csv"),
        SEIZURE_ERRORS,
    )


@FUZZ
@given(raw=st.binary(max_size=600))
def test_seizures_arbitrary_bytes(seizure_tenant: Any, raw: bytes) -> None:
    import_seizures(seizure_tenant, raw)


@FUZZ
@given(data=st.data())
def test_seizures_malformed_rows(seizure_tenant: Any, data: Any) -> None:
    raw = data.draw(csv_like(SEIZURE_HEADER, SEIZURE_ROWS, ";"))
    _result, error = import_seizures(seizure_tenant, raw)
    if isinstance(error, seizures.SeizureImportRefusedError):
        assert error.problems
        assert all(p.line >= 2 and p.field for p in error.problems)


@FUZZ
@given(data=st.data())
def test_seizures_one_bad_row_refuses_the_file(seizure_tenant: Any, data: Any) -> None:
    rows, line, column = data.draw(one_bad_row(SEIZURE_ROWS, SEIZURE_HEADER, SEIZURE_CORRUPTIONS))
    _result, error = import_seizures(
        seizure_tenant, write_csv([SEIZURE_HEADER, *rows], ";").encode()
    )
    assert isinstance(error, seizures.SeizureImportRefusedError), error
    assert problem_at(error.problems, line, column), error.problems


@FUZZ
@given(data=st.data())
def test_seizures_junk_in_free_text(seizure_tenant: Any, data: Any) -> None:
    free = ["reparto", "indirizzo", "marchio", "note", "riferimento"]
    rows = data.draw(one_junk_cell(SEIZURE_ROWS, SEIZURE_HEADER, free))
    import_seizures(seizure_tenant, write_csv([SEIZURE_HEADER, *rows], ";").encode())


# --- Awareness campaigns (all-or-nothing) -----------------------------------------------

CAMPAIGN_HEADER, CAMPAIGN_ROWS = read_csv(COUNTERFEIT_DATA / "campagne_esempio.csv", ";")
CAMPAIGN_ERRORS = (campaigns.CampaignFileError, campaigns.CampaignImportRefusedError)
CAMPAIGN_CORRUPTIONS = {
    "canali": ["piccioni viaggiatori", "social|piccioni"],
    "inizio": ["31/02/2025", "ieri"],
    "fine": ["01/01/2000", "2025-13-01"],
    "pubblico": ["marziani"],
    "persone_raggiunte": ["-5", "abc", "²", "9" * 40],
}


def import_campaigns(tenant: Any, raw: bytes) -> tuple[Any, BaseException | None]:
    return refused(
        lambda: campaigns.do_import_campaigns(None, tenant, raw, "campagne.csv"), CAMPAIGN_ERRORS
    )


@FUZZ
@given(raw=st.binary(max_size=600))
def test_campaigns_arbitrary_bytes(seizure_tenant: Any, raw: bytes) -> None:
    import_campaigns(seizure_tenant, raw)


@FUZZ
@given(data=st.data())
def test_campaigns_malformed_rows(seizure_tenant: Any, data: Any) -> None:
    raw = data.draw(csv_like(CAMPAIGN_HEADER, CAMPAIGN_ROWS, ";"))
    _result, error = import_campaigns(seizure_tenant, raw)
    if isinstance(error, campaigns.CampaignImportRefusedError):
        assert error.problems
        assert all(p.line >= 2 and p.field for p in error.problems)


@FUZZ
@given(data=st.data())
def test_campaigns_one_bad_row_refuses_the_file(seizure_tenant: Any, data: Any) -> None:
    rows, line, column = data.draw(
        one_bad_row(CAMPAIGN_ROWS, CAMPAIGN_HEADER, CAMPAIGN_CORRUPTIONS)
    )
    raw = write_csv([CAMPAIGN_HEADER, *rows], ";").encode()
    _result, error = import_campaigns(seizure_tenant, raw)
    assert isinstance(error, campaigns.CampaignImportRefusedError), error
    assert problem_at(error.problems, line, column), error.problems


@FUZZ
@given(data=st.data())
def test_campaigns_junk_in_free_text(seizure_tenant: Any, data: Any) -> None:
    free = ["tema", "descrizione", "note_copertura"]
    rows = data.draw(one_junk_cell(CAMPAIGN_ROWS, CAMPAIGN_HEADER, free))
    import_campaigns(seizure_tenant, write_csv([CAMPAIGN_HEADER, *rows], ";").encode())


# --- Sub-area boundaries (all-or-nothing) -----------------------------------------------


def square(code: str, lon: float, lat: float, d: float = 0.005) -> dict[str, Any]:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": f"Zona {code}"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


ZONES = [square(f"Z{i}", 11.30 + 0.012 * i, 44.49) for i in range(4)]
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from(TRICKY_CELLS)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
FEATURE_CORRUPTIONS: dict[str, list[Any]] = {
    "properties": [None, [], "code", {"name": "no code"}, {"code": ""}, {"code": None}],
    "geometry": [
        None,
        "Polygon",
        {"type": "Point", "coordinates": [11.3, 44.5]},
        {"type": "Polygon", "coordinates": [[[11.3, 44.5]]]},
        {"type": "Polygon", "coordinates": "x"},
        {"type": "Polygon", "coordinates": [[[1e400, 44.5], [11.3, 1e400], [11.3, 44.5]]]},
        {"type": "Polygon", "coordinates": [[[200, 44], [201, 44], [201, 45], [200, 44]]]},
        square("far", 12.49, 41.90)["geometry"],  # Rome: outside Bologna
    ],
}


def import_subareas(comune: Any, text: str) -> tuple[Any, BaseException | None]:
    return refused(
        lambda: do_import_subareas(None, comune, text, filename="quartieri.geojson"),
        (GeoJSONError,),
    )


@FUZZ
@given(raw=st.binary(max_size=400))
def test_subareas_arbitrary_text(bologna: Any, raw: bytes) -> None:
    import_subareas(bologna, raw.decode("utf-8", errors="replace"))


@FUZZ
@given(
    features=st.lists(
        st.fixed_dictionaries(
            {"type": st.just("Feature"), "properties": JSON_VALUES, "geometry": JSON_VALUES}
        )
        | st.sampled_from(ZONES)
        | JSON_VALUES,
        max_size=4,
    ),
    wrapper=st.sampled_from(["FeatureCollection", "Feature", "Polygon", ""]),
)
def test_subareas_malformed_features(bologna: Any, features: list[Any], wrapper: str) -> None:
    text = json.dumps({"type": wrapper, "features": features}, allow_nan=True)
    import_subareas(bologna, text)


@FUZZ
@given(
    at=st.integers(0, len(ZONES) - 1),
    part=st.sampled_from(sorted(FEATURE_CORRUPTIONS)),
    data=st.data(),
)
def test_subareas_one_bad_feature_refuses_the_file(
    bologna: Any, at: int, part: str, data: Any
) -> None:
    features = [dict(f) for f in ZONES]
    features[at][part] = data.draw(st.sampled_from(FEATURE_CORRUPTIONS[part]))
    text = json.dumps({"type": "FeatureCollection", "features": features})
    _result, error = import_subareas(bologna, text)
    assert isinstance(error, GeoJSONError), error
    message = str(error)
    assert "quartieri.geojson" in message
    assert f"feature {at + 1}:" in message or f"Z{at}" in message, message
    assert not SubArea.objects.filter(comune=bologna, code__startswith="Z").exists()


@FUZZ
@given(at=st.integers(0, len(ZONES) - 1), key=st.sampled_from(["code", "name"]), value=JUNK_CELL)
@example(at=0, key="code", value="x" * 100)
@example(at=1, key="name", value="x" * 5000)
@example(at=2, key="code", value="a\x00b")
def test_subareas_junk_code_or_name(bologna: Any, at: int, key: str, value: str) -> None:
    features = [json.loads(json.dumps(f)) for f in ZONES]
    features[at]["properties"][key] = value
    import_subareas(bologna, json.dumps({"type": "FeatureCollection", "features": features}))


# --- Indicators uploaded by a comune (all-or-nothing) -----------------------------------

INDICATOR_HEADER = ["subarea_code", "year", "living_alone_share", "foreign_share", "elderly"]
INDICATOR_ROWS = [[f"Z{i}", "2025", "0.25", "0,10", str(100 + i)] for i in range(4)]
INDICATOR_CORRUPTIONS = {
    "subarea_code": ["ZZ", ""],
    "year": ["abc", "2025.5", "-1", "99999", "²"],
    "living_alone_share": ["1.5", "-0.1", "abc", "NaN", "inf"],
    "elderly": ["-1", "x", "1e309"],
}


@pytest.fixture
def indicator_tenant(make_org: Callable[..., Any], bologna: Any) -> Any:
    do_import_subareas(None, bologna, json.dumps({"type": "FeatureCollection", "features": ZONES}))
    return make_org(OrganisationKind.COMUNE, "Comune di Bologna (fuzz)", comune=bologna)


def upload_indicators(tenant: Any, raw: bytes) -> tuple[Any, BaseException | None]:
    result, error = refused(
        lambda: do_upload_indicators(None, tenant, raw, filename="indicatori.csv"),
        (IndicatorFileError,),
    )
    if error is not None:
        assert any("indicatori.csv" in m for m in error.messages), error.messages  # type: ignore[attr-defined]
    return result, error


@FUZZ
@given(raw=st.binary(max_size=400))
def test_indicators_arbitrary_bytes(indicator_tenant: Any, raw: bytes) -> None:
    upload_indicators(indicator_tenant, raw)


@FUZZ
@given(data=st.data())
def test_indicators_malformed_rows(indicator_tenant: Any, data: Any) -> None:
    raw = data.draw(csv_like(INDICATOR_HEADER, INDICATOR_ROWS, ";"))
    upload_indicators(indicator_tenant, raw)


@FUZZ
@given(data=st.data())
def test_indicators_one_bad_row_refuses_the_file(indicator_tenant: Any, data: Any) -> None:
    rows, line, column = data.draw(
        one_bad_row(INDICATOR_ROWS, INDICATOR_HEADER, INDICATOR_CORRUPTIONS)
    )
    raw = write_csv([INDICATOR_HEADER, *rows], data.draw(st.sampled_from([";", ","]))).encode()
    _result, error = upload_indicators(indicator_tenant, raw)
    assert isinstance(error, IndicatorFileError), error
    assert any(f"line {line}, {column}" in m for m in error.messages), error.messages


# --- Good practices (all-or-nothing) ----------------------------------------------------

SEED = json.loads(SEED_FILE.read_text(encoding="utf-8"))[:2]
PRACTICE_CORRUPTIONS: dict[str, list[Any]] = {
    "rating": ["miracolosa", 42, None],
    "title": ["", None, 5, ["a"], "x" * 5000],
    "language": ["klingon", 1],
    "comune_istat": ["999999", 37006, ["037006"]],
    "problems": ["not-a-list", [1, 2], None, [{"a": 1}]],
    "start_year": ["abc", -5, 1e309],
    "cost_eur": ["a lot", -1, float("nan")],
    "links": ["not a list", [1], None],
}


@pytest.fixture
def institute(make_org: Callable[..., Any]) -> Any:
    return make_org(OrganisationKind.RESEARCH_INSTITUTE, "Istituto di ricerca (fuzz)")


def load_practices(institute: Any, path: Path, raw: bytes) -> tuple[Any, BaseException | None]:
    path.write_bytes(raw)
    result, error = refused(lambda: do_load_seed_practices(institute, path), (ValidationError,))
    if error is not None:
        assert all(m.startswith(path.name) for m in error.messages), error.messages  # type: ignore[attr-defined]
    return result, error


@FUZZ
@given(raw=st.binary(max_size=400))
def test_practices_arbitrary_bytes(institute: Any, tmp_path: Path, raw: bytes) -> None:
    load_practices(institute, tmp_path / "pratiche.json", raw)


@FUZZ_SLOW
@given(
    records=st.lists(
        st.builds(
            lambda base, changes: {**base, **changes},
            st.sampled_from(SEED),
            st.dictionaries(st.sampled_from(sorted(SEED[0])), JSON_VALUES, max_size=3),
        )
        | JSON_VALUES,
        max_size=3,
    )
)
def test_practices_malformed_records(institute: Any, tmp_path: Path, records: list[Any]) -> None:
    raw = json.dumps(records, allow_nan=True).encode()
    load_practices(institute, tmp_path / "pratiche.json", raw)


@FUZZ_SLOW
@given(
    at=st.integers(0, len(SEED) - 1),
    field=st.sampled_from(sorted(PRACTICE_CORRUPTIONS)),
    data=st.data(),
)
def test_practices_one_bad_record_refuses_the_file(
    institute: Any, tmp_path: Path, at: int, field: str, data: Any
) -> None:
    records = [dict(r) for r in SEED]
    records[at][field] = data.draw(st.sampled_from(PRACTICE_CORRUPTIONS[field]))
    path = tmp_path / "pratiche.json"
    _result, error = load_practices(institute, path, json.dumps(records).encode())
    assert isinstance(error, ValidationError), error
    where = f"pratiche.json, {at + 1} ({SEED[at]['slug']})"
    assert any(m.startswith(where) for m in error.messages), error.messages


def test_audit_log_is_among_the_counted_tables() -> None:
    """Check the table count covers the audit log, which every import writes."""
    assert AuditEvent._meta.db_table in table_counts()


# --- Regressions: inputs the fuzzing found crashing -------------------------------------


def test_lone_carriage_return_is_a_file_error_not_a_crash(seizure_tenant: Any) -> None:
    """Check a CSV the csv module stops on (UTF-16 read as cp1252) is refused by name."""
    raw = b"s_bene;genere\r\x00\nI-1;Immobile\n"
    _result, error = import_assets(raw, [seizure_tenant.comune])
    assert isinstance(error, agency.AgencyFileError)
    assert "immobili.csv, line 1" in str(error)
    raw = b"riferimento;data\rx;y\nA;14/03/2025\n"
    _result, error = import_seizures(seizure_tenant, raw)
    assert isinstance(error, seizures.SeizureFileError)
    _result, error = import_campaigns(seizure_tenant, raw)
    assert isinstance(error, campaigns.CampaignFileError)


def test_superscript_digit_year_is_a_problem(asset_scope: list[Any]) -> None:
    """Check "²" (a digit to str.isdigit, not to int) is reported on its line and column."""
    rows = [list(r) for r in ASSET_ROWS]
    rows[0][ASSET_HEADER.index("decreto_anno")] = "²"
    _result, error = import_assets(write_csv([ASSET_HEADER, *rows], ";").encode(), asset_scope)
    assert isinstance(error, asset_actions.ImportRefusedError)
    assert problem_at(error.problems, 2, "decreto_anno")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"subarea_code\nZ0\n", "indicator columns"),  # the sniffer found no separator
        (b"subarea_code;year;elderly\nZ0;2025;1\rZ1;2025;2\n", "line"),  # lone CR mid-file
        (b"subarea_code;year;elderly\nZ0;-1;1\n", "line 2, year"),  # CHECK year >= 0
        (b"subarea_code;year;elderly\nZ0;99999;1\n", "line 2, year"),  # smallint overflow
    ],
)
def test_indicator_files_that_crashed_are_refused(
    indicator_tenant: Any, raw: bytes, expected: str
) -> None:
    _result, error = upload_indicators(indicator_tenant, raw)
    assert isinstance(error, IndicatorFileError)
    assert any(expected in m for m in error.messages), error.messages


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ("code", "feature 1: property 'code'"),  # a string: "code" in "code" held
        ([None], "feature 1: property 'code'"),  # a list: its items were sorted as names
        ({"code": "x" * 100}, "feature 1: property 'code' has 100 characters"),  # varchar(64)
        ({"code": "Z\x00"}, "feature 1: property 'code'"),  # PostgreSQL refuses NUL
        ({"code": "Z9", "name": "n" * 300}, "feature 1: property 'name' has 300"),
    ],
)
def test_subarea_properties_that_crashed_are_refused(
    bologna: Any, properties: Any, expected: str
) -> None:
    features = [json.loads(json.dumps(f)) for f in ZONES]
    features[0]["properties"] = properties
    _result, error = import_subareas(
        bologna, json.dumps({"type": "FeatureCollection", "features": features})
    )
    assert isinstance(error, GeoJSONError)
    assert expected in str(error)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("summary", None),  # .strip() on None
        ("title", 5),  # .strip() on an int
        ("links", None),  # NOT NULL at the database
        ("area_type", None),  # NOT NULL at the database
        ("links", ["https://example.org"]),  # .get() on a string
        ("problems", [1, 2]),  # joined as text
        ("target_groups", None),  # iterated
        ("start_year", "2020"),  # compared with an int
        ("start_year", 1e309),  # infinity to int
    ],
)
def test_practice_values_of_the_wrong_type_are_named(
    institute: Any, tmp_path: Path, field: str, value: Any
) -> None:
    records = [dict(r) for r in SEED]
    records[1][field] = value
    path = tmp_path / "pratiche.json"
    _result, error = load_practices(institute, path, json.dumps(records).encode())
    assert isinstance(error, ValidationError)
    where = f"pratiche.json, 2 ({SEED[1]['slug']}): {field}:"
    assert any(m.startswith(where) for m in error.messages), error.messages


def test_nul_in_an_incident_category_is_stored_replaced(
    incident_dataset: Any, tmp_path: Path
) -> None:
    """Check PostgreSQL, which refuses NUL in text, gets U+FFFD in its place."""
    raw = b"lon,lat,time,category\n11.3426,44.4939,2024-05-01T10:00,fur\x00to\n"
    record, _report = import_incidents(incident_dataset, tmp_path / "nul.csv", raw)
    assert record is not None
    assert record.created == 1
    assert "fur\ufffdto" in record.summary["categories"]
