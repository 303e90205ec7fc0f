"""Pages and API of analyses: who sees what, what the public gets, what is audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from prossima.accounts.models import AuditEvent
from prossima.analytics.actions import do_launch_run
from prossima.analytics.models import AnalysisRun
from prossima.jobs.runner import run_job


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def hotspots(toronto: dict[str, Any]) -> AnalysisRun:
    run = do_launch_run(toronto["analyst"], toronto["dataset"], "hotspots", {})
    run_job(run.job_id)  # type: ignore[arg-type]
    run.refresh_from_db()
    return run


def test_analyst_launches_from_the_form(toronto: dict[str, Any]) -> None:
    client = client_for(toronto["analyst"])
    url = f"/analytics/datasets/{toronto['dataset'].pk}/launch/hotspots/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="cell"' in page.content
    bad = client.post(url, {"cell": "-1", "kernel": "quartic", "permutations": "0"})
    assert bad.status_code == 200
    assert b"invalid-feedback" in bad.content
    assert not AnalysisRun.objects.exists()
    response = client.post(
        url, {"cell": "250", "kernel": "quartic", "permutations": "0", "since": "2019-01-01"}
    )
    run = AnalysisRun.objects.get()
    assert response.url == f"/analytics/runs/{run.pk}/"
    # An unticked checkbox is an explicit "no", not the default.
    assert run.params == {
        "since": "2019-01-01",
        "cell": 250.0,
        "kernel": "quartic",
        "permutations": 0,
        "fdr": False,
    }
    again = client.get(f"{url}?from={run.pk}")
    assert b'value="250.0"' in again.content


def test_officers_see_runs_but_cannot_launch(
    toronto: dict[str, Any], hotspots: AnalysisRun
) -> None:
    officer = client_for(toronto["officer"])
    assert officer.get(f"/analytics/runs/{hotspots.pk}/").status_code == 200
    url = f"/analytics/datasets/{toronto['dataset'].pk}/launch/hotspots/"
    assert officer.get(url).status_code == 404


def test_other_tenants_get_404_everywhere(toronto: dict[str, Any], hotspots: AnalysisRun) -> None:
    outsider = client_for(toronto["outsider"])
    slug, pk = toronto["city"].slug, hotspots.pk
    for url in (
        f"/analytics/runs/{pk}/",
        f"/analytics/runs/{pk}/layers/cells.json",
        f"/analytics/{slug}/map/",
        f"/analytics/datasets/{toronto['dataset'].pk}/points.json",
        f"/api/analytics/runs/{pk}",
        f"/api/analytics/runs/{pk}/layers/cells",
    ):
        assert outsider.get(url).status_code == 404, url
    anonymous = Client()
    assert anonymous.get(f"/analytics/runs/{pk}/").status_code == 302
    assert anonymous.get(f"/api/analytics/runs/{pk}").status_code == 401


def test_map_page_and_its_data(toronto: dict[str, Any], hotspots: AnalysisRun) -> None:
    client = client_for(toronto["officer"])
    page = client.get(f"/analytics/{toronto['city'].slug}/map/")
    assert page.status_code == 200
    config = json.loads(
        page.content.decode()
        .split('id="map-config" type="application/json">')[1]
        .split("</script>")[0]
    )
    assert config["months"][0] == "2018-01"
    assert config["months"][-1] == "2019-12"
    assert [r["id"] for r in config["runs"]] == [hotspots.pk]
    points = client.get(config["pointsUrl"], {"month": "2019-06"}).json()
    assert points["total"] == len(points["points"]) > 0
    lat, lon, _category, day = points["points"][0]
    assert 43.63 < lat < 43.68
    assert -79.43 < lon < -79.36
    assert day.startswith("2019-06")
    whole = client.get(config["pointsUrl"]).json()
    assert whole["total"] == 11_740
    assert len(whole["points"]) == 11_740
    assert whole["too_many"] is False
    assault = client.get(
        config["pointsUrl"], {"month": "2019-06", "category": "lesioni-aggressioni"}
    ).json()
    assert 0 < assault["total"] < points["total"]
    assert {p[2] for p in assault["points"]} == {"lesioni-aggressioni"}
    assert client.get(config["pointsUrl"], {"month": "June"}).status_code == 400
    assert AuditEvent.objects.filter(
        object_type="incidents.incident", actor=toronto["officer"]
    ).exists()
    gi = client.get(config["runs"][0]["layerUrl"], {"view": "gi"})
    features = json.loads(gi.content)["features"]
    assert features
    assert all(f["properties"]["gi_class"] != 0 for f in features)
    kde = json.loads(client.get(config["runs"][0]["layerUrl"], {"view": "kde"}).content)
    assert 0 < len(kde["features"]) <= kde["properties"]["cells"]


def test_whole_period_points_are_capped(
    toronto: dict[str, Any], settings: Any, monkeypatch: Any
) -> None:
    from prossima.analytics import queries

    monkeypatch.setattr(queries, "MAX_MAP_POINTS", 1000)
    client = client_for(toronto["officer"])
    data = client.get(f"/analytics/datasets/{toronto['dataset'].pk}/points.json").json()
    assert data["too_many"] is True
    assert data["points"] == []
    assert data["total"] == 11_740


def test_forecast_why_here(toronto: dict[str, Any]) -> None:
    run = do_launch_run(toronto["analyst"], toronto["dataset"], "forecast", {"model": "stkde"})
    run_job(run.job_id)  # type: ignore[arg-type]
    client = client_for(toronto["officer"])
    layer = json.loads(
        client.get(f"/analytics/runs/{run.pk}/layers/cells.json?view=forecast").content
    )
    top = min(layer["features"], key=lambda f: f["properties"]["rank"])
    why = client.get(f"/analytics/runs/{run.pk}/cells/{top['properties']['cell_id']}/").json()
    assert why["rank"] == 1
    assert why["model"] == "stkde"
    missing = client.get(f"/analytics/runs/{run.pk}/cells/150m_E0_N0/")
    assert missing.status_code == 404


def test_public_page_shows_only_the_published_aggregate(
    toronto: dict[str, Any], hotspots: AnalysisRun
) -> None:
    anonymous = Client()
    slug = toronto["city"].slug
    page = anonymous.get(f"/analytics/{slug}/public/")
    assert page.status_code == 200
    assert b'data-testid="public-summary"' in page.content
    assert anonymous.get(f"/analytics/{slug}/public/hotspots.json").status_code == 404
    assert anonymous.get(f"/api/analytics/public/{slug}/hotspots").status_code == 404
    manager = client_for(toronto["manager"])
    manager.post(f"/analytics/runs/{hotspots.pk}/publish/")
    hotspots.refresh_from_db()
    assert hotspots.is_published
    layer = anonymous.get(f"/analytics/{slug}/public/hotspots.json")
    assert layer.status_code == 200
    doc = json.loads(layer.content)
    assert min(f["properties"]["count"] for f in doc["features"]) >= 5
    assert all(set(f["properties"]) == {"count", "gi_class"} for f in doc["features"])
    assert anonymous.get(f"/api/analytics/public/{slug}/hotspots").content == layer.content
    assert slug.encode() in anonymous.get("/analytics/public/").content
    # Analysts cannot publish; the page says nothing changed.
    analyst = client_for(toronto["analyst"])
    assert analyst.post(f"/analytics/runs/{hotspots.pk}/publish/").status_code == 403


def test_api_launch_list_and_layers(toronto: dict[str, Any]) -> None:
    client = client_for(toronto["analyst"])
    bad = client.post(
        "/api/analytics/runs",
        {"dataset_id": toronto["dataset"].pk, "kind": "hotspots", "params": {"cell": 0}},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "cell" in bad.json()["detail"]
    created = client.post(
        "/api/analytics/runs",
        {"dataset_id": toronto["dataset"].pk, "kind": "hotspots", "params": {"cell": 300}},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["params"]["cell"] == 300
    assert body["status"] == "queued"
    run_job(body["job_id"])
    got = client.get(f"/api/analytics/runs/{body['id']}").json()
    assert got["status"] == "done"
    assert got["layers"] == ["cells"]
    listed = client.get("/api/analytics/runs", {"kind": "hotspots"}).json()
    assert [r["id"] for r in listed] == [body["id"]]
    cells = client.get(f"/api/analytics/runs/{body['id']}/layers/cells")
    assert cells["Content-Type"] == "application/geo+json"
    assert sum(f["properties"]["count"] for f in json.loads(cells.content)["features"]) == 11_740
    officer = client_for(toronto["officer"])
    denied = officer.post(
        "/api/analytics/runs",
        {"dataset_id": toronto["dataset"].pk, "kind": "hotspots"},
        content_type="application/json",
    )
    assert denied.status_code == 403
    schema = Client().get("/api/openapi.json").json()
    assert "/api/analytics/runs" in schema["paths"]
    assert "/api/analytics/public/{slug}/hotspots" in schema["paths"]


def test_run_page_shows_results_and_parameters(
    toronto: dict[str, Any], hotspots: AnalysisRun
) -> None:
    page = client_for(toronto["analyst"]).get(f"/analytics/runs/{hotspots.pk}/")
    text = page.content.decode()
    assert 'data-testid="gi-counts"' in text
    assert 'data-testid="run-params"' in text
    assert "11.740" in text or "11,740" in text
    assert AuditEvent.objects.filter(
        object_type="analytics.analysisrun", object_id=str(hotspots.pk), action="view"
    ).exists()
