"""The analysis verbs through ``main([...])`` on the shipped extracts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from prossima.analysis.cli import main, register
from prossima.analysis.hotspots.emerging import CATEGORIES

PROPS = {"cell_id", "count", "kde", "gi_z", "gi_p", "gi_class", "lisa_class"}


def test_hotspots_writes_cells_summary_rejects_and_png(policeuk_path: Path, tmp_path: Path) -> None:
    out, summ, rej, png = (tmp_path / n for n in ("c.geojson", "s.json", "r.csv", "m.png"))
    code = main(
        [
            "hotspots",
            str(policeuk_path),
            "--cell",
            "500",
            "--bandwidth",
            "1000",
            "--permutations",
            "19",
            "--seed",
            "1",
            "--out",
            str(out),
            "--summary",
            str(summ),
            "--rejects",
            str(rej),
            "--png",
            str(png),
        ]
    )
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["type"] == "FeatureCollection"
    feats = doc["features"]
    assert set(feats[0]["properties"]) == PROPS
    summary = json.loads(summ.read_text())
    assert summary["accepted"] == 3164 - 88
    assert summary["rejected"] == 88
    assert summary["cells"] == len(feats)
    assert sum(f["properties"]["count"] for f in feats) == summary["accepted"]
    assert {f["properties"]["gi_class"] for f in feats} <= set(range(-3, 4))
    assert {f["properties"]["lisa_class"] for f in feats} <= {"HH", "LH", "LL", "HL", "ns"}
    assert all(0 <= f["properties"]["gi_p"] <= 1 for f in feats)
    lon, lat = feats[0]["geometry"]["coordinates"][0][0]
    assert -3 < lon < -1
    assert 53 < lat < 54.2
    assert len(pd.read_csv(rej)) == 88
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_hotspots_values_match_the_library(toronto_path: Path, tmp_path: Path) -> None:
    from prossima.analysis.grid import Grid
    from prossima.analysis.hotspots.getis_ord import gi_star_grid
    from prossima.analysis.io import read_events

    out = tmp_path / "c.geojson"
    assert main(["hotspots", str(toronto_path), "--cell", "200", "--out", str(out)]) == 0
    feats = json.loads(out.read_text())["features"]
    ev = read_events(toronto_path).events
    grid = Grid.from_events(ev, 200)
    counts = grid.counts(ev)
    gi = gi_star_grid(counts, grid, fdr=True)
    assert [f["properties"]["cell_id"] for f in feats] == grid.cell_ids
    np.testing.assert_array_equal([f["properties"]["count"] for f in feats], counts)
    np.testing.assert_allclose([f["properties"]["gi_z"] for f in feats], gi.z, atol=1e-6)
    np.testing.assert_array_equal([f["properties"]["gi_class"] for f in feats], gi.classes)


def test_hotspots_with_category_filter_and_distance_weights(
    toronto_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "c.geojson"
    summ = tmp_path / "s.json"
    code = main(
        [
            "hotspots",
            str(toronto_path),
            "--categories",
            "Assault",
            "--weights",
            "distance:450",
            "--kernel",
            "gaussian",
            "--since",
            "2019-01-01",
            "--out",
            str(out),
            "--summary",
            str(summ),
        ]
    )
    assert code == 0
    s = json.loads(summ.read_text())
    assert s["events_analysed"] < s["categories"]["Assault"]
    assert s["weights"] == "distance:450"


def test_nearrepeat_json(toronto_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "nr.json"
    args = [
        "nearrepeat",
        str(toronto_path),
        "--space-bands",
        "0,100,200",
        "--time-bands",
        "0,7,14",
        "--permutations",
        "9",
        "--seed",
        "1",
        "--json",
        str(out),
    ]
    assert main(args) == 0
    doc = json.loads(out.read_text())
    for key in ("space_bands", "time_bands", "observed", "expected", "knox_ratio", "p_value"):
        assert key in doc
    assert np.array(doc["observed"]).shape == (3, 3)
    first = out.read_text()
    assert main(args) == 0
    assert out.read_text() == first


def test_emerging_geojson(toronto_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "e.geojson"
    png = tmp_path / "e.png"
    assert (
        main(
            [
                "emerging",
                str(toronto_path),
                "--cell",
                "300",
                "--step",
                "1M",
                "--out",
                str(out),
                "--png",
                str(png),
            ]
        )
        == 0
    )
    feats = json.loads(out.read_text())["features"]
    cats = {f["properties"]["category"] for f in feats}
    assert cats <= set(CATEGORIES)
    assert png.exists()


def test_generic_csv_through_the_cli(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    rows = ["Lon,Lat,When,Kind"]
    rng = np.random.default_rng(0)
    for i in range(300):
        rows.append(
            f"{11.34 + rng.normal(0, 0.01):.6f},{44.49 + rng.normal(0, 0.01):.6f},"
            f"{1 + i % 28:02d}/03/2024,furto"
        )
    rows.append("11.3,,05/03/2024,furto")
    src.write_text("\n".join(rows) + "\n")
    out, rej = tmp_path / "c.geojson", tmp_path / "r.csv"
    code = main(
        [
            "hotspots",
            str(src),
            "--x",
            "Lon",
            "--y",
            "Lat",
            "--time",
            "When",
            "--category",
            "Kind",
            "--time-format",
            "%d/%m/%Y",
            "--timezone",
            "Europe/Rome",
            "--crs",
            "EPSG:32632",
            "--out",
            str(out),
            "--rejects",
            str(rej),
        ]
    )
    assert code == 0
    assert pd.read_csv(rej)["line"].tolist() == [302]


def test_errors_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hotspots", str(tmp_path / "missing.csv"), "--out", "x.geojson"]) == 2
    err = capsys.readouterr().err
    assert "missing.csv" in err
    assert "Traceback" not in err
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert main(["hotspots", str(empty), "--out", str(tmp_path / "o")]) == 2
    assert "empty" in capsys.readouterr().err
    assert main(["hotspots", str(empty)]) == 2  # --out missing: argparse usage error


def test_bad_option_values(
    toronto_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "o.geojson")
    assert main(["hotspots", str(toronto_path), "--weights", "rook", "--out", out]) == 2
    assert "--weights" in capsys.readouterr().err
    assert main(["nearrepeat", str(toronto_path), "--space-bands", "a,b", "--json", out]) == 2
    assert main(["hotspots", str(toronto_path), "--categories", "Nope", "--out", out]) == 2
    assert "Unknown categories" in capsys.readouterr().err
    bnd = tmp_path / "b.geojson"
    bnd.write_text('{"type": "Point", "coordinates": [0, 0]}')
    assert main(["hotspots", str(toronto_path), "--boundary", str(bnd), "--out", out]) == 2


def test_boundary_option(toronto_path: Path, tmp_path: Path) -> None:
    bnd = tmp_path / "b.geojson"
    ring = [[-79.40, 43.64], [-79.38, 43.64], [-79.38, 43.66], [-79.40, 43.66], [-79.40, 43.64]]
    bnd.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    out, summ = tmp_path / "c.geojson", tmp_path / "s.json"
    assert (
        main(
            [
                "hotspots",
                str(toronto_path),
                "--boundary",
                str(bnd),
                "--out",
                str(out),
                "--summary",
                str(summ),
            ]
        )
        == 0
    )
    s = json.loads(summ.read_text())
    assert s["rejected_by_reason"]["outside the boundary"] > 0
    assert s["events_outside_grid"] == 0


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hotspots", "--help"]) == 0
    text = capsys.readouterr().out
    for opt in (
        "--format",
        "--cell",
        "--bandwidth",
        "--permutations",
        "--seed",
        "--out",
        "--summary",
        "--rejects",
        "--png",
        "--crs",
        "--boundary",
        "--weights",
        "--no-fdr",
    ):
        assert opt in text
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    register(sub)
    for action in sub.choices["hotspots"]._actions:
        assert action.help, f"{action.dest} has no help"


def test_register_sets_func() -> None:
    parser = argparse.ArgumentParser(prog="prossima")
    sub = parser.add_subparsers(dest="verb")
    register(sub)
    args = parser.parse_args(["nearrepeat", "in.csv", "--json", "o.json"])
    assert callable(args.func)


def test_several_inputs_are_analysed_together(policeuk_path: Path, tmp_path: Path) -> None:
    out, summ, rej = tmp_path / "c.geojson", tmp_path / "s.json", tmp_path / "r.csv"
    code = main(
        ["hotspots", str(policeuk_path), str(policeuk_path), "--cell", "1000", "--out", str(out),
         "--summary", str(summ), "--rejects", str(rej)]
    )  # fmt: skip
    assert code == 0
    s = json.loads(summ.read_text())
    assert s["accepted"] == 2 * (3164 - 88)
    assert len(s["files"]) == 2
    rejects = pd.read_csv(rej)
    assert list(rejects.columns) == ["file", "line", "reason", "field", "value"]
    assert len(rejects) == 2 * 88


def test_cli_formats_match_the_readers() -> None:
    from prossima.analysis import cli, io

    assert cli.FORMATS == io.FORMATS


def test_registering_the_verbs_does_not_load_the_heavy_modules() -> None:
    import subprocess
    import sys

    code = (
        "import sys, argparse\n"
        "from prossima.analysis.cli import register\n"
        "register(argparse.ArgumentParser().add_subparsers())\n"
        "heavy = [m for m in ('pandas', 'scipy', 'shapely', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_geojson_points_through_the_cli(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    feats = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [11.34 + rng.normal(0, 0.01), 44.49 + rng.normal(0, 0.01)],
            },
            "properties": {"when": f"2024-03-{1 + i % 28:02d}T10:00:00+01:00", "kind": "furto"},
        }
        for i in range(200)
    ]
    src = tmp_path / "points.geojson"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    out = tmp_path / "nr.json"
    code = main(
        ["nearrepeat", str(src), "--time", "when", "--category", "kind", "--space-bands",
         "0,500,1000", "--time-bands", "0,3,7", "--permutations", "9", "--seed", "2",
         "--json", str(out)]
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out.read_text())
    n = 200
    assert sum(map(sum, doc["observed"])) == n * (n - 1) // 2


def test_boundary_that_is_not_geojson(toronto_path: Path, tmp_path: Path) -> None:
    bnd = tmp_path / "b.geojson"
    bnd.write_text("[1, 2, 3]")
    out = str(tmp_path / "o.geojson")
    assert main(["hotspots", str(toronto_path), "--boundary", str(bnd), "--out", out]) == 2


def test_too_few_permutations_for_fdr_are_explained(
    toronto_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cells.geojson"
    args = ["hotspots", str(toronto_path), "--cell", "150", "--out", str(out), "--seed", "1"]
    assert main([*args, "--permutations", "9"]) == 0
    err = capsys.readouterr().err
    assert "no cell is significant" in err
    assert "smallest p-value is 0.1" in err
    classes = [f["properties"]["gi_class"] for f in json.loads(out.read_text())["features"]]
    assert not any(classes)
    assert main([*args, "--permutations", "0"]) == 0
    assert "no cell is significant" not in capsys.readouterr().err
