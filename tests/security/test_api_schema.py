"""Fuzz the JSON API against its own OpenAPI schema (schemathesis, in-process over WSGI).

Every operation of ``/api/openapi.json`` gets a bounded, derandomised number of
generated requests three times: anonymous, with the bearer token of a manager of
the Comune di Bologna, and with that of an officer of its local police. The
database holds real content made with the project's actions: the demo's Bologna
(citizen reports, services, confiscated assets, alerts, practices, a
consultation with proposals, a project, meetings and a course), a small made-up
incident dataset with a published hotspot run, a forecast, beats, a patrol plan
and a visit, a referral and a safety-audit campaign. Path parameters are drawn
at random and from these objects, and write operations also get valid bodies, so
that success answers (200, 201) are validated too, not only errors.

Every answer must not be a server error and must conform to the schema: status
code declared, content type declared, body valid against the declared schema.
Each request runs in a savepoint that is rolled back, so write operations are
fuzzed against the same content every time.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.db import close_old_connections
from django.test import Client, override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.conftest import rolled_back

# Each test runs in a savepoint of the module's transaction, which holds the content.
pytestmark = pytest.mark.django_db

BOLOGNA = "037006"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Bounded and reproducible: the same requests in every run, a few seconds per operation
# (three identities each), no example database left behind.
EXAMPLES = 10
FUZZ = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)
IDENTITIES = ("anonymous", "manager", "officer")
# This test is about schema conformance, not throttling: the API's and the report
# form's rate limits are raised so that every generated request reaches its view
# (429 stays declared in the schema; tests/web covers the limits themselves).
UNTHROTTLED = {
    "API_RATE_ANONYMOUS": "1000000/m",
    "API_RATE_USER": "1000000/m",
    "REPORT_RATE_ANONYMOUS": 1_000_000,
    "REPORT_RATE_USER": 1_000_000,
}


def _operations() -> list[str]:
    """Return the label ("GET /api/...") of every operation, read from the API's schema."""
    from prossima.config.api import api

    paths = api.get_openapi_schema()["paths"]
    return [f"{method.upper()} {path}" for path, item in paths.items() for method in item]


OPERATIONS = _operations()


@contextmanager
def in_test_transaction() -> Iterator[None]:
    """Keep Django from closing the test's connection at the end of each WSGI request.

    Django's test client does the same: at the end of a request Django closes
    "old" connections, which inside the test's transaction would close it.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _incident_file(folder: Path) -> Path:
    """Write 400 made-up incidents in three clusters in Bologna over two years (test data)."""
    rng = random.Random(13)
    centres = [(11.3426, 44.4939), (11.3530, 44.4970), (11.3300, 44.5010)]
    start = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    lines = ["lon,lat,time,category"]
    for n in range(400):
        lon, lat = centres[n % 3]
        when = start + dt.timedelta(hours=rng.randrange(2 * 365 * 24))
        lines.append(
            f"{lon + rng.gauss(0, 0.002):.6f},{lat + rng.gauss(0, 0.0015):.6f},"
            f"{when:%Y-%m-%dT%H:%M},furto"
        )
    path = folder / "incidents.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build_world(folder: Path) -> dict[str, Any]:
    """Fill the database with content for every part of the API, with the project's actions."""
    from prossima import demo
    from prossima.accounts.actions import do_issue_api_token
    from prossima.accounts.models import User
    from prossima.analytics.actions import do_launch_run, do_publish_run
    from prossima.counterfeit.models import ProductAlert
    from prossima.dialogue.models import Consultation
    from prossima.incidents.actions import (
        do_create_dataset,
        do_import_incidents,
        do_submit_report,
    )
    from prossima.incidents.models import CitizenReport, ModerationState, ReportCategory
    from prossima.inclusion.actions import do_create_campaign, do_record_safety_audit
    from prossima.inclusion.models import AUDIT_PARAMETERS, Service
    from prossima.inclusion.referrals import do_refer_case
    from prossima.interventions.models import Project
    from prossima.jobs.runner import run_job
    from prossima.policing.actions import (
        do_activate_beat_plan,
        do_create_patrol_plan,
        do_log_visit,
        do_request_beats,
    )
    from prossima.practices.models import Practice

    orgs = demo.load_demo_accounts()
    demo.load_demo_services(orgs)
    demo.load_demo_assets(orgs)
    demo.load_demo_alerts()
    demo.load_demo_practices(orgs)
    demo.load_demo_reports(orgs)
    demo.load_demo_dialogue(orgs)
    manager = User.objects.get(username="responsabile.bologna")
    officer = User.objects.get(username="agente.bologna")
    comune = orgs["comune"]

    dataset = do_create_dataset(None, comune, name="Polizia Locale (test)")
    do_import_incidents(None, dataset, _incident_file(folder))
    runs = []
    for kind, params in (("hotspots", {}), ("forecast", {"model": "prospective"})):
        run = do_launch_run(None, dataset, kind, params)
        run_job(run.job_id)  # type: ignore[arg-type]
        run.refresh_from_db()
        assert run.finished_at is not None, (kind, run.job.error)  # type: ignore[union-attr]
        runs.append(run)
    do_publish_run(None, runs[0])
    plan = do_request_beats(None, comune, name="Beat (test)", n_beats=3, dataset=dataset)
    run_job(plan.job_id)  # type: ignore[arg-type]
    plan.refresh_from_db()
    do_activate_beat_plan(None, plan)
    beat = max(plan.beats.all(), key=lambda b: b.workload)
    shift = dt.datetime(2025, 1, 2, 14, 0, tzinfo=dt.UTC)
    patrol = do_create_patrol_plan(
        None, beat, shift_start=shift, shift_end=shift + dt.timedelta(hours=6)
    )
    box = patrol.boxes.first()
    assert box is not None, "the patrol plan has boxes"
    do_log_visit(officer, box, arrived_at=shift, minutes=10, people_met=2, problems="")

    service = Service.objects.filter(tenant=comune, accepts_referrals=True).first()
    assert service is not None
    referral = do_refer_case(
        officer, service, case_code="PL-2026-001", age_band="14_17",
        target_group=service.target_groups[0], reason="Abbandono scolastico",
    )  # fmt: skip
    campaign = do_create_campaign(manager, comune, title="Passeggiata", date=dt.date(2025, 5, 1))
    do_record_safety_audit(
        manager, campaign, lon=11.3426, lat=44.4937,
        scores={name: 2 for name, _label in AUDIT_PARAMETERS}, feeling=2,
    )  # fmt: skip
    _report, follow_token = do_submit_report(
        None, category=ReportCategory.objects.get(code="illuminazione-carente"),
        title="Lampione spento", description="Il lampione davanti al civico 3 è spento.",
        lon=11.3426, lat=44.4939,
    )  # fmt: skip
    published = CitizenReport.objects.filter(
        tenant=comune, moderation_state=ModerationState.PUBLISHED
    ).first()
    pending = CitizenReport.objects.filter(tenant=comune).exclude(pk=published.pk).first()
    assert published is not None
    assert pending is not None
    consultation = Consultation.objects.get()
    layers = sorted(runs[0].layers.values_list("name", flat=True))
    # Real values for the path parameters of each operation (others are drawn at random).
    known = {
        "/api/comuni/{istat_code}": [{"istat_code": BOLOGNA}],
        "/api/comuni/{istat_code}/boundary": [{"istat_code": BOLOGNA}],
        "/api/comuni/{istat_code}/subareas": [{"istat_code": BOLOGNA}],
        "/api/analytics/runs/{run_id}": [{"run_id": r.pk} for r in runs],
        "/api/analytics/runs/{run_id}/layers/{name}": [
            {"run_id": runs[0].pk, "name": name} for name in layers
        ],
        "/api/analytics/public/{slug}/hotspots": [{"slug": comune.slug}],
        "/api/reports/comuni/{istat_code}": [{"istat_code": BOLOGNA}],
        "/api/reports/comuni/{istat_code}/points": [{"istat_code": BOLOGNA}],
        "/api/reports/follow/{token}": [{"token": follow_token}],
        **{
            f"/api/reports/{{report_id}}{tail}": [
                {"report_id": published.pk},
                {"report_id": pending.pk},
            ]
            for tail in ("", "/full", "/moderation", "/status", "/route")
        },
        "/api/incidents/datasets/{dataset_id}": [{"dataset_id": dataset.pk}],
        "/api/incidents/datasets/{dataset_id}/incidents": [{"dataset_id": dataset.pk}],
        "/api/policing/patrol-plans/{patrol_id}": [{"patrol_id": patrol.pk}],
        "/api/policing/boxes/{box_id}/visits": [{"box_id": box.pk}],
        "/api/interventions/projects/{project_id}": [
            {"project_id": p.pk} for p in Project.objects.all()
        ],
        "/api/inclusion/index/comuni/{istat}": [{"istat": BOLOGNA}],
        "/api/inclusion/index/audits/{campaign_id}/cells": [{"campaign_id": campaign.pk}],
        "/api/inclusion/referrals/{referral_id}": [{"referral_id": referral.pk}],
        "/api/inclusion/referrals/{referral_id}/steps": [{"referral_id": referral.pk}],
        "/api/inclusion/outcomes/{tenant_slug}": [{"tenant_slug": comune.slug}],
        "/api/assets/comuni/{istat}": [{"istat": BOLOGNA}],
        "/api/counterfeit/alerts/{number}": [
            {"number": n} for n in ProductAlert.objects.values_list("number", flat=True)[:2]
        ],
        "/api/practices/{slug}": [
            {"slug": s} for s in Practice.objects.values_list("slug", flat=True)[:2]
        ],
        "/api/dialogue/consultations/{slug}": [{"slug": consultation.slug}],
        "/api/dialogue/consultations/{slug}/proposals": [{"slug": consultation.slug}],
    }
    # Valid bodies of the write operations, so that their success answers are checked too.
    bodies = {
        "POST /api/reports": [
            {"category": "illuminazione-carente", "title": "Lampione spento",
             "description": "Via Zamboni, davanti al 33.", "lon": 11.3503, "lat": 44.4966},
        ],
        "POST /api/analytics/runs": [{"dataset_id": dataset.pk, "kind": "hotspots"}],
        "POST /api/inclusion/referrals": [
            {"service": service.pk, "case_code": "PL-2026-002", "age_band": "14_17",
             "target_group": service.target_groups[0]},
        ],
        "POST /api/reports/{report_id}/status": [
            {"status": "in_progress", "comment": "Segnalato alla manutenzione."},
            {"comment": "Grazie."},
        ],
        "POST /api/reports/{report_id}/route": [{"organisation": orgs["police"].slug}],
        "POST /api/reports/{report_id}/moderation": [{"decision": "publish", "note": "Ok."}],
    }  # fmt: skip
    return {
        "known": known,
        "bodies": bodies,
        "tokens": {
            "anonymous": None,
            "manager": do_issue_api_token(manager, "fuzz")[1],
            "officer": do_issue_api_token(officer, "fuzz")[1],
        },
    }


@pytest.fixture(scope="module")
def world(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Build the content once for the module, in a transaction rolled back at its end."""
    from django.core.cache import cache

    from prossima.analytics.queries import forget_local_public_layer

    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast), rolled_back():
        built = build_world(tmp_path_factory.mktemp("api-world"))
        yield built
    # The cached public layer, indexes and rate counters describe rows now rolled back.
    cache.clear()
    forget_local_public_layer(built["known"]["/api/analytics/public/{slug}/hotspots"][0]["slug"])


@pytest.fixture(scope="module")
def schema(world: dict[str, Any]) -> Any:
    """Load the schema as a client would, from /api/openapi.json of the WSGI application."""
    from prossima.config.wsgi import application

    with in_test_transaction():
        return schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def quiet_unthrottled(world: dict[str, Any]) -> Iterator[None]:
    """Give a test the module's content, rate limits out of the way and no 4xx log lines."""
    # Thousands of expected 4xx answers would each log a warning; errors still show.
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security.csrf")]
    levels = [log.level for log in loggers]
    for log in loggers:
        log.setLevel(logging.ERROR)
    try:
        with (
            override_settings(PROSSIMA={**settings.PROSSIMA, **UNTHROTTLED}),
            in_test_transaction(),
        ):
            yield
    finally:
        for log, level in zip(loggers, levels, strict=True):
            log.setLevel(level)


def _strategy(operation: Any, world: dict[str, Any]) -> Any:
    """Return generated cases, also with real path parameters and valid bodies."""
    known = world["known"].get(operation.path, [])
    bodies = world["bodies"].get(operation.label, [])
    strategies = [operation.as_strategy()]
    strategies += [operation.as_strategy(path_parameters=p) for p in known]
    strategies += [
        operation.as_strategy(path_parameters=p, body=body)
        for p in known or [{}]
        for body in bodies
    ]
    return st.one_of(*strategies)


def _fuzz(operation: Any, token: str | None, world: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    @FUZZ
    @given(case=_strategy(operation, world))
    def run(case: Any) -> None:
        if token is None:
            # Anonymous: no credential at all, not one schemathesis made up.
            (case.headers or {}).pop("Authorization", None)
            case.cookies = {}
        with rolled_back():
            case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_conforms_to_its_schema(
    label: str, schema: Any, world: dict[str, Any], quiet_unthrottled: None
) -> None:
    operation = schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is in the API but not in /api/openapi.json"
    failures = []
    for identity in IDENTITIES:
        try:
            _fuzz(operation, world["tokens"][identity], world)
        except (Exception, BaseExceptionGroup) as exc:  # every identity is tried, then reported
            failures.append(f"--- as {identity}:\n{exc}")
    assert not failures, f"{label}\n" + "\n".join(failures)


# --- Regression tests for what the fuzzer found ------------------------------------


def _declared(doc: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return doc["paths"][path][method.lower()]["responses"]


def test_schema_names_are_unique_so_each_operation_documents_its_own_body() -> None:
    """Two response models named ProjectOut made /api/interventions/projects/{id} document
    the proposal's three-field project instead of the project (schema mismatch on 200)."""
    from ninja import Schema

    def subclasses(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    names: dict[str, set[str]] = {}
    for cls in subclasses(Schema):
        if cls.__module__.startswith("prossima."):
            names.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    assert {name: where for name, where in names.items() if len(where) > 1} == {}
    doc = Client().get("/api/openapi.json").json()
    body = _declared(doc, "GET", "/api/interventions/projects/{project_id}")["200"]
    name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"checklist", "evaluations", "stage"} <= set(
        doc["components"]["schemas"][name]["properties"]
    )


def test_integer_ids_in_paths_are_declared_non_negative(quiet_unthrottled: None) -> None:
    """'-1' is no address for the routes' int converter: Django answered its HTML 404 page,
    which the schema, promising JSON, did not allow. The schema now says minimum 0."""
    doc = Client().get("/api/openapi.json").json()
    ids = [
        (path, parameter)
        for path, item in doc["paths"].items()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["schema"].get("type") == "integer"
    ]
    assert len(ids) >= 15
    assert all(parameter["schema"]["minimum"] == 0 for _path, parameter in ids), ids
    assert Client().get("/api/analytics/runs/-1").status_code == 404


def test_error_answers_are_declared_with_their_body(
    world: dict[str, Any], quiet_unthrottled: None
) -> None:
    """Each of these answers was undeclared (status code conformance failed)."""
    doc = Client().get("/api/openapi.json").json()
    known = world["known"]
    dataset = known["/api/incidents/datasets/{dataset_id}"][0]["dataset_id"]
    box = known["/api/policing/boxes/{box_id}/visits"][0]["box_id"]
    manager = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens']['manager']}"}
    officer = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens']['officer']}"}
    cases: list[tuple[str, str, str, dict[str, Any], Any, int]] = [
        ("GET", "/api/comuni/at", "/api/comuni/at?lon=0.01&lat=0.01", {}, None, 404),
        ("GET", "/api/comuni", "/api/comuni?limit=many", {}, None, 422),
        ("POST", "/api/analytics/runs", "/api/analytics/runs", {},
         {"dataset_id": 1, "kind": "x"}, 403),
        ("POST", "/api/analytics/runs", "/api/analytics/runs", manager,
         {"dataset_id": dataset + 1000, "kind": "hotspots"}, 404),
        ("POST", "/api/analytics/runs", "/api/analytics/runs", manager,
         {"dataset_id": dataset, "kind": "astrology"}, 400),
        ("GET", "/api/incidents/datasets/{dataset_id}/incidents",
         f"/api/incidents/datasets/{dataset}/incidents?limit=0", manager, None, 400),
        ("GET", "/api/reports/manage", "/api/reports/manage?comune=999999", manager, None, 404),
        ("POST", "/api/policing/boxes/{box_id}/visits", f"/api/policing/boxes/{box}/visits",
         officer, {"arrived_at": "2025-01-02T14:00:00Z", "minutes": 0}, 400),
        ("GET", "/api/inclusion/index/national", "/api/inclusion/index/national?region=99",
         {}, None, 404),
        ("GET", "/api/inclusion/services", "/api/inclusion/services?tenant=nobody", {}, None, 404),
        ("POST", "/api/inclusion/referrals", "/api/inclusion/referrals", officer,
         {"service": 999999, "case_code": "PL-1", "age_band": "14_17", "target_group": "youth"},
         404),
        ("POST", "/api/inclusion/referrals/{referral_id}/steps",
         "/api/inclusion/referrals/{}/steps".format(
             known["/api/inclusion/referrals/{referral_id}"][0]["referral_id"]
         ), officer, {"status": "accepted"}, 403),
    ]  # fmt: skip
    client = Client(enforce_csrf_checks=True)
    for method, path, url, headers, body, status in cases:
        if method == "GET":
            response = client.get(url, **headers)
        else:
            response = client.post(url, body, content_type="application/json", **headers)
        assert response.status_code == status, (url, response.content)
        declared = _declared(doc, method, path)
        assert str(status) in declared, (method, path, status, sorted(declared))
        assert response["Content-Type"].startswith("application/json"), url
        assert "detail" in response.json(), url
    # Validation errors list the fields; the declared error body allows that.
    detail = client.get("/api/comuni?limit=many").json()["detail"]
    assert isinstance(detail, list)
    assert detail
    error = doc["components"]["schemas"]["Error"]["properties"]["detail"]["anyOf"]
    assert {"type": "string"} in error
    assert any(e.get("type") == "array" for e in error)
    # Every operation may be throttled and says so; secured ones declare 401.
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert "429" in operation["responses"], (method, path)
            if operation.get("security"):
                assert "401" in operation["responses"], (method, path)


def test_text_with_nul_characters_is_refused_before_the_database(
    world: dict[str, Any], quiet_unthrottled: None
) -> None:
    """PostgreSQL cannot hold NUL in text: ``?region=%00`` was a 500 there (DataError)."""
    manager = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens']['manager']}"}
    report = world["known"]["/api/reports/{report_id}"][0]["report_id"]
    client = Client()
    refused = [
        client.get("/api/inclusion/index/national?region=%00"),
        client.get("/api/comuni?q=Bo%00logna"),
        client.get("/api/practices/a%00b"),
        client.post("/api/reports", {"category": "illuminazione-carente", "title": "Buio\x00",
                                     "description": "x", "lon": 11.3426, "lat": 44.4939}),
        client.post(f"/api/reports/{report}/moderation", {"decision": "hide", "note": "a\x00"},
                    content_type="application/json", **manager),
    ]  # fmt: skip
    for response in refused:
        assert response.status_code == 422, response.content
        assert response.json() == {"detail": "Text may not contain NUL characters."}
    # The same requests without NUL are served.
    assert client.get("/api/inclusion/index/national?region=08").status_code == 200
    assert client.get("/api/comuni?q=Bologna").json()[0]["istat_code"] == BOLOGNA


def test_made_up_tenant_names_leave_nothing_in_memory(
    world: dict[str, Any], quiet_unthrottled: None
) -> None:
    """The public hotspot layer kept a per-process copy for every name in the URL, even of
    tenants that do not exist (memory grew with each made-up name, and names with any
    character went into cache keys: CacheKeyWarning)."""
    from django.core.cache import CacheKeyWarning

    from prossima.analytics import queries

    client = Client()
    before = dict(queries._local)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        for n in range(20):
            assert client.get(f"/api/analytics/public/nobody-{n}/hotspots").status_code == 404
        assert client.get("/api/analytics/public/%C3%A9%0A%20x/hotspots").status_code == 404
    assert queries._local.keys() == before.keys()
    slug = world["known"]["/api/analytics/public/{slug}/hotspots"][0]["slug"]
    published = client.get(f"/api/analytics/public/{slug}/hotspots")
    assert published.status_code == 200
    assert published["Content-Type"] == "application/geo+json"
    assert published.json()["features"], "the published layer is served"


def test_every_operation_is_fuzzed_and_the_content_is_there(
    schema: Any, world: dict[str, Any], quiet_unthrottled: None
) -> None:
    """Guard the fuzzing itself: all operations covered, and real objects behind the ids."""
    labels = {op.ok().label for op in schema.get_all_operations()}
    assert labels == set(OPERATIONS)
    assert len(labels) >= 53
    client = Client()
    for path, values in world["known"].items():
        assert values, f"no real value for {path}"
        assert any(op.endswith(path) for op in OPERATIONS), f"{path} is not an operation"
    manager = {"HTTP_AUTHORIZATION": f"Bearer {world['tokens']['manager']}"}
    for path in ("/api/analytics/runs/{run_id}", "/api/policing/patrol-plans/{patrol_id}"):
        url = path.format(**world["known"][path][0])
        assert client.get(url, **manager).status_code == 200, url
    assert client.get(f"/api/reports/comuni/{BOLOGNA}").json(), "published reports"
