"""Readers: formats, detection, line numbers of rejects, gzip, errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Polygon

from prossima.analysis.io import ColumnMap, detect_format, read_events

TORONTO_HEADER = (
    "occurrencedate,occurrencehour,premises_type,occurrencemonth,occurrencedayofweek,MCI,"
    "Neighbourhood,occurrenceday,occurrencedayofyear,Pub_Id,Park_Id,PS_Id,Lat,Long"
)


def _toronto_row(date: str, hour: str, lat: str, lon: str, mci: str = "Assault") -> str:
    return f"{date},{hour},Outside,March,Sunday,{mci},Moss Park,10,69,0,0,0,{lat},{lon}"


def test_detects_formats(toronto_path: Path, policeuk_path: Path, tmp_path: Path) -> None:
    assert detect_format(toronto_path) == "toronto"
    assert detect_format(policeuk_path) == "policeuk"
    other = tmp_path / "x.csv"
    other.write_text("lon,lat,date\n11.3,44.5,2024-01-01T10:00+01:00\n")
    assert detect_format(other) == "generic"


def test_toronto_extract_reads_whole(toronto_path: Path) -> None:
    res = read_events(toronto_path)
    assert res.summary["format"] == "toronto"
    assert res.summary["rows"] == 11740
    assert res.summary["accepted"] + res.summary["rejected"] == 11740
    assert res.events.crs == "EPSG:32617"
    assert res.events.time_resolution == "hour"
    assert "Neighbourhood" in res.events.attributes


def test_toronto_time_is_local_day_plus_hour(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    rows = [
        _toronto_row("2019/03/10 04:00:00+00", "14", "43.65", "-79.38"),  # DST started that day
        _toronto_row("2019/01/05 05:00:00+00", "0", "43.65", "-79.38"),
        _toronto_row("2019/03/10 04:00:00+00", "2", "43.65", "-79.38"),  # hour that does not exist
    ]
    path.write_text(TORONTO_HEADER + "\n" + "\n".join(rows) + "\n")
    ev = read_events(path).events
    local = ev.times()
    assert str(local[0]) == "2019-03-10 14:00:00-04:00"
    assert str(local[1]) == "2019-01-05 00:00:00-05:00"
    assert str(local[2]) == "2019-03-10 03:00:00-04:00"


def test_rejects_carry_file_line_numbers(tmp_path: Path) -> None:
    lines = [
        TORONTO_HEADER,  # 1
        _toronto_row("2019/01/05 05:00:00+00", "3", "43.65", "-79.38"),  # 2 ok
        _toronto_row("2019/01/05 05:00:00+00", "3", "0", "0"),  # 3 zero
        "",  # 4 blank
        _toronto_row("not a date", "3", "43.65", "-79.38"),  # 5 bad date
        _toronto_row("2019/01/05 05:00:00+00", "3", "43.65", "-79.38") + ",extra",  # 6 fields
        _toronto_row("2019/01/05 05:00:00+00", "25", "43.65", "-79.38"),  # 7 bad hour
        _toronto_row("2019/01/05 05:00:00+00", "3", "", ""),  # 8 no coordinates
        _toronto_row("2019/01/05 05:00:00+00", "3", "51.5", "-0.12"),  # 9 London
        _toronto_row("2019/01/05 05:00:00+00", "3", "43.6x", "-79.38"),  # 10 not a number
        _toronto_row("2019/01/06 05:00:00+00", "4", "43.66", "-79.39"),  # 11 ok
    ]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    res = read_events(path)
    rej = res.rejects.set_index("line")
    assert list(rej.index) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "0,0" in rej.loc[3, "reason"]
    assert rej.loc[4, "reason"] == "empty line"
    assert rej.loc[5, "field"] == "occurrencedate"
    assert "fields" in rej.loc[6, "reason"]
    assert rej.loc[7, "field"] == "occurrencehour"
    assert rej.loc[8, "reason"] == "missing coordinates"
    assert "bounding box" in rej.loc[9, "reason"]
    assert rej.loc[10, "reason"] == "latitude is not a number"
    assert rej.loc[10, "value"] == "43.6x"
    assert len(res.events) == 2
    assert res.summary["rows"] == 10
    assert res.summary["rejected"] == 8
    out = tmp_path / "rejects.csv"
    res.write_rejects(out)
    assert pd.read_csv(out)["line"].tolist() == [3, 4, 5, 6, 7, 8, 9, 10]


def test_line_numbers_survive_chunks(tmp_path: Path) -> None:
    from prossima.analysis.io.toronto import read_toronto

    rows = [_toronto_row("2019/01/05 05:00:00+00", "3", "43.65", "-79.38")] * 10
    rows[2] = rows[2] + ",extra"  # line 4
    rows[7] = _toronto_row("2019/01/05 05:00:00+00", "3", "", "")  # line 9
    path = tmp_path / "t.csv"
    path.write_text(TORONTO_HEADER + "\n" + "\n".join(rows) + "\n")
    res = read_toronto(path, chunksize=3)
    assert res.rejects["line"].tolist() == [4, 9]
    assert len(res.events) == 8


def test_policeuk_rows_without_coordinates_are_reported(policeuk_path: Path) -> None:
    res = read_events(policeuk_path)
    assert res.summary["format"] == "policeuk"
    assert res.summary["rejected_by_reason"] == {"missing coordinates": 88}
    assert res.summary["accepted"] == 3164 - 88
    # Lines are 1-based with the header as line 1.
    raw = pd.read_csv(policeuk_path, dtype=str, keep_default_na=False)
    no_coords = (np.nonzero((raw["Longitude"] == "").to_numpy())[0] + 2).tolist()
    assert res.rejects["line"].tolist() == no_coords
    assert res.events.time_resolution == "month"
    assert str(res.events.times()[0]) == "2018-07-01 00:00:00+01:00"
    assert res.events.crs == "EPSG:32630"


def test_gzip_and_plain_read_the_same(policeuk_path: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    with gzip.open(policeuk_path, "rb") as fh:
        plain.write_bytes(fh.read())
    a = read_events(policeuk_path).events
    b = read_events(plain).events
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.t, b.t)


def test_generic_mapping_with_format_and_timezone(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text(
        "X;Y;Quando;Tipo\n"
        "11.34;44.49;01/07/2024 22:30;furto\n"
        "11.35;44.50;02/07/2024 08:00;rapina\n"
        "11.35;44.50;31/02/2024 08:00;rapina\n"
    )
    path.write_text(path.read_text().replace(";", ","))
    cols = ColumnMap(
        x="X",
        y="Y",
        time="Quando",
        category="Tipo",
        time_format="%d/%m/%Y %H:%M",
        timezone="Europe/Rome",
    )
    res = read_events(path, "generic", cols)
    assert len(res.events) == 2
    assert res.events.t[0] == np.datetime64("2024-07-01T20:30", "ns")
    assert res.rejects["line"].tolist() == [4]
    assert res.rejects["field"].tolist() == ["Quando"]


def test_generic_guesses_common_names_and_reads_offsets(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text(
        "latitude,longitude,datetime,category\n"
        "44.49,11.34,2024-07-01T22:30:00+02:00,furto\n"
        "44.49,11.34,2024-07-01T20:30:00Z,furto\n"
    )
    ev = read_events(path).events
    assert ev.t[0] == ev.t[1]


def test_generic_projected_source_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text("E,N,date\n686000,4928000,2024-01-01T00:00Z\nabc,4928000,2024-01-01T00:00Z\n")
    res = read_events(path, "generic", ColumnMap(x="E", y="N", source_crs="EPSG:32632"))
    assert len(res.events) == 1
    assert 11 < res.events.lon[0] < 12
    assert res.rejects["line"].tolist() == [3]


def test_boundary_rejects_outside_rows(toronto_path: Path) -> None:
    box = Polygon([(-79.40, 43.64), (-79.38, 43.64), (-79.38, 43.66), (-79.40, 43.66)])
    res = read_events(toronto_path, boundary=box)
    assert res.summary["rejected_by_reason"].get("outside the boundary", 0) > 0
    assert ((res.events.lon >= -79.40) & (res.events.lon <= -79.38)).all()


def test_geojson_points(tmp_path: Path) -> None:
    path = tmp_path / "p.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","geometry":{"type":"Point","coordinates":[11.34,44.49]},'
        '"properties":{"time":"2024-01-01T10:00+01:00","kind":"a"}},'
        '{"type":"Feature","geometry":null,"properties":{"time":"2024-01-01T10:00+01:00"}}]}'
    )
    res = read_events(path, columns=ColumnMap(time="time", category="kind"))
    assert len(res.events) == 1
    assert res.rejects["line"].tolist() == [2]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"a,b,c\n1,2,3\n", "Cannot tell which column"),
        (b"Month,Longitude\n2018-07,1\n", "Cannot tell which column"),
    ],
)
def test_unusable_files_raise_clear_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        read_events(path)


def test_missing_columns_for_a_forced_format(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"line 1 \(header\) lacks the column"):
        read_events(path, "toronto")


def test_bad_encoding_names_the_file_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(
        (TORONTO_HEADER + "\n" + _toronto_row("2019/01/05 05:00:00+00", "3", "43.65", "-79.38"))
        .replace("Moss Park", "Citt\xe0")
        .encode("latin-1")
    )
    with pytest.raises(ValueError, match=r"latin.csv.*utf-8.*encoding"):
        read_events(path)
    assert len(read_events(path, encoding="latin-1").events) == 1


def test_no_usable_rows_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(TORONTO_HEADER + "\n" + _toronto_row("x", "3", "", "") + "\n")
    with pytest.raises(ValueError, match=r"no usable rows.*missing coordinates"):
        read_events(path)


def test_missing_file() -> None:
    with pytest.raises(ValueError, match="not found"):
        read_events("/nonexistent/file.csv")


def test_short_rows_are_rejected_not_crashing(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        TORONTO_HEADER
        + "\n"
        + _toronto_row("2019/01/05 05:00:00+00", "3", "43.65", "-79.38")
        + "\n2019/01/05 05:00:00+00,3,Outside\n"
    )
    res = read_events(path)
    assert res.rejects["line"].tolist() == [3]
    assert len(res.events) == 1


def test_geojson_without_the_time_property_names_what_exists(tmp_path: Path) -> None:
    path = tmp_path / "p.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","geometry":{"type":"Point","coordinates":[11.34,44.49]},'
        '"properties":{"when":"2024-01-01T10:00+01:00"}}]}'
    )
    with pytest.raises(ValueError, match=r"no property \['date'\].*when"):
        read_events(path, columns=ColumnMap(time="date"))


def test_accepted_events_keep_their_source_line(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "lon,lat,time,category\n"
        "11.34,44.49,2024-05-01T10:00,furto\n"
        ",44.49,2024-05-01T11:00,furto\n"
        "11.35,44.50,2024-05-02T10:00,rapina\n",
        encoding="utf-8",
    )
    result = read_events(path, format="generic")
    assert list(result.events.attributes["source_line"]) == [2, 4]
    assert list(result.rejects["line"]) == [3]
