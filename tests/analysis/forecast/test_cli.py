"""Drive ``prossima forecast`` and ``prossima backtest`` through ``main`` on real extracts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prossima.analysis.events import EventSet
from prossima.analysis.forecast import make_model
from prossima.analysis.forecast.cli import main
from prossima.analysis.grid import Grid

from .conftest import POLICEUK, TORONTO


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_forecast_writes_every_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "risk.geojson"
    argv = [
        "forecast",
        str(TORONTO),
        "--model",
        "retrospective",
        "--cell",
        "150",
        "--origin",
        "2019-06-03",
        "--horizon",
        "7",
        "--out",
        str(out),
    ]
    code, _, err = _run(argv, capsys)
    assert code == 0, err
    doc = json.loads(out.read_text())
    assert doc["type"] == "FeatureCollection"
    assert doc["cell_size_m"] == 150.0
    assert doc["crs_metric"] == "EPSG:32617"
    feats = doc["features"]
    assert len(feats) > 100
    props = feats[0]["properties"]
    assert set(props) >= {"cell_id", "score", "rank"}
    assert feats[0]["geometry"]["type"] == "Polygon"
    lon, lat = feats[0]["geometry"]["coordinates"][0][0]
    assert -80 < lon < -79
    assert 43 < lat < 44
    ranks = sorted(f["properties"]["rank"] for f in feats)
    assert ranks[0] == 1
    top = min(feats, key=lambda f: f["properties"]["rank"])
    assert top["properties"]["score"] == max(f["properties"]["score"] for f in feats)


def test_forecast_explain_and_category(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "risk.geojson"
    base = [
        "forecast",
        str(TORONTO),
        "--model",
        "sepp:fit_days=365",
        "--origin",
        "2019-06-03",
        "--category",
        "Break and Enter",
        "--out",
        str(out),
    ]
    code, _, err = _run(base, capsys)
    assert code == 0, err
    doc = json.loads(out.read_text())
    top = min(doc["features"], key=lambda f: f["properties"]["rank"])["properties"]["cell_id"]
    code, stdout, err = _run([*base, "--explain", top], capsys)
    assert code == 0, err
    why = json.loads(stdout)
    assert why["cell_id"] == top
    assert why["rank"] == 1
    assert 0 <= why["triggering_share"] <= 1
    assert {p["name"] for p in why["parts"]} == {"long_term_concentration", "triggering"}


def test_forecast_next_week_after_last_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "risk.geojson"
    code, _, err = _run(
        [
            "forecast",
            str(TORONTO),
            "--model",
            "prospective",
            "--origin",
            "2020-01-06",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err


def test_forecast_monthly_policeuk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "risk.geojson"
    code, _, err = _run(
        [
            "forecast",
            str(POLICEUK),
            "--model",
            "retrospective",
            "--cell",
            "1000",
            "--origin",
            "2018-08-01",
            "--horizon",
            "1M",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    doc = json.loads(out.read_text())
    assert doc["crs_metric"] == "EPSG:32630"
    assert doc["end"].startswith("2018-09-01")


def test_model_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["forecast", "--model", "list"], capsys)
    assert code == 0
    for name in ("retrospective", "prospective", "stkde", "sepp", "boosted", "ensemble"):
        assert f"{name}" in out
    assert "window_days" in out
    assert "min_sigma" in out


def test_backtest_json_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    js, html = tmp_path / "result.json", tmp_path / "report.html"
    code, _, err = _run(
        [
            "backtest",
            str(TORONTO),
            "--models",
            "retrospective,retrospective:window_days=90,stkde",
            "--cell",
            "150",
            "--test-start",
            "2019-10-01",
            "--test-end",
            "2019-10-28",
            "--horizon",
            "7",
            "--coverage",
            "1,5",
            "--json",
            str(js),
            "--report",
            str(html),
        ],
        capsys,
    )
    assert code == 0, err
    doc = json.loads(js.read_text())
    assert doc["grid"]["cell_size_m"] == 150.0
    assert doc["grid"]["crs"] == "EPSG:32617"
    assert doc["grid"]["cells"] > 100
    assert doc["periods"] == 4
    m = doc["models"]["stkde"]
    assert set(m["pai"]) == {"1", "5"}
    for key in ("hit_rate", "pai", "pei", "fit_seconds", "predict_seconds", "fairness"):
        assert key in m
    assert 0 <= m["hit_rate"]["1"] <= m["hit_rate"]["5"] <= 1
    assert "paired_pai_vs_baseline" in m
    assert m["fairness"]["subareas"] > 1
    text = html.read_text()
    assert "data:image/png;base64," in text
    assert "<table>" in text


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--origin", "2010-01-04"], "--origin 2010-01-04 is before the first event"),
        (["--origin", "2018-01-05", "--model", "boosted"], "--origin 2018-01-05 leaves"),
        (["--origin", "2019-06-03", "--horizon", "0"], "--horizon"),
        (["--origin", "2019-06-03", "--horizon", "-7"], "--horizon"),
        (["--origin", "2019-06-03", "--category", "Arson"], "--category 'Arson'"),
        (["--origin", "yesterday-ish"], "--origin 'yesterday-ish' is not a date"),
        (["--origin", "2019-06-03", "--model", "magic"], "Unknown model 'magic'"),
    ],
)
def test_forecast_bad_input(
    extra: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["forecast", str(TORONTO), "--out", str(tmp_path / "x.geojson"), *extra]
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert needle in err
    assert not (tmp_path / "x.geojson").exists()


def test_grid_without_events(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A boundary far from every event: nothing can be forecast.
    area = tmp_path / "area.geojson"
    area.write_text(
        json.dumps(
            {
                "type": "Polygon",
                "coordinates": [
                    [[-79.0, 43.0], [-78.9, 43.0], [-78.9, 43.1], [-79.0, 43.1], [-79.0, 43.0]]
                ],
            }
        )
    )
    code, _, err = _run(
        [
            "forecast",
            str(TORONTO),
            "--boundary",
            str(area),
            "--origin",
            "2019-06-03",
            "--out",
            str(tmp_path / "x.geojson"),
        ],
        capsys,
    )
    assert code == 2
    assert "outside the boundary" in err


def test_fit_on_grid_without_events(toronto: EventSet) -> None:
    far = Grid.rectangle(3, 3, 150.0, crs=toronto.crs)
    with pytest.raises(ValueError, match="No events fall inside the grid"):
        make_model("retrospective").fit(toronto, far)


def test_backtest_bad_coverage_and_range(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [
        "backtest",
        str(TORONTO),
        "--models",
        "retrospective",
        "--json",
        str(tmp_path / "r.json"),
    ]
    code, _, err = _run(
        [*base, "--test-start", "2019-10-01", "--test-end", "2019-10-28", "--coverage", "0,150"],
        capsys,
    )
    assert code == 2
    assert "--coverage" in err
    code, _, err = _run([*base, "--test-start", "2019-10-01", "--test-end", "2019-10-03"], capsys)
    assert code == 2
    assert "no whole period" in err
    code, _, err = _run([*base, "--test-start", "2012-10-01", "--test-end", "2012-12-03"], capsys)
    assert code == 2
    assert "--test-start 2012-10-01 is before the first event" in err


def test_explain_unknown_cell_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "risk.geojson"
    argv = [
        "forecast",
        str(TORONTO),
        "--model",
        "retrospective",
        "--origin",
        "2019-06-03",
        "--out",
        str(out),
        "--explain",
        "150m_E1_N1",
    ]
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert "--explain: cell '150m_E1_N1' is not in the study area" in err
    assert not out.exists()
