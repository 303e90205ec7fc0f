"""Analysis runs on a real Toronto extract: launch, compute through the job runner, publish."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from prossima.accounts.models import AuditEvent, OrganisationKind
from prossima.analytics import queries
from prossima.analytics.actions import (
    clean_params,
    do_launch_run,
    do_publish_run,
    do_unpublish_run,
    public_layer,
)
from prossima.analytics.models import AnalysisRun, RunLayer
from prossima.jobs.models import Job
from prossima.jobs.runner import run_job

DATA = Path(__file__).resolve().parents[1] / "data"


def compute(run: AnalysisRun) -> AnalysisRun:
    """Run the run's job in-process, as a worker does, and reload the run."""
    assert run.job_id is not None
    status = run_job(run.job_id)
    run.refresh_from_db()
    assert status == Job.Status.DONE, run.job.error if run.job else "no job"
    return run


def test_defaults_are_the_command_lines(toronto: dict[str, Any]) -> None:
    params = clean_params("hotspots", toronto["dataset"], {})
    assert params == {
        "cell": 200.0,
        "kernel": "quartic",
        "permutations": 0,
        "fdr": True,
    }
    forecast = clean_params("forecast", toronto["dataset"], {"model": "sepp"})
    assert forecast == {"model": "sepp", "horizon_days": 7, "cell": 150.0}


def test_bad_parameters_name_the_field(toronto: dict[str, Any], english: None) -> None:
    with pytest.raises(ValidationError) as err:
        clean_params("hotspots", toronto["dataset"], {"cell": -5, "categories": ["nope"]})
    assert set(err.value.message_dict) == {"cell", "categories"}
    with pytest.raises(ValidationError) as err:
        clean_params("nearrepeat", toronto["dataset"], {"space_bands": "0,400,200"})
    assert "increasing" in " ".join(err.value.message_dict["space_bands"])
    with pytest.raises(ValidationError):
        clean_params("hotspots", toronto["dataset"], {"since": "2019-06-01", "until": "2019-01-01"})
    with pytest.raises(ValidationError):
        clean_params("teleport", toronto["dataset"], {})


def test_hotspot_run_matches_the_analytic_core(toronto: dict[str, Any]) -> None:
    """The stored layer holds the same counts and Gi* classes as the core on the same events."""
    from prossima.analysis.grid import Grid
    from prossima.analysis.layers import hotspot_layer

    dataset = toronto["dataset"]
    run = do_launch_run(toronto["analyst"], dataset, "hotspots", {"since": "2019-01-01"})
    assert (run.version, run.dataset_version) == (1, 1)
    assert run.status == Job.Status.QUEUED
    compute(run)
    assert run.status == Job.Status.DONE
    doc = json.loads(RunLayer.objects.get(run=run, name="cells").content)
    events = queries.events_for(dataset, {"since": "2019-01-01"})
    # Rows of the extract whose local (Toronto) date falls in 2019, counted with pandas.
    assert run.events_analysed == len(events) == 6_104
    # Toronto local dates: nothing of 2018 (local) crosses into the run.
    assert events.times().tz_convert("America/Toronto").min().year == 2019
    expected = hotspot_layer(events, Grid.from_events(events, 200.0), fdr=True)
    counts = [f["properties"]["count"] for f in doc["features"]]
    classes = [f["properties"]["gi_class"] for f in doc["features"]]
    assert counts == expected.properties["count"].tolist()
    assert classes == expected.properties["gi_class"].tolist()
    assert sum(counts) == len(events)
    assert run.summary["gi_class_counts"]["3"] > 0
    again = do_launch_run(toronto["analyst"], dataset, "hotspots", {"since": "2019-01-01"})
    assert again.version == 2


def test_category_and_area_filters(toronto: dict[str, Any]) -> None:
    dataset = toronto["dataset"]
    assaults = queries.incidents_for(dataset, {"categories": ["lesioni-aggressioni"]}).count()
    assert 0 < assaults < dataset.incidents.count()
    area = "label:Bay Street Corridor"
    in_area = queries.incidents_for(dataset, {"area": area})
    assert in_area.count() > 0
    assert set(in_area.values_list("area_label", flat=True)) == {"Bay Street Corridor"}
    assert ("label:Bay Street Corridor", "Bay Street Corridor") in queries.area_choices(dataset)


def test_forecast_run_stores_top_cells_and_why_here(toronto: dict[str, Any]) -> None:
    run = do_launch_run(
        toronto["analyst"], toronto["dataset"], "forecast", {"model": "prospective"}
    )
    compute(run)
    # The default origin is the local day after the last incident (31 Dec 2019).
    assert run.summary["origin"].startswith("2020-01-01T00:00:00-05:00")
    cells = json.loads(queries.layer_of(run, "cells").content)  # type: ignore[union-attr]
    ranks = sorted(f["properties"]["rank"] for f in cells["features"])
    assert ranks[0] == 1
    assert len(ranks) == run.summary["cells_in_layer"] == int(np.ceil(run.summary["cells"] * 0.05))
    why = json.loads(queries.layer_of(run, "explanations").content)  # type: ignore[union-attr]
    top = next(f for f in cells["features"] if f["properties"]["rank"] == 1)
    cell = top["properties"]["cell_id"]
    assert why[cell]["rank"] == 1
    assert why[cell]["context"]["events_in_cell_last_365d"] > 0
    flagged = {
        f["properties"]["cell_id"] for f in cells["features"] if f["properties"]["explained"]
    }
    assert flagged == set(why)
    assert len(why) == int(np.ceil(run.summary["cells"] * 0.01))


def test_nearrepeat_and_emerging_runs(toronto: dict[str, Any]) -> None:
    knox = do_launch_run(
        toronto["analyst"],
        toronto["dataset"],
        "nearrepeat",
        {"permutations": 19, "seed": 1, "since": "2019-06-01"},
    )
    compute(knox)
    table = json.loads(queries.layer_of(knox, "table").content)  # type: ignore[union-attr]
    assert len(table["observed"]) == 5
    assert len(table["observed"][0]) == 5
    emerging = do_launch_run(toronto["analyst"], toronto["dataset"], "emerging", {})
    compute(emerging)
    assert sum(emerging.summary["category_counts"].values()) == emerging.summary["cells"]
    assert len(emerging.summary["steps"]) == 24


def test_a_failed_run_stores_nothing_and_can_be_retried(toronto: dict[str, Any]) -> None:
    run = do_launch_run(toronto["analyst"], toronto["dataset"], "hotspots", {"until": "2010-01-01"})
    assert run_job(run.job_id) == Job.Status.FAILED  # type: ignore[arg-type]
    run.refresh_from_db()
    assert run.status == Job.Status.FAILED
    assert "No incidents match" in run.job.error  # type: ignore[union-attr]
    assert not run.layers.exists()
    assert run.finished_at is None


def test_only_analysts_launch_and_only_managers_publish(toronto: dict[str, Any]) -> None:
    dataset = toronto["dataset"]
    with pytest.raises(PermissionDenied):
        do_launch_run(toronto["officer"], dataset, "hotspots", {})
    with pytest.raises(PermissionDenied):
        do_launch_run(toronto["outsider"], dataset, "hotspots", {})
    run = compute(do_launch_run(toronto["analyst"], dataset, "hotspots", {}))
    with pytest.raises(PermissionDenied):
        do_publish_run(toronto["analyst"], run)
    do_publish_run(toronto["manager"], run)
    assert AuditEvent.objects.filter(
        object_type="analytics.analysisrun", object_id=str(run.pk), action="update"
    ).exists()


def test_public_layer_keeps_only_cells_above_the_threshold(
    toronto: dict[str, Any], settings: Any
) -> None:
    run = compute(do_launch_run(toronto["analyst"], toronto["dataset"], "hotspots", {}))
    cells = json.loads(queries.layer_of(run, "cells").content)["features"]  # type: ignore[union-attr]
    small = [f for f in cells if 0 < f["properties"]["count"] < 5]
    assert small, "the extract has cells below the threshold"
    with pytest.raises(ValidationError):
        do_publish_run(toronto["manager"], run, min_count=2)
    do_publish_run(toronto["manager"], run)
    published = json.loads(run.public_layer)
    counts = [f["properties"]["count"] for f in published["features"]]
    assert min(counts) >= 5
    assert len(counts) == sum(1 for f in cells if f["properties"]["count"] >= 5)
    assert set(published["features"][0]["properties"]) == {"count", "gi_class"}
    # A stricter threshold set in the settings is applied on publication.
    settings.PROSSIMA = {**settings.PROSSIMA, "PUBLIC_MIN_COUNT": 20}
    stricter = public_layer(run, 20)
    assert min(f["properties"]["count"] for f in stricter["features"]) >= 20
    assert queries.public_layer_text(toronto["city"].slug) == run.public_layer
    do_unpublish_run(toronto["manager"], run)
    assert queries.public_layer_text(toronto["city"].slug) is None


def test_sensitive_incidents_never_reach_public_cells_below_threshold(
    toronto: dict[str, Any],
) -> None:
    """Only sexual-violence incidents: every published cell still has at least k of them."""
    from prossima.incidents.models import Category, Incident

    dataset = toronto["dataset"]
    sensitive = Category.objects.filter(tenant=toronto["city"], sensitive=True).first()
    assert sensitive is not None
    some = list(Incident.objects.filter(dataset=dataset).values_list("pk", flat=True)[:400])
    Incident.objects.filter(pk__in=some).update(category=sensitive, sensitive=True)
    run = compute(
        do_launch_run(toronto["analyst"], dataset, "hotspots", {"categories": [sensitive.code]})
    )
    assert run.events_analysed == 400
    do_publish_run(toronto["manager"], run)
    features = json.loads(run.public_layer)["features"]
    assert all(f["properties"]["count"] >= 5 for f in features)
    assert sum(f["properties"]["count"] for f in features) < 400


@pytest.fixture
def outsider_city(make_org: Any) -> Any:
    return make_org(OrganisationKind.PARTNER_CITY, "Elsewhere (test)", country="GB")


def test_runs_are_per_tenant(toronto: dict[str, Any], outsider_city: Any) -> None:
    run = do_launch_run(toronto["analyst"], toronto["dataset"], "hotspots", {})
    assert list(queries.runs_of(toronto["city"])) == [run]
    assert not queries.runs_of(outsider_city).exists()
    assert toronto["analyst"].has_perm("analytics.view_run", run.tenant)
    assert not toronto["outsider"].has_perm("analytics.view_run", run.tenant)
    assert toronto["officer"].has_perm("analytics.view_run", run.tenant)
    assert not toronto["outsider"].has_perm("analytics.launch_run", run.tenant)
