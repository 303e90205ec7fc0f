"""Beats, their edits, patrol plans and visit logs, on the real Toronto extract."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from scipy.sparse.csgraph import connected_components

from prossima.analytics.actions import do_launch_run
from prossima.jobs.models import Job
from prossima.jobs.runner import run_job
from prossima.policing.actions import (
    box_count,
    do_activate_beat_plan,
    do_create_patrol_plan,
    do_log_visit,
    do_request_beats,
    do_save_edited_beats,
    plan_grid,
)
from prossima.policing.models import BeatPlan, Visit
from prossima.policing.queries import dosage


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def beats(toronto: dict[str, Any]) -> BeatPlan:
    plan = do_request_beats(
        toronto["manager"], toronto["city"], name="Downtown", n_beats=4, dataset=toronto["dataset"]
    )
    assert run_job(plan.job_id) == Job.Status.DONE, plan.job.error  # type: ignore[arg-type, union-attr]
    plan.refresh_from_db()
    return plan


@pytest.fixture
def forecast(toronto: dict[str, Any]) -> Any:
    run = do_launch_run(
        toronto["analyst"], toronto["dataset"], "forecast", {"model": "prospective"}
    )
    run_job(run.job_id)  # type: ignore[arg-type]
    run.refresh_from_db()
    return run


def test_beats_cover_every_cell_once_and_are_contiguous(beats: BeatPlan) -> None:
    grid = plan_grid(beats)
    labels = np.asarray(beats.labels)
    assert len(labels) == grid.n_cells == len(beats.cell_ids)
    assert set(labels.tolist()) == {0, 1, 2, 3}
    adjacency = grid.queen_weights(include_self=False)
    for beat in range(4):
        members = np.flatnonzero(labels == beat)
        n, _ = connected_components(adjacency[members][:, members], directed=False)
        assert n == 1, f"beat {beat} is in {n} pieces"
    assert beats.beats.count() == 4
    shares = [b.workload for b in beats.beats.all()]
    assert sum(shares) == pytest.approx(1.0, abs=1e-6)
    assert beats.stats["balance"]["max_over_min"] == pytest.approx(
        max(shares) / min(shares), rel=1e-3
    )
    assert beats.stats["balance"]["max_over_min"] < 2.0
    assert len(json.loads(beats.geojson)["features"]) == 4


def test_an_edit_is_checked_and_saved_as_a_new_version(
    beats: BeatPlan, toronto: dict[str, Any]
) -> None:
    grid = plan_grid(beats)
    labels = np.asarray(beats.labels)
    adjacency = grid.queen_weights(include_self=False).tocsr()
    # A cell of beat 0 touching beat 1 moves to beat 1 (unless that splits beat 0).
    moved = None
    for i in np.flatnonzero(labels == 0):
        neighbours = adjacency.indices[adjacency.indptr[i] : adjacency.indptr[i + 1]]
        if (labels[neighbours] == 1).any():
            trial = labels.copy()
            trial[i] = 1
            members = np.flatnonzero(trial == 0)
            if connected_components(adjacency[members][:, members], directed=False)[0] == 1:
                moved = trial
                break
    assert moved is not None
    edited = do_save_edited_beats(toronto["manager"], beats, moved.tolist())
    assert edited.version == beats.version + 1
    assert edited.based_on == beats
    assert edited.labels == moved.tolist()
    # A far-away cell given to beat 2 breaks that beat into pieces: refused.
    broken = labels.copy()
    far = int(np.argmax(np.hypot(*(c - c[labels == 2].mean() for c in grid.centroids()))))
    broken[far] = 2
    if labels[far] != 2:
        with pytest.raises(ValidationError):
            do_save_edited_beats(toronto["manager"], beats, broken.tolist())
    with pytest.raises(ValidationError):
        do_save_edited_beats(toronto["manager"], beats, [0, 1])
    with pytest.raises(PermissionDenied):
        do_save_edited_beats(toronto["officer"], beats, moved.tolist())
    do_activate_beat_plan(toronto["manager"], edited)
    assert list(BeatPlan.objects.filter(is_active=True)) == [edited]


def test_patrol_plan_takes_the_top_forecast_cells_of_the_beat(
    beats: BeatPlan, forecast: Any, toronto: dict[str, Any]
) -> None:
    import shapely

    from prossima.analytics.queries import layer_of

    cells = json.loads(layer_of(forecast, "cells").content)["features"]  # type: ignore[union-attr]
    top = next(f for f in cells if f["properties"]["rank"] == 1)
    centre = shapely.geometry.shape(top["geometry"]).centroid
    beat = next(b for b in beats.beats.all() if shapely.from_geojson(b.geometry).contains(centre))
    start = dt.datetime(2020, 1, 2, 14, 0, tzinfo=dt.UTC)
    plan = do_create_patrol_plan(
        toronto["analyst"], beat, shift_start=start, shift_end=start + dt.timedelta(hours=6)
    )
    boxes = list(plan.boxes.all())
    assert 0 < len(boxes) <= box_count(360, 15, 2) == 6
    ranks = [b.rank_in_city for b in boxes]
    assert ranks == sorted(ranks)
    area = shapely.from_geojson(beat.geometry)
    assert all(area.contains(shapely.Point(b.lon, b.lat)) for b in boxes)
    assert all(b.planned_minutes == 30 for b in boxes)
    # The city's top cell comes first, with its stored "why here?".
    assert boxes[0].rank_in_city == 1
    assert boxes[0].reasons["context"]["events_in_cell_last_365d"] > 0
    with pytest.raises(ValidationError):
        do_create_patrol_plan(toronto["analyst"], beat, shift_start=start, shift_end=start)
    with pytest.raises(PermissionDenied):
        do_create_patrol_plan(
            toronto["officer"], beat, shift_start=start, shift_end=start + dt.timedelta(hours=6)
        )


def test_patrol_plan_needs_a_forecast(
    beats: BeatPlan, toronto: dict[str, Any], english: None
) -> None:
    start = timezone.now()
    with pytest.raises(ValidationError, match="forecast"):
        do_create_patrol_plan(
            None, beats.beats.first(), shift_start=start, shift_end=start + dt.timedelta(hours=6)
        )


def test_officers_log_visits_and_managers_see_the_dosage(
    beats: BeatPlan, forecast: Any, toronto: dict[str, Any]
) -> None:
    beat = max(beats.beats.all(), key=lambda b: b.workload)
    start = dt.datetime(2020, 1, 2, 14, 0, tzinfo=dt.UTC)
    plan = do_create_patrol_plan(
        None, beat, shift_start=start, shift_end=start + dt.timedelta(hours=6)
    )
    box = plan.boxes.first()
    do_log_visit(toronto["officer"], box, arrived_at=start, minutes=12, people_met=3)
    do_log_visit(toronto["officer"], box, arrived_at=start, minutes=10, problems="Lampione rotto")
    row = next(r for r in dosage(plan) if r["box"] == box)
    assert (row["planned"], row["done"]) == (30, 22)
    with pytest.raises(ValidationError):
        do_log_visit(toronto["officer"], box, arrived_at=start, minutes=0)
    with pytest.raises(PermissionDenied):
        do_log_visit(toronto["outsider"], box, arrived_at=start, minutes=5)
    visit = Visit.objects.first()
    assert toronto["officer"].has_perm("policing.view_visit", visit)
    assert toronto["manager"].has_perm("policing.view_visit", visit)
    assert not toronto["analyst"].has_perm("policing.view_visit", visit)


def test_pages_for_manager_officer_and_outsider(
    beats: BeatPlan, forecast: Any, toronto: dict[str, Any]
) -> None:
    manager = client_for(toronto["manager"])
    assert manager.get("/policing/").status_code == 200
    page = manager.get(f"/policing/beats/{beats.pk}/")
    assert b'data-testid="beats-table"' in page.content
    cells = manager.get(f"/policing/beats/{beats.pk}/cells.json").json()
    labels = [f["properties"]["beat"] for f in cells["features"]]
    assert labels == beats.labels
    stats = manager.post(
        f"/policing/beats/{beats.pk}/evaluate/",
        json.dumps({"labels": labels}),
        content_type="application/json",
    ).json()
    assert stats["problems"] == []
    beat = beats.beats.first()
    response = manager.post(
        f"/policing/beat/{beat.pk}/patrols/new/",
        {"day": "2020-01-02", "start": "14:00", "end": "20:00", "minutes_per_visit": 15,
         "visits_per_box": 2},
    )  # fmt: skip
    assert response.status_code == 302
    patrol_url = response.url
    printed = manager.get(patrol_url + "print/")
    assert b"<svg" in printed.content
    assert b'data-testid="briefing"' in printed.content
    officer = client_for(toronto["officer"])
    assert officer.get(patrol_url).status_code == 200
    assert officer.get(f"/policing/beats/{beats.pk}/cells.json").status_code == 404
    outsider = client_for(toronto["outsider"])
    for url in (f"/policing/beats/{beats.pk}/", patrol_url, patrol_url + "print/"):
        assert outsider.get(url).status_code == 404


def test_api_beats_patrols_and_visits(
    beats: BeatPlan, forecast: Any, toronto: dict[str, Any]
) -> None:
    beat = max(beats.beats.all(), key=lambda b: b.workload)
    start = dt.datetime(2020, 1, 2, 14, 0, tzinfo=dt.UTC)
    patrol = do_create_patrol_plan(
        None, beat, shift_start=start, shift_end=start + dt.timedelta(hours=6)
    )
    officer = client_for(toronto["officer"])
    plans = officer.get("/api/policing/beat-plans").json()
    assert [p["id"] for p in plans] == [beats.pk]
    assert len(plans[0]["beats"]) == 4
    assert plans[0]["beats"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    got = officer.get(f"/api/policing/patrol-plans/{patrol.pk}").json()
    box = got["boxes"][0]
    created = officer.post(
        f"/api/policing/boxes/{box['id']}/visits",
        {"arrived_at": start.isoformat(), "minutes": 14, "people_met": 2},
        content_type="application/json",
    )
    assert created.status_code == 201
    again = officer.get(f"/api/policing/patrol-plans/{patrol.pk}").json()
    assert again["boxes"][0]["done_minutes"] == 14
    assert [v["minutes"] for v in officer.get("/api/policing/visits").json()] == [14]
    # The analyst neither sees the officer's log nor logs visits.
    analyst = client_for(toronto["analyst"])
    assert analyst.get("/api/policing/visits").json() == []
    assert client_for(toronto["manager"]).get("/api/policing/visits").json()[0]["minutes"] == 14
    outsider = client_for(toronto["outsider"])
    assert outsider.get("/api/policing/beat-plans").json() == []
    assert outsider.get(f"/api/policing/patrol-plans/{patrol.pk}").status_code == 404
    bad = officer.post(
        f"/api/policing/boxes/{box['id']}/visits",
        {"arrived_at": start.isoformat(), "minutes": 0},
        content_type="application/json",
    )
    assert bad.status_code == 400
