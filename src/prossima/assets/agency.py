"""Read the national agency's (ANBSC) open-data files of confiscated assets.

The agency publishes three CSV files: destined real estate, destined companies
and assets still in management. Their columns have changed over the years and
regional copies rename them, so a file is read through a *column mapping*
(our field -> the file's column), guessed from the header and confirmed by the
person importing. Every value is checked here; a problem names the line, the
field, the value, and what is accepted. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prossima.assets.models import (
    STAGE_DATE_FIELD,
    AssetKind,
    FileKind,
    Purpose,
    RealEstateCategory,
    Stage,
)

# Our fields, their labels, and the column names the agency and its re-publishers use.
FIELDS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "code": (
        gettext_lazy("Agency code"),
        ("s_bene", "codice_bene", "cod_bene", "id_bene", "codice"),
    ),
    "kind": (gettext_lazy("Kind (genere)"), ("genere", "tipo_bene")),
    "region": (gettext_lazy("Region"), ("regione",)),
    "province": (gettext_lazy("Province"), ("provincia", "sigla_provincia")),
    "comune": (gettext_lazy("Comune"), ("comune", "denominazione_comune")),
    "istat_code": (
        gettext_lazy("ISTAT code of the comune"),
        ("codice_istat", "cod_istat", "istat", "codice_comune", "pro_com_t", "pro_com"),
    ),
    "address": (gettext_lazy("Address"), ("indirizzo", "ubicazione")),
    "category": (gettext_lazy("Category"), ("categoria",)),
    "subcategory": (gettext_lazy("Sub-category"), ("sottocategoria", "sotto_categoria")),
    "typology": (gettext_lazy("Type"), ("tipologia",)),
    "sector": (
        gettext_lazy("Economic sector"),
        ("settore", "settore_attivita", "attivita", "ateco"),
    ),
    "recipient": (gettext_lazy("Destined to"), ("destinatario", "ente_destinatario")),
    "purpose": (gettext_lazy("Purpose (fine)"), ("fine", "finalita")),
    "current_use": (gettext_lazy("Use"), ("utilizzo", "uso")),
    "decree_number": (gettext_lazy("Decree number"), ("decreto_numero", "numero_decreto")),
    "decree_year": (gettext_lazy("Decree year"), ("decreto_anno", "anno_decreto")),
    "decree_date": (gettext_lazy("Decree date"), ("decreto_data", "data_decreto")),
    "measure": (gettext_lazy("Measure (provvedimento)"), ("provvedimento", "stato_procedura")),
    "measure_date": (gettext_lazy("Date of the measure"), ("data_provvedimento",)),
    "sheet": (gettext_lazy("Cadastral sheet"), ("foglio",)),
    "parcel": (gettext_lazy("Cadastral parcel"), ("particella", "mappale")),
    "sub": (gettext_lazy("Cadastral unit"), ("subalterno", "sub")),
    "surface": (gettext_lazy("Surface (m²)"), ("superficie", "superficie_mq", "mq")),
    "lat": (gettext_lazy("Latitude"), ("lat", "latitudine", "latitude")),
    "lon": (gettext_lazy("Longitude"), ("lon", "lng", "longitudine", "longitude")),
}
REQUIRED = ("code",)
# Either the comune's name or its ISTAT code must be mapped.
PLACE_FIELDS = ("comune", "istat_code")

MEASURES: dict[str, str] = {
    "sequestro": Stage.SEIZED,
    "confisca i": Stage.CONFISCATED_FIRST,
    "confisca primo grado": Stage.CONFISCATED_FIRST,
    "confisca di primo grado": Stage.CONFISCATED_FIRST,
    "confisca ii": Stage.CONFISCATED_APPEAL,
    "confisca secondo grado": Stage.CONFISCATED_APPEAL,
    "confisca di secondo grado": Stage.CONFISCATED_APPEAL,
    "confisca def": Stage.CONFISCATED_FINAL,
    "confisca definitiva": Stage.CONFISCATED_FINAL,
    "destinato": Stage.DESTINED,
    "destinata": Stage.DESTINED,
}
PURPOSES: dict[str, str] = {
    "sociale": Purpose.SOCIAL,
    "sociali": Purpose.SOCIAL,
    "finalita sociali": Purpose.SOCIAL,
    "istituzionale": Purpose.INSTITUTIONAL,
    "istituzionali": Purpose.INSTITUTIONAL,
    "finalita istituzionali": Purpose.INSTITUTIONAL,
    "economico": Purpose.ECONOMIC,
    "economica": Purpose.ECONOMIC,
    "lucrativo": Purpose.ECONOMIC,
    "lucrativa": Purpose.ECONOMIC,
    "reddituale": Purpose.ECONOMIC,
}
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
# Italy's extent with a margin: a point outside is a swapped or mistyped coordinate.
ITALY_BBOX = (6.0, 35.0, 19.0, 47.5)


class AgencyFileError(ValueError):
    """Raised when a file cannot be read at all; the message says why."""


@dataclass
class RowProblem:
    """One value that cannot be used."""

    line: int
    field: str
    value: str
    reason: str


@dataclass
class AgencyRow:
    """One row of the file with checked, normalised values."""

    line: int
    values: dict[str, Any]


@dataclass
class ParsedFile:
    """The checked rows of a file and the problems found."""

    rows: list[AgencyRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def normalise(text: str) -> str:
    """Return text lower-cased, without accents, with single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"\s+", " ", plain).strip()


def header_key(name: str) -> str:
    """Return a column name in the form used for guessing (``Codice Bene`` -> ``codice_bene``)."""
    return re.sub(r"[^a-z0-9]+", "_", normalise(name)).strip("_")


def decode(raw: bytes, encoding: str = "auto") -> str:
    """Return the text of a file: UTF-8 (with or without BOM), else Windows-1252."""
    if encoding != "auto":
        return raw.decode(encoding)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Files saved from Excel on Windows, as the agency's often are.
        return raw.decode("cp1252")


def read_table(text: str, filename: str) -> tuple[list[str], list[list[str]]]:
    """Return the header and the rows of CSV text, detecting the delimiter."""
    header, rows, _lines = read_table_lines(text, filename)
    return header, rows


def _syntax_error(filename: str, line: int, exc: csv.Error) -> AgencyFileError:
    return AgencyFileError(
        _("%(file)s, line %(line)s: the CSV cannot be read (%(error)s).")
        % {"file": filename, "line": line, "error": exc}
    )


def read_table_lines(text: str, filename: str) -> tuple[list[str], list[list[str]], list[int]]:
    """Return the header, the rows, and the line of the file each row starts on.

    Blank rows are left out, and a quoted value may span lines, so a row's
    position in the list is not its line in the file; problems name the latter.
    """
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t", "|"), key=first.count)
    if first.count(delimiter) == 0:
        raise AgencyFileError(
            _(
                "%(file)s: the first line has no column separator. Accepted: CSV with a header "
                "line, separated by semicolons, commas or tabs."
            )
            % {"file": filename}
        )
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise AgencyFileError(_("%(file)s: the file is empty.") % {"file": filename}) from exc
    except csv.Error as exc:
        raise _syntax_error(filename, max(reader.line_num, 1), exc) from exc
    rows: list[list[str]] = []
    lines: list[int] = []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # A lone carriage return (old Mac line ends, or UTF-16 read as one byte
            # per character) stops the csv module; the file is refused, not crashed on.
            raise _syntax_error(filename, start, exc) from exc
        if any(cell.strip() for cell in row):
            rows.append(row)
            lines.append(start)
    if not rows:
        raise AgencyFileError(
            _("%(file)s: the file has a header but no rows.") % {"file": filename}
        )
    return [h.strip() for h in header], rows, lines


def guess_columns(header: list[str]) -> dict[str, str]:
    """Return our field -> the file's column, for the columns recognised by name."""
    by_key = {header_key(h): h for h in header}
    guessed: dict[str, str] = {}
    for name, (_label, synonyms) in FIELDS.items():
        for synonym in synonyms:
            if synonym in by_key:
                guessed[name] = by_key[synonym]
                break
    return guessed


def guess_file_kind(header: list[str], rows: list[list[str]]) -> str:
    """Return the kind of agency file this most probably is."""
    keys = {header_key(h) for h in header}
    if keys & {"provvedimento", "stato_procedura"}:
        return FileKind.IN_MANAGEMENT
    genere_at = next((i for i, h in enumerate(header) if header_key(h) == "genere"), None)
    if genere_at is not None:
        values = {normalise(r[genere_at]) for r in rows[:200] if genere_at < len(r)} - {""}
        if values and all(v.startswith("aziend") for v in values):
            return FileKind.DESTINED_COMPANIES
    if keys & {"settore", "settore_attivita", "ateco"} and "categoria" not in keys:
        return FileKind.DESTINED_COMPANIES
    return FileKind.DESTINED_REAL_ESTATE


def check_mapping(columns: dict[str, str], header: list[str]) -> list[str]:
    """Return what is wrong with a column mapping (empty when it can be used)."""
    problems = []
    for name in REQUIRED:
        if not columns.get(name):
            problems.append(_("Choose the column of: %(field)s.") % {"field": FIELDS[name][0]})
    if not any(columns.get(name) for name in PLACE_FIELDS):
        problems.append(_("Choose the column of the comune's name or of its ISTAT code."))
    for name, column in columns.items():
        if column and column not in header:
            problems.append(
                _("%(field)s: the file has no column %(column)s.")
                % {"field": FIELDS[name][0], "column": column}
            )
    return problems


def _date(text: str) -> date:
    for fmt in DATE_FORMATS:
        try:
            # Only the date is kept, so no time zone is involved.
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise ValueError(_("not a date; accepted: 31/12/2024 or 2024-12-31"))


def _decimal(text: str) -> Decimal:
    cleaned = text.replace(" ", "")
    # "1.234,56" (Italian) and "1234.56" are both common in these files.
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(_("not a number; accepted: 120,5 or 120.5")) from exc
    if value < 0:
        raise ValueError(_("must not be negative"))
    return value


def real_estate_category(text: str) -> str:
    """Return our real-estate category for the agency's wording, OTHER when none fits."""
    words = normalise(text)
    if "abitazion" in words or "residenzial" in words or "villa" in words:
        return RealEstateCategory.HOUSING
    if "terren" in words or "agricol" in words or "fondo" in words:
        return RealEstateCategory.LAND
    if "commercial" in words or "industrial" in words or "artigian" in words:
        return RealEstateCategory.COMMERCIAL
    if "collettiv" in words or "alberg" in words:
        return RealEstateCategory.COLLECTIVE
    return RealEstateCategory.OTHER


def _kind(text: str, file_kind: str) -> str:
    words = normalise(text)
    if not words:
        return (
            AssetKind.COMPANY if file_kind == FileKind.DESTINED_COMPANIES else AssetKind.REAL_ESTATE
        )
    if words.startswith("aziend") or words.startswith("societ"):
        return AssetKind.COMPANY
    if words.startswith(("immobil", "terren", "fabbricat", "bene immobile")):
        return AssetKind.REAL_ESTATE
    raise ValueError(_("unknown kind; accepted: Immobile, Azienda"))


def _lookup(table: dict[str, str], text: str, accepted: str) -> str:
    key = normalise(text).rstrip(".")
    if key in table:
        return table[key]
    raise ValueError(_("unknown value; accepted: %(accepted)s") % {"accepted": accepted})


def parse_rows(
    header: list[str],
    rows: list[list[str]],
    columns: dict[str, str],
    file_kind: str,
    today: date,
    lines: list[int] | None = None,
) -> ParsedFile:
    """Check every row of a file read through ``columns`` and normalise its values.

    ``lines`` gives the line of the file each row starts on (see
    ``read_table_lines``); without it, rows are taken to follow the header
    one per line.
    """
    index = {name: header.index(column) for name, column in columns.items() if column}
    result = ParsedFile()
    first_line: dict[str, int] = {}
    for offset, raw in enumerate(rows):
        line = lines[offset] if lines is not None else offset + 2  # line 1 is the header
        cells = {name: (raw[i].strip() if i < len(raw) else "") for name, i in index.items()}
        problems: list[RowProblem] = []

        def problem(
            name: str,
            reason: str,
            cells: dict[str, str] = cells,
            line: int = line,
            problems: list[RowProblem] = problems,
        ) -> None:
            problems.append(RowProblem(line, columns.get(name, name), cells.get(name, ""), reason))

        values: dict[str, Any] = {}
        code = cells.get("code", "")
        if not code:
            problem("code", _("the agency code is empty"))
        elif code in first_line:
            problem(
                "code",
                _("the same code is on line %(line)s; each asset must appear once")
                % {"line": first_line[code]},
            )
        else:
            first_line[code] = line
        values["code"] = code
        try:
            values["kind"] = _kind(cells.get("kind", ""), file_kind)
        except ValueError as exc:
            problem("kind", str(exc))
        for name in ("region", "province", "comune", "address", "subcategory", "typology"):
            values[name] = cells.get(name, "")
        for name in ("sector", "recipient", "current_use"):
            values[name] = cells.get(name, "")
        istat = cells.get("istat_code", "")
        if istat:
            if not istat.isdigit() or len(istat) > 6:
                problem("istat_code", _("an ISTAT code has up to six digits, e.g. 082053"))
            values["istat_code"] = istat.zfill(6)
        if not values["comune"] and not istat:
            problem(
                "comune" if "comune" in columns else "istat_code",
                _("neither the comune's name nor its ISTAT code is given"),
            )
        category_text = cells.get("category", "")
        values["category_source"] = category_text
        values["category"] = (
            real_estate_category(category_text or values["subcategory"])
            if values.get("kind") == AssetKind.REAL_ESTATE
            else ""
        )
        if cells.get("purpose"):
            try:
                values["destination_purpose"] = _lookup(
                    PURPOSES, cells["purpose"], "Sociale, Istituzionale, Economico / Lucrativo"
                )
            except ValueError as exc:
                if values.get("kind") == AssetKind.COMPANY:
                    # A company is rented, sold or wound up (art. 48 c.8): kept as written.
                    values["destination_mode"] = cells["purpose"]
                else:
                    problem("purpose", str(exc))
        dates: dict[str, date] = {}
        for name in ("decree_date", "measure_date"):
            if cells.get(name):
                try:
                    dates[name] = _date(cells[name])
                except ValueError as exc:
                    problem(name, str(exc))
                    continue
                if dates[name] > today:
                    problem(
                        name,
                        _("the date is in the future; accepted: dates up to %(today)s")
                        % {"today": today.strftime("%d/%m/%Y")},
                    )
        number = cells.get("decree_number", "")
        year = cells.get("decree_year", "")
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        if year and not (year.isdecimal() and 1982 <= int(year) <= today.year):
            # 1982: law 646/1982 (Rognoni-La Torre) introduced confiscation of mafia assets.
            problem("decree_year", _("a year from 1982 to this year is accepted"))
        elif year and "decree_date" in dates and dates["decree_date"].year != int(year):
            problem("decree_year", _("the year differs from the decree's date"))
        if number and year and not number.endswith(f"/{year}"):
            number = f"{number}/{year}"
        values["destination_decree_number"] = number
        if "decree_date" in dates:
            values["destination_decree_date"] = dates["decree_date"].isoformat()
        stage = ""
        if cells.get("measure"):
            try:
                stage = _lookup(
                    MEASURES, cells["measure"], "Sequestro, Confisca I, Confisca II, Confisca def."
                )
            except ValueError as exc:
                problem("measure", str(exc))
        elif file_kind != FileKind.IN_MANAGEMENT:
            # The agency lists an asset as destined once the decree is signed.
            stage = Stage.DESTINED
        if stage == Stage.DESTINED and "measure_date" in dates and "decree_date" not in dates:
            values["destination_decree_date"] = dates["measure_date"].isoformat()
        elif stage and stage != Stage.DESTINED and "measure_date" in dates:
            # For a destined asset the decree's own date, when given, is the stage's date.
            date_field = STAGE_DATE_FIELD.get(stage)
            if date_field:
                values[date_field] = dates["measure_date"].isoformat()
        values["stage"] = stage
        for name, target in (("sheet", "cadastral_sheet"), ("parcel", "cadastral_parcel")):
            values[target] = cells.get(name, "")
        values["cadastral_sub"] = cells.get("sub", "")
        if cells.get("surface"):
            try:
                values["surface_m2"] = str(_decimal(cells["surface"]))
            except ValueError as exc:
                problem("surface", str(exc))
        if cells.get("lat") or cells.get("lon"):
            try:
                lat = float(cells.get("lat", "").replace(",", "."))
                lon = float(cells.get("lon", "").replace(",", "."))
            except ValueError:
                problem("lat", _("latitude and longitude must both be decimal degrees"))
            else:
                west, south, east, north = ITALY_BBOX
                if not (west <= lon <= east and south <= lat <= north):
                    problem(
                        "lat",
                        _(
                            "the point %(lat)s, %(lon)s is not in Italy (are they swapped?); "
                            "accepted: latitude %(south)s to %(north)s, "
                            "longitude %(west)s to %(east)s"
                        )
                        % {
                            "lat": lat,
                            "lon": lon,
                            "south": south,
                            "north": north,
                            "west": west,
                            "east": east,
                        },
                    )
                else:
                    values["lat"], values["lon"] = lat, lon
        if problems:
            result.problems.extend(problems)
        else:
            result.rows.append(AgencyRow(line, values))
    return result
