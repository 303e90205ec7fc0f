"""The world of the route matrix: Bologna-owned objects of every restricted kind, and personas.

The organisations and their relation to the Comune di Bologna tenant are those of the
permission matrix (tests/accounts/test_permission_matrix.py), so that its ``expected()``
answers for the routes too. Objects are made with the project's actions where an action
exists, by the platform administrator, and are real enough that the pages render for the
people allowed to see them.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from prossima.accounts.models import Organisation, OrganisationKind, Role, User
from tests.accounts.test_permission_matrix import (
    RELATIONS,
    world_dialogue,
    world_practice,
    world_referral,
    world_request,
)

# Ranks roles from least to most privileged, to pick the personas that make a difference.
ROLE_RANK = [
    Role.CITIZEN,
    Role.SOCIAL_WORKER,
    Role.MODERATOR,
    Role.RESEARCHER,
    Role.OFFICER,
    Role.ANALYST,
    Role.MANAGER,
    Role.ADMINISTRATOR,
]


def _user(username: str, **extra: Any) -> User:
    # No password: personas sign in with force_login, and hashing would cost seconds.
    return User.objects.create_user(
        username=username, email=f"{username}@example.org", password=None, **extra
    )


def _organisations(bologna: Any, modena: Any) -> dict[str, Organisation]:
    from prossima.accounts.actions import do_create_organisation

    def make(kind: str, name: str, **kwargs: Any) -> Organisation:
        return do_create_organisation(None, name=name, kind=kind, **kwargs)

    comune = make(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)
    return {
        "own_comune": comune,
        "own_police": make(OrganisationKind.POLICE_COMMAND, "PL Bologna", parent=comune),
        "other_comune": make(OrganisationKind.COMUNE, "Comune di Modena", comune=modena),
        "association": make(OrganisationKind.ASSOCIATION, "Associazione"),
        "institute": make(OrganisationKind.RESEARCH_INSTITUTE, "Istituto"),
        "community": make(OrganisationKind.COMMUNITY, "Rete", comune=bologna),
    }


def _personas(world: dict[str, Any]) -> dict[str, User | None]:
    from prossima.accounts.actions import do_add_membership

    people: dict[str, User | None] = {
        "anonymous": None,
        "citizen": _user("bare.citizen"),
        "superuser": world["admin"],
    }
    for relation in RELATIONS:
        for role in Role.values:
            user = _user(f"{relation}.{role}")
            do_add_membership(None, world[relation], user, role)
            people[f"{relation}:{role}"] = user
    return people


def _accounts(world: dict[str, Any]) -> None:
    from prossima.accounts.actions import do_add_membership, do_issue_api_token

    member = _user("bologna.member")
    world["membership"] = do_add_membership(None, world["own_comune"], member, Role.CITIZEN)
    # The platform administrator's token: nobody else may revoke it.
    world["api_token"], _secret = do_issue_api_token(world["admin"], "script")


def _incidents_csv(n: int = 240) -> bytes:
    """Return a generic CSV of made-up incidents inside Bologna's old town."""
    rng = random.Random(13)
    lines = ["longitude,latitude,date,category"]
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for i in range(n):
        # Two dense spots and a scatter, so hotspot analyses find something.
        if i % 3 == 0:
            lon, lat = 11.3426 + rng.gauss(0, 0.0015), 44.4949 + rng.gauss(0, 0.0012)
        elif i % 3 == 1:
            lon, lat = 11.3305 + rng.gauss(0, 0.0015), 44.5010 + rng.gauss(0, 0.0012)
        else:
            lon, lat = rng.uniform(11.32, 11.37), rng.uniform(44.48, 44.51)
        when = start + dt.timedelta(hours=rng.uniform(0, 24 * 360))
        category = rng.choice(["furto", "rapina", "danneggiamento"])
        lines.append(f"{lon:.6f},{lat:.6f},{when.isoformat()},{category}")
    return ("\n".join(lines) + "\n").encode()


def _compute(job_id: int | None) -> None:
    from prossima.jobs.models import Job
    from prossima.jobs.runner import run_job

    assert job_id is not None
    status = run_job(job_id)
    assert status == Job.Status.DONE, Job.objects.get(pk=job_id).error


def _analytics(world: dict[str, Any], tmp: Path) -> None:
    """Add a dataset of Bologna with an import, analysis runs, beats and a patrol plan."""
    from prossima.analytics.actions import do_launch_run
    from prossima.analytics.models import RunLayer
    from prossima.incidents.actions import do_create_dataset, do_import_incidents
    from prossima.policing.actions import do_create_patrol_plan, do_log_visit, do_request_beats

    admin, tenant = world["admin"], world["own_comune"]
    dataset = do_create_dataset(admin, tenant, name="Incidenti di prova")
    path = tmp / "incidents.csv"
    path.write_bytes(_incidents_csv())
    world["import"] = do_import_incidents(admin, dataset, path)
    world["dataset"] = dataset
    run = do_launch_run(admin, dataset, "hotspots", {})
    _compute(run.job_id)
    run.refresh_from_db()
    world["run"] = run
    world["job"] = run.job
    layer = RunLayer.objects.filter(run=run).order_by("name").first()
    assert layer is not None, "the hotspot run stored no layer"
    world["layer"] = layer
    forecast = do_launch_run(admin, dataset, "forecast", {"model": "prospective"})
    _compute(forecast.job_id)
    world["forecast"] = forecast
    explanations = RunLayer.objects.get(run=forecast, name="explanations")
    world["cell_id"] = next(iter(json.loads(explanations.content)))
    plan = do_request_beats(admin, tenant, name="Quartieri", n_beats=2, dataset=dataset)
    _compute(plan.job_id)
    plan.refresh_from_db()
    world["beat_plan"] = plan
    world["beat"] = plan.beats.order_by("number").first()
    now = timezone.now()
    patrol = do_create_patrol_plan(
        admin, world["beat"], shift_start=now, shift_end=now + dt.timedelta(hours=6)
    )
    world["patrol"] = patrol
    box = patrol.boxes.order_by("order").first()
    assert box is not None, "the patrol plan has no box"
    world["box"] = box
    world["visit"] = do_log_visit(admin, box, arrived_at=now, minutes=10)


def _interventions(world: dict[str, Any]) -> None:
    from prossima.interventions.actions import do_create_project

    project = do_create_project(
        world["admin"],
        world["own_comune"],
        title="Piazza illuminata",
        kind=_first_choice("prossima.interventions.models", "Project", "kind"),
        area='{"type": "Polygon", "coordinates": [[[11.34, 44.49], [11.345, 44.49], '
        "[11.345, 44.495], [11.34, 44.495], [11.34, 44.49]]]}",
        start_date=dt.date(2024, 6, 1),
        dataset=world["dataset"],
    )
    world["project"] = project
    world["step"] = project.checklist.order_by("pk").first()


def _first_choice(module: str, model: str, field: str) -> str:
    import importlib

    klass = getattr(importlib.import_module(module), model)
    return str(klass._meta.get_field(field).choices[0][0])


def _inclusion(world: dict[str, Any]) -> None:
    from prossima.inclusion.actions import do_create_campaign

    world["campaign"] = do_create_campaign(
        world["admin"], world["own_comune"], title="Passeggiata", date=dt.date(2025, 5, 1)
    )
    referral = world_referral(world)
    world["service"] = referral.service


def _assets(world: dict[str, Any], bologna: Any) -> None:
    from prossima.assets import actions
    from prossima.assets.models import Stage

    admin = world["admin"]
    asset = actions.do_create_asset(
        admin,
        bologna,
        code="I-BO-RM-001",
        kind="real_estate",
        address="Via di Prova 1",
        stage=Stage.CONFISCATED_FINAL,
        confiscated_final_on=dt.date(2019, 1, 10),
    )
    asset = actions.do_record_stage(
        admin, asset, Stage.DESTINED, dt.date(2020, 1, 10), decree_number="1/2020"
    )
    asset = actions.do_record_stage(admin, asset, Stage.HANDED_OVER, dt.date(2020, 6, 1))
    world["asset"] = asset
    world["concession"] = actions.do_grant_concession(
        admin,
        asset,
        holder="Cooperativa sociale Esempio",
        holder_kind="cooperative",
        act_reference="Determina n. 1 (esempio)",
        subject="Uso a fini sociali",
        purpose="social",
        starts_on=dt.date(2021, 1, 1),
        duration_months=24,
        project_title="Emporio solidale",
        goals="Distribuire beni di prima necessità.",
        beneficiaries="Famiglie in difficoltà",
    )
    idle = actions.do_create_asset(
        admin,
        bologna,
        code="I-BO-RM-002",
        kind="real_estate",
        address="Via di Prova 2",
        stage=Stage.CONFISCATED_FINAL,
        confiscated_final_on=dt.date(2019, 1, 10),
    )
    idle = actions.do_record_stage(
        admin, idle, Stage.DESTINED, dt.date(2020, 1, 10), decree_number="2/2020"
    )
    idle = actions.do_record_stage(admin, idle, Stage.HANDED_OVER, dt.date(2020, 6, 1))
    world["idle_asset"] = idle
    world["call"] = actions.do_create_call(
        admin,
        idle,
        title="Avviso",
        description="Per un uso sociale.",
        closes_on=timezone.localdate() + dt.timedelta(days=30),
        publish=True,
    )
    world["reuse_proposal"] = _reuse_proposal(world, idle)
    from prossima.assets.models import AssetImport, PendingRow

    record = AssetImport.objects.create(
        filename="destinati.csv",
        file_kind="destined_real_estate",
        organisation=world["own_comune"],
        imported_by=admin,
        unmatched=1,
    )
    world["asset_import"] = record
    world["pending"] = PendingRow.objects.create(
        source=record, line=2, code="I-XX-RM-9", comune_name="Bolgna", reason="Comune sconosciuto"
    )


def _reuse_proposal(world: dict[str, Any], asset: Any) -> Any:
    from prossima.assets.models import ReuseProposal

    fields = {
        f.name: f
        for f in ReuseProposal._meta.get_fields()
        if getattr(f, "concrete", False) and not f.auto_created
    }
    values: dict[str, Any] = {"asset": asset}
    for name, field in fields.items():
        if name in values or field.has_default() or field.null or getattr(field, "blank", False):
            continue
        if field.choices:
            values[name] = field.choices[0][0]
        elif field.get_internal_type() in ("CharField", "TextField"):
            values[name] = "Esempio"
        elif field.get_internal_type() == "EmailField":
            values[name] = "proposta@example.org"
    if "call" in fields:
        values["call"] = world["call"]
    return ReuseProposal.objects.create(**values)


def _counterfeit(world: dict[str, Any]) -> None:
    from prossima.counterfeit.alerts import do_create_local_alert
    from prossima.counterfeit.campaigns import do_record_campaign
    from prossima.counterfeit.models import Nature, Outcome, PlaceType
    from prossima.counterfeit.seizures import do_record_seizure

    admin, tenant = world["admin"], world["own_comune"]
    world["seizure"] = do_record_seizure(
        admin,
        tenant,
        seized_on=timezone.localdate() - dt.timedelta(days=3),
        unit="Nucleo Commercio (test)",
        place_type=PlaceType.STREET,
        outcome=Outcome.DESTROYED,
        goods=[{"category": "toys", "quantity": 40, "nature": Nature.COUNTERFEIT}],
    )
    world["cf_campaign"] = do_record_campaign(
        admin,
        tenant,
        topic="Giocattoli sicuri (test)",
        description="Come riconoscere i giocattoli sicuri.",
        product_category="toys",
        audience="general",
        channels=["social"],
        starts_on=dt.date(2025, 6, 1),
        ends_on=dt.date(2025, 6, 30),
        people_reached=None,
        reach_notes="",
    )
    world["alert"] = do_create_local_alert(
        admin,
        tenant,
        product_name="Monopattino giocattolo (test)",
        brand="Marca Esempio",
        category="toys",
        risk_types=["injuries"],
        risk_level="high",
        description="Le ruote si staccano.",
        measures="Sequestro.",
        measures_kind="compulsory",
    )


def _practices(world: dict[str, Any]) -> None:
    from prossima.practices.actions import do_attach_document

    practice = world_practice(world)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    world["document"] = do_attach_document(
        world["admin"],
        practice,
        "Relazione",
        SimpleUploadedFile("relazione.pdf", pdf, content_type="application/pdf"),
    )


def _report(world: dict[str, Any]) -> None:
    from prossima.incidents.actions import (
        do_install_report_categories,
        do_set_report_routing,
        do_submit_report,
    )
    from prossima.incidents.models import ReportCategory

    do_install_report_categories()
    category = ReportCategory.objects.get(code="spaccio")
    do_set_report_routing(None, world["own_comune"], category, world["own_police"])
    # The same report as the permission matrix's world_report, with its follow-up token kept.
    world["report"], world["report_token"] = do_submit_report(
        None,
        category=category,
        title="Spaccio sotto il portico",
        description="Ogni sera dopo le 22.",
        lon=11.3426,
        lat=44.4937,
    )


def build_world(bologna: Any, modena: Any, tmp: Path) -> dict[str, Any]:
    """Return the organisations, personas and Bologna-owned objects of the route matrix."""
    world: dict[str, Any] = dict(_organisations(bologna, modena))
    world["bologna"] = bologna
    world["admin"] = _user("platform.admin", is_superuser=True, is_staff=True)
    world["people"] = _personas(world)
    _accounts(world)
    _report(world)
    _analytics(world, tmp)
    _interventions(world)
    _inclusion(world)
    _assets(world, bologna)
    _counterfeit(world)
    _practices(world)
    world["dialogue"] = world_dialogue(world)
    world["research"] = world_request(world)
    return world


__all__ = ["ROLE_RANK", "build_world"]
