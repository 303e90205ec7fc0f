"""Projects with SARA checklists and impact evaluations on the real Toronto extract."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pytest
import shapely
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from prossima.incidents.models import Incident
from prossima.interventions.actions import (
    SARA_STEPS,
    do_check_step,
    do_create_project,
    do_evaluate_project,
    do_publish_project,
)
from prossima.interventions.models import Stage

# Around Yonge and Dundas, the busiest corner of the extract, and an area to the west.
TREATED = shapely.box(-79.3850, 43.6530, -79.3770, 43.6590)
CONTROL = shapely.box(-79.4150, 43.6430, -79.4050, 43.6510)


def geojson(geom: Any) -> str:
    return json.dumps(shapely.geometry.mapping(geom))


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def project(toronto: dict[str, Any]) -> Any:
    return do_create_project(
        toronto["analyst"],
        toronto["city"],
        title="Più luce in Yonge-Dundas",
        kind="requalification",
        area=geojson(TREATED),
        start_date=dt.date(2019, 1, 1),
        dataset=toronto["dataset"],
    )


def test_a_project_has_the_sara_checklist(project: Any, toronto: dict[str, Any]) -> None:
    steps = list(project.checklist.all())
    assert len(steps) == sum(len(v) for v in SARA_STEPS.values())
    assert {s.stage for s in steps} == set(Stage.values)
    do_check_step(toronto["analyst"], steps[0], True)
    steps[0].refresh_from_db()
    assert steps[0].done
    assert steps[0].done_at is not None
    with pytest.raises(PermissionDenied):
        do_check_step(toronto["officer"], steps[0], False)


def test_bad_areas_are_refused_with_the_field_named(toronto: dict[str, Any]) -> None:
    for bad in ("not json", geojson(shapely.Point(-79.38, 43.65)), '{"type": "Polygon"}'):
        with pytest.raises(ValidationError) as err:
            do_create_project(
                None, toronto["city"], title="x", kind="other", area=bad,
                start_date=dt.date(2019, 1, 1),
            )  # fmt: skip
        assert "area" in err.value.message_dict


def test_an_injected_reduction_is_detected(project: Any, toronto: dict[str, Any]) -> None:
    """Remove half the incidents of the project area from the start: the evaluation sees it."""
    inside = [
        pk
        for pk, lon, lat in Incident.objects.filter(
            dataset=toronto["dataset"], occurred_from__gte=dt.datetime(2019, 1, 1, 5, tzinfo=dt.UTC)
        ).values_list("pk", "lon", "lat")
        if TREATED.contains(shapely.Point(lon, lat))
    ]
    assert len(inside) > 100
    rng = np.random.default_rng(0)
    Incident.objects.filter(pk__in=rng.choice(inside, len(inside) // 2, replace=False)).delete()
    evaluation = do_evaluate_project(
        toronto["analyst"], project, control_area=geojson(CONTROL), control_label="West"
    )
    assert evaluation.verdict == "reduction"
    assert evaluation.result["did"]["estimate_per_month"] < 0
    assert evaluation.chart_svg.startswith("<svg")


def test_untouched_data_shows_no_effect(project: Any, toronto: dict[str, Any]) -> None:
    evaluation = do_evaluate_project(
        toronto["analyst"], project, control_area=geojson(CONTROL), control_label="West"
    )
    assert evaluation.verdict in ("no_detectable_change", "inconclusive")
    with pytest.raises(ValidationError):
        do_evaluate_project(toronto["analyst"], project, control_area=geojson(TREATED))


def test_pages_and_publication(project: Any, toronto: dict[str, Any]) -> None:
    analyst = client_for(toronto["analyst"])
    page = analyst.get(f"/interventions/projects/{project.pk}/")
    assert page.status_code == 200
    assert b'data-testid="checklist-scanning"' in page.content
    response = analyst.post(
        f"/interventions/projects/{project.pk}/",
        {"control_area": geojson(CONTROL), "control_label": "West", "buffer_m": 200,
         "months_before": 12, "months_after": 12},
    )  # fmt: skip
    assert response.status_code == 302
    page = analyst.get(f"/interventions/projects/{project.pk}/")
    assert b'data-testid="impact-chart"' in page.content
    assert b"<svg" in page.content
    assert (
        client_for(toronto["outsider"]).get(f"/interventions/projects/{project.pk}/").status_code
        == 404
    )
    public = Client().get("/interventions/public/")
    assert project.title.encode() not in public.content
    with pytest.raises(PermissionDenied):
        do_publish_project(toronto["analyst"], project, True)
    do_publish_project(toronto["manager"], project, True)
    assert project.title.encode() in Client().get("/interventions/public/").content


def test_api_public_and_restricted(project: Any, toronto: dict[str, Any]) -> None:
    assert Client().get("/api/interventions/public").json() == []
    do_publish_project(toronto["manager"], project, True)
    public = Client().get("/api/interventions/public").json()
    assert [(p["title"], p["verdict"]) for p in public] == [(project.title, None)]
    assert "area" not in public[0]
    full = client_for(toronto["officer"]).get(f"/api/interventions/projects/{project.pk}").json()
    assert full["area"]["type"] == "Polygon"
    assert len(full["checklist"]) == sum(len(v) for v in SARA_STEPS.values())
    url = f"/api/interventions/projects/{project.pk}"
    assert client_for(toronto["outsider"]).get(url).status_code == 404


def test_projects_link_the_tenants_own_citizen_reports(
    toronto: dict[str, Any], make_org: Any, bologna: Any
) -> None:
    from prossima.accounts.models import OrganisationKind
    from prossima.incidents.actions import do_install_report_categories, do_submit_report
    from prossima.incidents.models import ReportCategory

    do_install_report_categories()
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna (test)", comune=bologna)
    report, _token = do_submit_report(
        None,
        category=ReportCategory.objects.get(code="illuminazione-carente"),
        title="Portico buio",
        description="Tre lampioni spenti.",
        lon=11.3426,
        lat=44.4937,
    )
    area = geojson(shapely.box(11.340, 44.492, 11.345, 44.495))
    project = do_create_project(
        None, comune, title="Luce sotto i portici", kind="requalification", area=area,
        start_date=dt.date(2026, 1, 1), reports=[report],
    )  # fmt: skip
    assert list(project.reports.all()) == [report]
    with pytest.raises(ValidationError) as err:
        do_create_project(
            None, toronto["city"], title="x", kind="other", area=geojson(TREATED),
            start_date=dt.date(2019, 1, 1), reports=[report],
        )  # fmt: skip
    assert "reports" in err.value.message_dict
