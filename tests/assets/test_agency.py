"""Reading the agency's files: columns, kinds, separators, encodings, and every value checked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from prossima.assets import agency
from prossima.assets.models import AssetKind, FileKind, Purpose, RealEstateCategory, Stage
from tests.assets.conftest import (
    TODAY,
    destined_text,
    line_of,
    management_text,
    replace_line,
)

pytestmark = pytest.mark.usefixtures("english", "clock")


def parse(text: str, today: dt.date = TODAY) -> agency.ParsedFile:
    """Parse CSV text with the guessed mapping and kind, as an import would."""
    header, rows, lines = agency.read_table_lines(text, "file.csv")
    return agency.parse_rows(
        header,
        rows,
        agency.guess_columns(header),
        agency.guess_file_kind(header, rows),
        today,
        lines,
    )


def by_code(parsed: agency.ParsedFile) -> dict[str, dict[str, Any]]:
    return {row.values["code"]: row.values for row in parsed.rows}


def only_problem(parsed: agency.ParsedFile) -> agency.RowProblem:
    assert len(parsed.problems) == 1, parsed.problems
    return parsed.problems[0]


# --- Reading the files ------------------------------------------------------------------


def test_the_destined_file_is_read_with_semicolons_and_every_column_guessed() -> None:
    header, rows = agency.read_table(destined_text(), "immobili.csv")
    assert len(header) == 15
    assert header[0] == "s_bene"
    assert len(rows) == 12
    assert all(len(row) == 15 for row in rows)
    assert rows[0][0] == "I-BO-DEMO-001"
    columns = agency.guess_columns(header)
    assert columns == {
        "code": "s_bene",
        "kind": "genere",
        "region": "regione",
        "province": "provincia",
        "comune": "comune",
        "address": "indirizzo",
        "category": "categoria",
        "subcategory": "sottocategoria",
        "typology": "tipologia",
        "recipient": "destinatario",
        "purpose": "fine",
        "current_use": "utilizzo",
        "decree_number": "decreto_numero",
        "decree_year": "decreto_anno",
        "decree_date": "decreto_data",
    }
    assert agency.guess_file_kind(header, rows) == FileKind.DESTINED_REAL_ESTATE


def test_the_management_file_is_read_with_commas_and_its_kind_recognised() -> None:
    header, rows = agency.read_table(management_text(), "beni.csv")
    assert header == [
        "s_bene",
        "genere",
        "regione",
        "provincia",
        "comune",
        "indirizzo",
        "categoria",
        "provvedimento",
        "data_provvedimento",
    ]
    assert len(rows) == 4
    # The address holds an apostrophe, not a comma: the row keeps its nine cells.
    assert rows[0][5] == "VIA DELL'ESEMPIO 21"
    columns = agency.guess_columns(header)
    assert columns["measure"] == "provvedimento"
    assert columns["measure_date"] == "data_provvedimento"
    assert "decree_date" not in columns
    assert agency.guess_file_kind(header, rows) == FileKind.IN_MANAGEMENT


def test_renamed_columns_are_recognised_by_their_synonyms() -> None:
    header = ["Codice Bene", "Denominazione Comune", "Codice ISTAT", "Finalità", "Superficie MQ"]
    assert agency.guess_columns(header) == {
        "code": "Codice Bene",
        "comune": "Denominazione Comune",
        "istat_code": "Codice ISTAT",
        "purpose": "Finalità",
        "surface": "Superficie MQ",
    }


def test_a_companies_file_is_told_apart() -> None:
    header = ["s_bene", "genere", "comune", "settore"]
    companies = [["A-1", "Azienda", "BOLOGNA", "Edilizia"], ["A-2", "Aziende", "MODENA", ""]]
    assert agency.guess_file_kind(header, companies) == FileKind.DESTINED_COMPANIES
    mixed = [["A-1", "Azienda", "BOLOGNA", ""], ["I-2", "Immobile", "MODENA", ""]]
    assert agency.guess_file_kind(["s_bene", "genere", "comune", "x"], mixed) == (
        FileKind.DESTINED_REAL_ESTATE
    )
    # A sector column without a category column means companies, whatever genere says.
    assert (
        agency.guess_file_kind(["s_bene", "comune", "settore_attivita"], [["A-1", "X", "Y"]])
        == FileKind.DESTINED_COMPANIES
    )


def test_an_empty_kind_column_does_not_make_a_companies_file() -> None:
    header = ["s_bene", "genere", "comune", "categoria"]
    rows = [["I-1", "", "BOLOGNA", "Terreno"], ["I-2", " ", "MODENA", "Villa"]]
    assert agency.guess_file_kind(header, rows) == FileKind.DESTINED_REAL_ESTATE


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_the_delimiter_is_detected(delimiter: str) -> None:
    text = delimiter.join(["s_bene", "comune", "indirizzo"]) + "\n"
    text += delimiter.join(["I-1", "BOLOGNA", '"VIA ROMA 1; 2, 3"']) + "\n"
    header, rows = agency.read_table(text, "f.csv")
    assert header == ["s_bene", "comune", "indirizzo"]
    assert rows == [["I-1", "BOLOGNA", "VIA ROMA 1; 2, 3"]]


def test_a_file_without_separator_or_rows_is_refused_by_name() -> None:
    with pytest.raises(agency.AgencyFileError, match=r"f\.csv: the first line has no column"):
        agency.read_table("just one column\nvalue\n", "f.csv")
    with pytest.raises(agency.AgencyFileError, match=r"f\.csv: the file has a header but no"):
        agency.read_table("s_bene;comune\n;\n\n", "f.csv")


def test_windows_1252_files_are_decoded_and_utf8_keeps_priority() -> None:
    text = destined_text()
    assert "Unità" in text
    cp1252 = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        cp1252.decode("utf-8")
    assert agency.decode(cp1252) == text
    assert agency.decode(text.encode("utf-8")) == text
    assert agency.decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == text  # BOM dropped
    # With the encoding named, no guessing: the UTF-8 bytes read as cp1252 are garbled.
    assert "UnitÃ" in agency.decode(text.encode("utf-8"), "cp1252")
    parsed = parse(agency.decode(cp1252))
    assert by_code(parsed)["I-BO-DEMO-001"]["category_source"].startswith("Unità immobiliare")


# --- Values ----------------------------------------------------------------------------


def test_the_destined_file_is_normalised() -> None:
    parsed = parse(destined_text())
    assert parsed.problems == []
    assert len(parsed.rows) == 12
    assert [row.line for row in parsed.rows] == list(range(2, 14))
    values = by_code(parsed)
    first = values["I-BO-DEMO-001"]
    assert first["kind"] == AssetKind.REAL_ESTATE
    assert first["comune"] == "BOLOGNA"
    assert first["stage"] == Stage.DESTINED
    assert first["destination_decree_number"] == "1201/2019"
    assert first["destination_decree_date"] == "2019-03-14"
    assert first["destination_purpose"] == Purpose.SOCIAL
    assert first["category"] == RealEstateCategory.HOUSING
    assert values["I-BO-DEMO-003"]["category"] == RealEstateCategory.COMMERCIAL
    assert values["I-BO-DEMO-004"]["destination_purpose"] == Purpose.INSTITUTIONAL
    assert values["I-BO-DEMO-005"]["category"] == RealEstateCategory.LAND
    assert values["I-BO-DEMO-007"]["category"] == RealEstateCategory.OTHER
    assert values["I-RE-DEMO-012"]["category"] == RealEstateCategory.COLLECTIVE
    assert (
        values["I-BO-DEMO-002"]["current_use"] == "Casa per l'autonomia di giovani neomaggiorenni"
    )


def test_the_management_file_gives_each_stage_its_date() -> None:
    parsed = parse(management_text())
    assert parsed.problems == []
    values = by_code(parsed)
    assert values["I-BO-DEMO-101"]["stage"] == Stage.SEIZED
    assert values["I-BO-DEMO-101"]["seized_on"] == "2024-01-12"
    assert values["I-BO-DEMO-102"]["stage"] == Stage.CONFISCATED_FIRST
    assert values["I-BO-DEMO-102"]["confiscated_first_on"] == "2023-06-07"
    assert values["I-BO-DEMO-103"]["stage"] == Stage.CONFISCATED_APPEAL
    assert values["I-BO-DEMO-103"]["confiscated_appeal_on"] == "2022-02-28"
    assert values["I-BO-DEMO-104"]["stage"] == Stage.CONFISCATED_FINAL
    assert values["I-BO-DEMO-104"]["confiscated_final_on"] == "2021-10-19"
    assert values["I-BO-DEMO-104"]["kind"] == AssetKind.COMPANY
    assert values["I-BO-DEMO-104"]["category"] == ""


@pytest.mark.parametrize(
    "written", ["14/03/2019", "2019-03-14", "14-03-2019", "14.03.2019", "2019/03/14", "4/3/2019"]
)
def test_dates_are_read_in_italian_and_iso_forms(written: str) -> None:
    text = replace_line(destined_text(), "I-BO-DEMO-001", "14/03/2019", written)
    expected = "2019-03-04" if written == "4/3/2019" else "2019-03-14"
    parsed = parse(text)
    assert parsed.problems == []
    assert by_code(parsed)["I-BO-DEMO-001"]["destination_decree_date"] == expected


def test_a_date_that_does_not_exist_is_a_problem() -> None:
    text = replace_line(destined_text(), "I-BO-DEMO-004", "09/11/2021", "31/11/2021")
    problem = only_problem(parse(text))
    assert (problem.line, problem.field, problem.value) == (5, "decreto_data", "31/11/2021")
    assert "31/12/2024 or 2024-12-31" in problem.reason


def test_a_future_date_is_a_problem_naming_the_line_and_column() -> None:
    text = replace_line(destined_text(), "I-BO-DEMO-001", "2019;14/03/2019", "2025;17/06/2025")
    problem = only_problem(parse(text))
    assert problem.line == 2  # the header is line 1
    assert problem.field == "decreto_data"
    assert problem.value == "17/06/2025"
    assert "future" in problem.reason
    assert "16/06/2025" in problem.reason  # the last date accepted
    # The same date is fine a day later.
    assert parse(text, today=dt.date(2025, 6, 17)).problems == []


def test_an_unknown_measure_is_a_problem_listing_the_accepted_ones() -> None:
    text = replace_line(management_text(), "I-BO-DEMO-103", "Confisca II", "Archiviato")
    problem = only_problem(parse(text))
    assert (problem.line, problem.field, problem.value) == (4, "provvedimento", "Archiviato")
    assert "Sequestro, Confisca I, Confisca II, Confisca def." in problem.reason
    assert [row.values["code"] for row in parse(text).rows] == [
        "I-BO-DEMO-101",
        "I-BO-DEMO-102",
        "I-BO-DEMO-104",
    ]


def test_an_unknown_purpose_is_a_problem_listing_the_accepted_ones() -> None:
    text = destined_text()
    text = replace_line(text, "I-MO-DEMO-010", ";Sociale;", ";Turistico;")
    problem = only_problem(parse(text))
    assert (problem.line, problem.field, problem.value) == (11, "fine", "Turistico")
    assert "Sociale, Istituzionale, Economico / Lucrativo" in problem.reason


def test_a_duplicate_code_is_a_problem_naming_the_first_line() -> None:
    text = replace_line(destined_text(), "I-BO-DEMO-003", "I-BO-DEMO-003", "I-BO-DEMO-001")
    problem = only_problem(parse(text))
    assert (problem.line, problem.field, problem.value) == (4, "s_bene", "I-BO-DEMO-001")
    assert "line 2" in problem.reason
    assert "once" in problem.reason


@pytest.mark.parametrize("year", ["1975", "2099", "19x9"])
def test_an_impossible_decree_year_is_a_problem(year: str) -> None:
    text = replace_line(destined_text(), "I-BO-DEMO-005", ";2020;30/07/2020", f";{year};")
    problem = only_problem(parse(text))
    assert (problem.line, problem.field, problem.value) == (6, "decreto_anno", year)
    assert "1982" in problem.reason  # from the Rognoni-La Torre law to this year


def test_a_decree_year_that_differs_from_its_date_is_a_problem() -> None:
    text = replace_line(destined_text(), "I-BO-DEMO-005", ";2020;30/07/2020", ";2021;30/07/2020")
    problem = only_problem(parse(text))
    assert (problem.line, problem.field) == (6, "decreto_anno")


def with_coordinates(lat: str, lon: str) -> str:
    lines = destined_text().split("\n")
    lines[0] += ";latitudine;longitudine"
    lines[1] += f";{lat};{lon}"
    for at in range(2, len(lines)):
        if lines[at]:
            lines[at] += ";;"
    return "\n".join(lines)


def test_coordinates_in_italy_are_kept_with_decimal_commas() -> None:
    parsed = parse(with_coordinates("44,4949", "11,3426"))
    assert parsed.problems == []
    values = by_code(parsed)["I-BO-DEMO-001"]
    assert (values["lat"], values["lon"]) == (44.4949, 11.3426)
    assert "lat" not in by_code(parsed)["I-BO-DEMO-002"]


@pytest.mark.parametrize(("lat", "lon"), [("11.3426", "44.4949"), ("48.85", "2.35")])
def test_coordinates_outside_italy_are_a_problem(lat: str, lon: str) -> None:
    problem = only_problem(parse(with_coordinates(lat, lon)))
    assert (problem.line, problem.field, problem.value) == (2, "latitudine", lat)
    assert "not in Italy" in problem.reason
    assert "latitude 35.0 to 47.5" in problem.reason
    assert "longitude 6.0 to 19.0" in problem.reason


def test_a_single_coordinate_is_a_problem() -> None:
    problem = only_problem(parse(with_coordinates("44.49", "")))
    assert (problem.line, problem.field) == (2, "latitudine")
    assert "both" in problem.reason


def test_every_problem_of_a_file_is_reported_in_order() -> None:
    text = destined_text()
    text = replace_line(text, "I-BO-DEMO-002", ";Sociale;", ";Boh;")
    text = replace_line(text, "I-RE-DEMO-012", "14/04/2021", "14/04/2030")
    text = replace_line(text, "I-BO-DEMO-007", "Immobile", "Nave")
    parsed = parse(text)
    assert [(p.line, p.field) for p in parsed.problems] == [
        (3, "fine"),
        (8, "genere"),
        (13, "decreto_data"),  # in the future
        (13, "decreto_anno"),  # and no longer the year of the decree's date
    ]
    assert len(parsed.rows) == 9


def test_lines_are_counted_in_the_file_across_blank_and_multiline_rows() -> None:
    """A problem names the line a person finds in the file, not the row's position."""
    text = destined_text()
    text = replace_line(
        text, "I-BO-DEMO-002", "VIA DELL'ESEMPIO 3", '"VIA DELL\'ESEMPIO 3\nSCALA B"'
    )
    lines = text.split("\n")
    lines.insert(5, ";;;;;;;;;;;;;;")  # a row of separators only, as Excel leaves
    lines.insert(6, "")
    text = "\n".join(lines)
    text = replace_line(text, "I-BO-DEMO-011", ";Sociale;", ";Boh;")
    problem = only_problem(parse(text))
    # Line 12 in the shipped file: one more for the two-line address, two for the blank rows.
    assert problem.line == line_of(text, "I-BO-DEMO-011") == 15
    _header, rows, numbers = agency.read_table_lines(text, "f.csv")
    assert len(rows) == 12
    assert numbers[:4] == [2, 3, 5, 8]  # 002 spans lines 3-4; lines 6 and 7 are blank
    assert rows[1][5] == "VIA DELL'ESEMPIO 3\nSCALA B"


def test_a_destined_measure_keeps_the_decree_date_when_both_are_given() -> None:
    text = (
        "s_bene;comune;provvedimento;data_provvedimento;decreto_data\n"
        "I-1;BOLOGNA;Destinato;20/05/2019;14/03/2019\n"
        "I-2;BOLOGNA;Destinato;20/05/2019;\n"
    )
    values = by_code(parse(text))
    assert values["I-1"]["destination_decree_date"] == "2019-03-14"
    assert values["I-2"]["destination_decree_date"] == "2019-05-20"
    assert values["I-1"]["stage"] == values["I-2"]["stage"] == Stage.DESTINED


def test_surfaces_istat_codes_and_kinds_are_checked() -> None:
    text = (
        "codice_bene;codice_istat;genere;superficie\n"
        "I-1;37006;Immobile;1.234,5\n"
        "I-2;037006;Azienda;120.5\n"
        "I-3;BO006;Immobile;-3\n"
        "I-4;037006;Barca;\n"
    )
    parsed = parse(text)
    values = by_code(parsed)
    assert values["I-1"]["istat_code"] == "037006"
    assert values["I-1"]["surface_m2"] == "1234.5"
    assert values["I-2"]["surface_m2"] == "120.5"
    assert values["I-2"]["kind"] == AssetKind.COMPANY
    assert [(p.line, p.field, p.value) for p in parsed.problems] == [
        (4, "codice_istat", "BO006"),
        (4, "superficie", "-3"),
        (5, "genere", "Barca"),
    ]
    assert "Immobile, Azienda" in parsed.problems[2].reason


def test_a_row_without_code_or_place_is_a_problem() -> None:
    text = "s_bene;comune\n;BOLOGNA\nI-2;\n"
    parsed = parse(text)
    assert [(p.line, p.field) for p in parsed.problems] == [(2, "s_bene"), (3, "comune")]


# --- Mapping -------------------------------------------------------------------------------


def test_check_mapping_accepts_the_guessed_mapping() -> None:
    header, _rows = agency.read_table(destined_text(), "f.csv")
    assert agency.check_mapping(agency.guess_columns(header), header) == []
    assert agency.check_mapping({"code": "s_bene", "istat_code": "comune"}, header) == []


def test_check_mapping_asks_for_the_code_and_the_place() -> None:
    header, _rows = agency.read_table(destined_text(), "f.csv")
    without_code = agency.check_mapping({"comune": "comune"}, header)
    assert without_code == ["Choose the column of: Agency code."]
    without_place = agency.check_mapping({"code": "s_bene", "address": "indirizzo"}, header)
    assert without_place == ["Choose the column of the comune's name or of its ISTAT code."]
    assert len(agency.check_mapping({}, header)) == 2
    unknown = agency.check_mapping({"code": "s_bene", "comune": "municipio"}, header)
    assert unknown == ["Comune: the file has no column municipio."]
