"""Services directory and referrals of young people at risk: workflow, privacy, audit, outcomes."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from prossima.accounts.models import AuditEvent, OrganisationKind, Role
from prossima.inclusion.models import Referral, ReferralStatus, Service, TargetGroup
from prossima.inclusion.referral_queries import outcomes, referrals_for, services_of
from prossima.inclusion.referrals import (
    TRANSITIONS,
    do_create_service,
    do_record_referral_step,
    do_refer_case,
    do_update_service,
    validate_case_code,
)

S = ReferralStatus


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def city(make_org: Any, make_user: Any, bologna: Any, modena: Any) -> dict[str, Any]:
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)
    police = make_org(OrganisationKind.POLICE_COMMAND, "PL Bologna", parent=comune)
    modena_org = make_org(OrganisationKind.COMUNE, "Comune di Modena", comune=modena)
    provider = make_org(OrganisationKind.COMMUNITY, "Formazione Lavoro Bologna", comune=bologna)
    other_provider = make_org(OrganisationKind.COMPANY, "Officina Srl", comune=bologna)
    association = make_org(OrganisationKind.ASSOCIATION, "Associazione dei comuni")
    people = {
        "social": make_user(comune, Role.SOCIAL_WORKER, username="social"),
        "social2": make_user(comune, Role.SOCIAL_WORKER, username="social2"),
        "manager": make_user(comune, Role.MANAGER, username="manager"),
        "officer": make_user(police, Role.OFFICER, username="officer"),
        "officer2": make_user(police, Role.OFFICER, username="officer2"),
        "analyst": make_user(police, Role.ANALYST, username="analyst"),
        "tutor": make_user(provider, Role.CITIZEN, username="tutor"),
        "other_tutor": make_user(other_provider, Role.MANAGER, username="other_tutor"),
        "modena_social": make_user(modena_org, Role.SOCIAL_WORKER, username="modena_social"),
        "association": make_user(association, Role.ANALYST, username="association"),
    }
    training = do_create_service(
        people["manager"], comune, provider=provider, name="Officina dei mestieri",
        kind="training", target_groups=[TargetGroup.YOUTH], capacity=20,
        contact="officina@example.org", accepts_referrals=True,
    )  # fmt: skip
    return {"comune": comune, "provider": provider, "training": training, **people}


def refer(city: dict[str, Any], code: str = "SS-2026-014", by: str = "social") -> Referral:
    return do_refer_case(
        city[by], city["training"], case_code=code, age_band="14_17",
        target_group=TargetGroup.YOUTH, reason="Abbandono scolastico",
    )  # fmt: skip


def audits(referral: Referral, action: str) -> int:
    return AuditEvent.objects.filter(
        object_type="inclusion.referral", object_id=str(referral.pk), action=action
    ).count()


def test_a_referral_goes_from_creation_to_job_placement(city: dict[str, Any]) -> None:
    referral = refer(city)
    assert referral.status == S.REFERRED
    assert referral.referrer_organisation == city["comune"]
    assert audits(referral, AuditEvent.Action.CREATE) == 1
    steps = [S.ACCEPTED, S.ENROLLED, S.ATTENDING, S.COMPLETED, S.JOB_PLACEMENT]
    for status in steps:
        do_record_referral_step(city["tutor"], referral, status, note=f"step {status}")
        referral.refresh_from_db()
        assert referral.status == status
    assert referral.closed_at is not None
    assert [e.status for e in referral.events.all()] == [S.REFERRED, *steps]
    assert audits(referral, AuditEvent.Action.UPDATE) == len(steps)
    # A final status accepts nothing more.
    with pytest.raises(ValidationError) as err:
        do_record_referral_step(city["tutor"], referral, S.CLOSED)
    assert "status" in err.value.message_dict


def test_invalid_transitions_are_refused(city: dict[str, Any]) -> None:
    referral = refer(city)
    for status in (S.ENROLLED, S.COMPLETED, S.JOB_PLACEMENT, S.REFERRED, "nonsense"):
        with pytest.raises(ValidationError):
            do_record_referral_step(city["tutor"], referral, status)
    do_record_referral_step(city["social2"], referral, S.DECLINED)
    referral.refresh_from_db()
    assert referral.closed_at is not None
    assert S.DECLINED not in TRANSITIONS
    assert S.CLOSED not in TRANSITIONS
    with pytest.raises(ValidationError):
        do_record_referral_step(city["tutor"], referral, S.ACCEPTED)


def test_only_the_provider_and_social_workers_record_steps(city: dict[str, Any]) -> None:
    referral = refer(city, by="officer")
    assert referral.referrer_organisation.kind == OrganisationKind.POLICE_COMMAND
    for name in ("officer", "officer2", "analyst", "manager", "other_tutor", "modena_social"):
        with pytest.raises(PermissionDenied):
            do_record_referral_step(city[name], referral, S.ACCEPTED)
    do_record_referral_step(city["tutor"], referral, S.ACCEPTED)


def test_who_refers_and_who_keeps_the_directory(city: dict[str, Any]) -> None:
    for name in ("analyst", "manager", "tutor", "modena_social", "association"):
        with pytest.raises(PermissionDenied):
            refer(city, by=name)
    with pytest.raises(PermissionDenied):
        do_update_service(city["social"], city["training"], capacity=5)
    do_update_service(city["manager"], city["training"], capacity=5, target_groups=["youth"])
    city["training"].refresh_from_db()
    assert city["training"].capacity == 5
    with pytest.raises(ValidationError) as err:
        do_update_service(city["manager"], city["training"], target_groups=["aliens"])
    assert "target_groups" in err.value.message_dict


@pytest.mark.parametrize(
    "code",
    ["Mario Rossi", "MarioRossi1", "rossi.mario.2009", "12/03/2009", "2009-03-12",
     "RSSMRA09C12A944X", "ab", "SS-NODIGIT", "mario@example.org", "-SS-1"],
)  # fmt: skip
def test_case_codes_that_look_like_personal_data_are_refused(
    city: dict[str, Any], code: str
) -> None:
    with pytest.raises(ValidationError) as err:
        refer(city, code=code)
    assert "case_code" in err.value.message_dict
    assert not Referral.objects.exists()


@pytest.mark.parametrize("code", ["SS-2026-014", "BO/24/7", "PL_2025.33", "case-1"])
def test_ordinary_case_codes_are_accepted(code: str) -> None:
    assert validate_case_code(f" {code} ") == code


VISIBLE = ("social", "social2", "officer", "tutor")
HIDDEN = ("modena_social", "officer2", "analyst", "manager", "association", "other_tutor")


def test_a_referral_is_seen_only_by_referrer_provider_and_social_services(
    city: dict[str, Any],
) -> None:
    referral = refer(city, by="officer")
    for name in VISIBLE:
        user = city[name]
        assert user.has_perm("inclusion.view_referral", referral), name
        assert list(referrals_for(user)) == [referral], name
        page = client_for(user).get(reverse("inclusion:referral", args=[referral.pk]))
        assert page.status_code == 200, name
        assert "SS-2026-014" in page.content.decode()
        got = client_for(user).get(f"/api/inclusion/referrals/{referral.pk}")
        assert got.status_code == 200, name
        assert got.json()["case_code"] == "SS-2026-014"
    # One audited view per page and per API call.
    assert audits(referral, AuditEvent.Action.VIEW) == 2 * len(VISIBLE)
    for name in HIDDEN:
        user = city[name]
        assert not user.has_perm("inclusion.view_referral", referral), name
        assert list(referrals_for(user)) == [], name
        client = client_for(user)
        assert client.get(reverse("inclusion:referral", args=[referral.pk])).status_code == 404
        assert client.get(f"/api/inclusion/referrals/{referral.pk}").status_code == 404, name
        step = client.post(f"/api/inclusion/referrals/{referral.pk}/steps",
                           {"status": "accepted"}, content_type="application/json")  # fmt: skip
        assert step.status_code == 404, name
        assert client.get("/api/inclusion/referrals").json() == [], name
    anonymous = Client()
    assert not AnonymousUser().has_perm("inclusion.view_referral", referral)
    assert anonymous.get(reverse("inclusion:referral", args=[referral.pk])).status_code == 404
    assert anonymous.get(f"/api/inclusion/referrals/{referral.pk}").status_code in (401, 404)
    assert audits(referral, AuditEvent.Action.VIEW) == 2 * len(VISIBLE)
    # The audit log names the referral, never the case code.
    assert not AuditEvent.objects.filter(object_label__contains="SS-2026-014").exists()


def test_the_workflow_over_the_web_and_the_api(city: dict[str, Any]) -> None:
    social = client_for(city["social"])
    form = social.get(reverse("inclusion:referral_new", args=[city["comune"].slug]))
    assert form.status_code == 200
    refused = social.post(
        reverse("inclusion:referral_new", args=[city["comune"].slug]),
        {"service": city["training"].pk, "case_code": "Giulia Bianchi", "age_band": "14_17",
         "target_group": "youth"},
    )  # fmt: skip
    assert refused.status_code == 200
    assert not Referral.objects.exists()
    made = social.post(
        reverse("inclusion:referral_new", args=[city["comune"].slug]),
        {"service": city["training"].pk, "case_code": "SS-2026-015", "age_band": "18_20",
         "target_group": "youth", "reason": "Cerca un tirocinio"},
    )  # fmt: skip
    referral = Referral.objects.get()
    assert made.status_code == 302
    assert made["Location"] == reverse("inclusion:referral", args=[referral.pk])
    tutor = client_for(city["tutor"])
    step_url = reverse("inclusion:referral_step", args=[referral.pk])
    assert (
        tutor.post(step_url, {"status": "accepted", "note": "Colloquio fatto"}).status_code == 302
    )
    # The referring officer sees it, but does not record steps.
    officer_made = client_for(city["officer"]).post(
        "/api/inclusion/referrals",
        {"service": city["training"].pk, "case_code": "PL-2026-3", "age_band": "14_17",
         "target_group": "youth"},
        content_type="application/json",
    )  # fmt: skip
    assert officer_made.status_code == 201
    other = officer_made.json()["id"]
    assert client_for(city["officer"]).post(
        f"/api/inclusion/referrals/{other}/steps", {"status": "accepted"},
        content_type="application/json",
    ).status_code == 403  # fmt: skip
    bad = client_for(city["officer"]).post(
        "/api/inclusion/referrals",
        {"service": city["training"].pk, "case_code": "12-03-2009", "age_band": "14_17",
         "target_group": "youth"},
        content_type="application/json",
    )  # fmt: skip
    assert bad.status_code == 422
    assert "case_code" in bad.json()["detail"]
    api = client_for(city["tutor"])
    for status in ("enrolled", "attending", "completed"):
        got = api.post(f"/api/inclusion/referrals/{referral.pk}/steps", {"status": status},
                       content_type="application/json")  # fmt: skip
        assert got.status_code == 201, got.content
    wrong = api.post(f"/api/inclusion/referrals/{referral.pk}/steps", {"status": "attending"},
                     content_type="application/json")  # fmt: skip
    assert wrong.status_code == 422
    page = tutor.get(reverse("inclusion:referral", args=[referral.pk])).content.decode()
    assert "Colloquio fatto" in page
    referral.refresh_from_db()
    assert referral.status == S.COMPLETED
    assert audits(referral, AuditEvent.Action.UPDATE) == 4
    listing = {r["id"] for r in client_for(city["social2"]).get("/api/inclusion/referrals").json()}
    assert listing == {referral.pk, other}


def test_the_directory_is_public(city: dict[str, Any], make_org: Any) -> None:
    anonymous = Client()
    page = anonymous.get(reverse("inclusion:services"))
    assert page.status_code == 200
    assert "Officina dei mestieri" in page.content.decode()
    assert (
        anonymous.get(reverse("inclusion:service", args=[city["training"].pk])).status_code == 200
    )
    do_create_service(
        city["manager"], city["comune"], provider=city["provider"], name="Centro antiviolenza",
        kind="anti_violence", target_groups=["women"],
    )  # fmt: skip
    assert [s.name for s in services_of(city["comune"], target_group="women")] == [
        "Centro antiviolenza"
    ]
    assert [s.name for s in services_of(None, kind="training")] == ["Officina dei mestieri"]
    got = anonymous.get("/api/inclusion/services", {"target_group": "youth"}).json()
    assert [s["name"] for s in got] == ["Officina dei mestieri"]
    assert (
        anonymous.get(reverse("inclusion:service_new", args=[city["comune"].slug])).status_code
        == 302
    )
    assert (
        client_for(city["social"])
        .get(reverse("inclusion:service_new", args=[city["comune"].slug]))
        .status_code
        == 404
    )
    created = client_for(city["manager"]).post(
        reverse("inclusion:service_new", args=[city["comune"].slug]),
        {"name": "Sportello migranti", "provider": city["provider"].pk, "kind": "migrant_support",
         "target_groups": ["migrants"], "active": "on"},
    )  # fmt: skip
    assert created.status_code == 302
    assert Service.objects.filter(name="Sportello migranti", active=True).exists()


def test_outcomes_suppress_small_cells(city: dict[str, Any], settings: Any) -> None:
    settings.PROSSIMA = {**settings.PROSSIMA, "PUBLIC_MIN_COUNT": 5}
    small = do_create_service(
        city["manager"], city["comune"], provider=city["provider"], name="Scuola aperta",
        kind="school", target_groups=["youth"], accepts_referrals=True,
    )  # fmt: skip
    for i in range(6):
        referral = refer(city, code=f"SS-2026-{i:03d}")
        if i < 4:
            for status in (S.ACCEPTED, S.ENROLLED, S.COMPLETED):
                do_record_referral_step(city["tutor"], referral, status)
        if i == 0:
            do_record_referral_step(city["tutor"], referral, S.JOB_PLACEMENT)
    for i in range(3):
        do_refer_case(
            city["social"], small, case_code=f"SC-{i}", age_band="under_14", target_group="youth"
        )
    rows = {r["service"].name: r for r in outcomes(city["comune"])}
    assert rows["Officina dei mestieri"]["referred"] == 6
    assert rows["Officina dei mestieri"]["completed"] == 4
    assert rows["Officina dei mestieri"]["completion_rate"] == pytest.approx(4 / 6)
    assert rows["Scuola aperta"]["suppressed"]
    assert rows["Scuola aperta"]["referred"] is None
    assert rows["Scuola aperta"]["completion_rate"] is None
    # A lower threshold than the platform's is never used.
    assert outcomes(city["comune"], min_count=2)[1]["suppressed"]
    slug = city["comune"].slug
    api = client_for(city["association"]).get(f"/api/inclusion/outcomes/{slug}").json()
    assert {r["service_name"]: r["referred"] for r in api} == {
        "Officina dei mestieri": 6,
        "Scuola aperta": None,
    }
    page = client_for(city["social"]).get(reverse("inclusion:outcomes", args=[slug]))
    assert page.status_code == 200
    assert "67%" in page.content.decode()
    for name in ("tutor", "officer", "analyst", "modena_social"):
        assert client_for(city[name]).get(f"/api/inclusion/outcomes/{slug}").status_code == 404
        assert (
            client_for(city[name]).get(reverse("inclusion:outcomes", args=[slug])).status_code
            == 404
        )
