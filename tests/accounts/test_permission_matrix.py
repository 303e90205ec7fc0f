"""The permission matrix: every role × tenant relation × kind of data, allow or deny.

Expectations are written here independently of the rules module, as a table a
data-protection officer can read. A model missing from DATA_KINDS fails.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from prossima.accounts.models import OrganisationKind, Role
from prossima.accounts.permissions import DATA_KINDS

PROSSIMA_APPS = {c.label for c in apps.get_app_configs() if c.name.startswith("prossima.")}

# Relations of the person to the Comune di Bologna tenant.
RELATIONS = [
    "own_comune",  # member of the Comune di Bologna organisation
    "own_police",  # member of Bologna's police command
    "other_comune",  # member of the Comune di Modena organisation
    "association",  # member of the association of comuni
    "institute",  # member of the research institute
    "community",  # member of a community organisation of Bologna
]
ROLES = list(Role.values)
PUBLIC_PERMS = (
    "territory.view_comune",
    "territory.view_subarea",
    "accounts.view_organisation",
    "incidents.view_category",
    "analytics.view_public_layer",
    "inclusion.view_indicators",
    "inclusion.view_audit_map",
    "inclusion.view_service",
    "assets.view_public_list",
    "assets.propose_reuse",
    "counterfeit.view_alert",
    "counterfeit.view_campaign",
)

RESTRICTED_ROLES = {Role.OFFICER, Role.ANALYST, Role.MANAGER, Role.ADMINISTRATOR}
AGGREGATE_ROLES = {Role.ANALYST, Role.MANAGER, Role.RESEARCHER, Role.ADMINISTRATOR}


def expected(perm: str, relation: str, role: str) -> bool:
    """Return whether a person in this relation and role must be allowed ``perm``."""
    own = relation in ("own_comune", "own_police")
    if perm == "prossima.view_restricted":
        return own and role in RESTRICTED_ROLES
    if perm == "incidents.view_incident":
        return own and role in RESTRICTED_ROLES
    if perm == "incidents.manage_dataset":
        return own and role in {Role.ANALYST, Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "jobs.view_job":
        return own and role in RESTRICTED_ROLES
    if perm in ("policing.view_beats", "policing.log_visit"):
        return own and role in RESTRICTED_ROLES
    if perm == "policing.manage_beats":
        return own and role in {Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "policing.plan_patrols":
        return own and role in {Role.ANALYST, Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "policing.view_visit":  # another officer's visit in a Bologna beat
        return own and role in {Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "interventions.view_project":
        return own and role in RESTRICTED_ROLES
    if perm == "interventions.manage_project":
        return own and role in {Role.ANALYST, Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "interventions.publish_project":
        return own and role in {Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "analytics.view_run":
        return own and role in RESTRICTED_ROLES
    if perm == "analytics.launch_run":
        return own and role in {Role.ANALYST, Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "analytics.publish_run":
        return own and role in {Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "jobs.retry_job":
        return own and role in {Role.ANALYST, Role.MANAGER, Role.ADMINISTRATOR}
    # Citizen reports: the target report is in Bologna, routed to Bologna's police.
    if perm == "incidents.view_report":
        return (own and role in RESTRICTED_ROLES) or (
            relation == "own_comune" and role == Role.MODERATOR
        )
    if perm == "incidents.moderate_report":
        return relation == "own_comune" and role in {
            Role.MODERATOR,
            Role.MANAGER,
            Role.ADMINISTRATOR,
        }
    if perm == "incidents.change_report_status":
        return (
            relation == "own_police"
            and role in {Role.OFFICER, Role.ANALYST, Role.MANAGER, Role.ADMINISTRATOR}
        ) or (relation == "own_comune" and role in {Role.MANAGER, Role.ADMINISTRATOR})
    if perm == "incidents.change_reportrouting":
        return relation == "own_comune" and role in {Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "prossima.view_aggregates":
        return (own and role in RESTRICTED_ROLES) or (
            relation in ("association", "institute") and role in AGGREGATE_ROLES
        )
    if perm == "accounts.view_membership":  # of the Comune di Bologna organisation
        return relation == "own_comune"
    if perm == "accounts.change_membership":
        return relation == "own_comune" and role in {Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "accounts.change_organisation":
        return relation == "own_comune" and role in {Role.MANAGER, Role.ADMINISTRATOR}
    if perm in ("accounts.view_auditevent", "accounts.export_auditevent"):
        return relation == "own_comune" and role == Role.ADMINISTRATOR
    if perm == "territory.change_subarea":  # of Bologna
        return relation == "own_comune" and role in {Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "inclusion.manage_indicators":
        return own and role in {Role.ANALYST, Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "inclusion.view_audits":
        return own and role in RESTRICTED_ROLES
    if perm in ("inclusion.manage_campaigns", "inclusion.manage_services"):
        return own and role in {Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "inclusion.record_audit":  # any logged-in user ("none" is the bare citizen)
        return True
    if perm == "inclusion.refer_case":
        return own and role in {Role.SOCIAL_WORKER, Role.OFFICER}
    # A referral by another social worker of Bologna to a service of the community
    # organisation: its members and Bologna's social workers only.
    if perm in ("inclusion.view_referral", "inclusion.update_referral"):
        return relation == "community" or (own and role == Role.SOCIAL_WORKER)
    if perm == "inclusion.view_referral_outcomes":
        return (own and role in {Role.SOCIAL_WORKER, Role.MANAGER, Role.ADMINISTRATOR}) or (
            relation in ("association", "institute") and role in AGGREGATE_ROLES
        )
    # Confiscated assets of the comune of Bologna.
    if perm == "assets.view_asset":
        return own and role in RESTRICTED_ROLES
    if perm in ("assets.manage_asset", "assets.view_proposal"):
        return relation == "own_comune" and role in {Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "assets.view_national":
        return relation in ("association", "institute") and role in AGGREGATE_ROLES
    # Counterfeiting, for the Comune di Bologna tenant.
    if perm in ("counterfeit.view_seizure", "counterfeit.record_seizure"):
        return own and role in RESTRICTED_ROLES
    if perm == "counterfeit.view_seizure_totals":
        return (own and role in RESTRICTED_ROLES) or (
            relation in ("association", "institute") and role in AGGREGATE_ROLES
        )
    if perm == "counterfeit.manage_campaigns":
        return own and role in {Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "counterfeit.view_subscription":  # platform administrators only
        return False
    if perm == "counterfeit.manage_alerts":
        return own and role in {Role.MANAGER, Role.ADMINISTRATOR}
    if perm == "counterfeit.import_alerts":
        return relation == "association" and role in {Role.MANAGER, Role.ADMINISTRATOR}
    if perm in ("practices.view_practice", "practices.change_practice"):
        # The target is a draft written by the Comune di Bologna organisation.
        return relation == "own_comune" or (
            relation in ("association", "institute") and role in AGGREGATE_ROLES
        )
    if perm == "practices.submit_practice":  # target: the Comune di Bologna organisation
        return relation == "own_comune"
    if perm == "practices.review_practice":
        return relation in ("association", "institute") and role in AGGREGATE_ROLES
    # Participation. The consultation of the Comune di Bologna is open to its members and
    # to the invited community organisation; the proposal in it awaits moderation; the
    # community organisation pledged to it; the meeting is for the comune's members; the
    # institute's course is a draft; registrations, enrolments and notifications are
    # another person's.
    managing = {Role.MANAGER, Role.ADMINISTRATOR}
    if perm in ("dialogue.view_consultation", "dialogue.participate"):
        return relation in ("own_comune", "community")
    if perm in ("dialogue.manage_consultation", "dialogue.answer_proposal"):
        return relation == "own_comune" and role in managing
    if perm in ("dialogue.moderate", "dialogue.view_proposal"):
        return relation == "own_comune" and role in {Role.MODERATOR, *managing}
    if perm == "dialogue.pledge":  # for the Comune di Bologna organisation
        return relation == "own_comune" and role in managing
    if perm == "dialogue.view_pledge":
        return relation == "community" or (relation == "own_comune" and role in managing)
    if perm == "dialogue.decide_pledge":
        return relation == "own_comune" and role in managing
    if perm in ("dialogue.view_meeting", "dialogue.register"):
        return relation == "own_comune"
    if perm in ("dialogue.manage_meeting", "dialogue.view_registration"):
        return relation == "own_comune" and role in managing
    if perm == "dialogue.view_course":
        return relation == "institute"
    if perm in ("dialogue.manage_course", "dialogue.view_enrolment"):
        return relation == "institute" and role in managing
    if perm in ("dialogue.enrol", "dialogue.view_notification"):
        return False
    # Research extracts: the target request was made by someone else of the institute.
    if perm == "reports.request_extract":  # for the institute
        return relation == "institute" and role in AGGREGATE_ROLES
    if perm == "reports.view_request":
        return relation == "institute" or (relation == "association" and role in managing)
    if perm == "reports.decide_extract":
        return relation == "association" and role in managing
    if perm in PUBLIC_PERMS:
        return True
    raise AssertionError(f"no expectation written for {perm}")


PERMS = [
    "prossima.view_restricted",
    "prossima.view_aggregates",
    "accounts.view_membership",
    "accounts.change_membership",
    "accounts.change_organisation",
    "accounts.view_auditevent",
    "accounts.export_auditevent",
    "territory.change_subarea",
    "territory.view_comune",
    "territory.view_subarea",
    "accounts.view_organisation",
    "incidents.view_incident",
    "incidents.manage_dataset",
    "incidents.view_category",
    "incidents.view_report",
    "incidents.moderate_report",
    "incidents.change_report_status",
    "incidents.change_reportrouting",
    "jobs.view_job",
    "jobs.retry_job",
    "analytics.view_run",
    "analytics.launch_run",
    "analytics.publish_run",
    "analytics.view_public_layer",
    "policing.view_beats",
    "policing.manage_beats",
    "policing.plan_patrols",
    "policing.log_visit",
    "policing.view_visit",
    "interventions.view_project",
    "interventions.manage_project",
    "interventions.publish_project",
    "inclusion.view_indicators",
    "inclusion.manage_indicators",
    "inclusion.view_audit_map",
    "inclusion.view_audits",
    "inclusion.manage_campaigns",
    "inclusion.record_audit",
    "inclusion.view_service",
    "inclusion.manage_services",
    "inclusion.refer_case",
    "inclusion.view_referral",
    "inclusion.update_referral",
    "inclusion.view_referral_outcomes",
    "assets.view_public_list",
    "assets.propose_reuse",
    "assets.view_asset",
    "assets.manage_asset",
    "assets.view_proposal",
    "assets.view_national",
    "counterfeit.view_alert",
    "counterfeit.manage_alerts",
    "counterfeit.import_alerts",
    "counterfeit.view_seizure",
    "counterfeit.record_seizure",
    "counterfeit.view_seizure_totals",
    "counterfeit.view_campaign",
    "counterfeit.manage_campaigns",
    "counterfeit.view_subscription",
    "practices.view_practice",
    "practices.change_practice",
    "practices.submit_practice",
    "practices.review_practice",
    "dialogue.view_consultation",
    "dialogue.manage_consultation",
    "dialogue.participate",
    "dialogue.view_proposal",
    "dialogue.answer_proposal",
    "dialogue.moderate",
    "dialogue.pledge",
    "dialogue.view_pledge",
    "dialogue.decide_pledge",
    "dialogue.view_meeting",
    "dialogue.manage_meeting",
    "dialogue.register",
    "dialogue.view_registration",
    "dialogue.view_course",
    "dialogue.manage_course",
    "dialogue.enrol",
    "dialogue.view_enrolment",
    "dialogue.view_notification",
    "reports.request_extract",
    "reports.view_request",
    "reports.decide_extract",
]
REFERRAL_PERMS = {"inclusion.view_referral", "inclusion.update_referral"}


@pytest.fixture
def world(make_org: Any, bologna: Any, modena: Any) -> dict[str, Any]:
    from prossima.jobs.models import Job

    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)
    job = Job.objects.create(kind="incidents.import", tenant=comune)
    return {
        "job": job,
        "own_comune": comune,
        "own_police": make_org(OrganisationKind.POLICE_COMMAND, "PL Bologna", parent=comune),
        "other_comune": make_org(OrganisationKind.COMUNE, "Comune di Modena", comune=modena),
        "association": make_org(OrganisationKind.ASSOCIATION, "Associazione"),
        "institute": make_org(OrganisationKind.RESEARCH_INSTITUTE, "Istituto"),
        "community": make_org(OrganisationKind.COMMUNITY, "Rete", comune=bologna),
    }


REPORT_PERMS = {
    "incidents.view_report",
    "incidents.moderate_report",
    "incidents.change_report_status",
}


def world_report(world: dict[str, Any]) -> Any:
    """Return a citizen report in Bologna routed to Bologna's police command (made once)."""
    if "report" not in world:
        from prossima.incidents.actions import (
            do_install_report_categories,
            do_set_report_routing,
            do_submit_report,
        )
        from prossima.incidents.models import ReportCategory

        do_install_report_categories()
        category = ReportCategory.objects.get(code="spaccio")
        do_set_report_routing(None, world["own_comune"], category, world["own_police"])
        world["report"], _token = do_submit_report(
            None,
            category=category,
            title="Spaccio sotto il portico",
            description="Ogni sera dopo le 22.",
            lon=11.3426,
            lat=44.4937,
        )
    return world["report"]


def world_visit(world: dict[str, Any]) -> Any:
    """Return a visit logged by another officer of Bologna's police (made once)."""
    if "visit" not in world:
        from django.utils import timezone

        from prossima.accounts.models import User
        from prossima.policing.models import Beat, BeatPlan, PatrolBox, PatrolPlan, Visit

        plan = BeatPlan.objects.create(
            tenant=world["own_comune"], name="Beats", version=1, n_beats=1, crs="EPSG:32632"
        )
        beat = Beat.objects.create(
            plan=plan, number=1, geometry="{}", cells=1, workload=1.0, compactness=1.0
        )
        now = timezone.now()
        patrol = PatrolPlan.objects.create(beat=beat, shift_start=now, shift_end=now)
        box = PatrolBox.objects.create(
            plan=patrol,
            order=1,
            cell_id="250m_E1_N1",
            geometry="{}",
            lon=11.34,
            lat=44.49,
            score=1.0,
            planned_minutes=30,
        )
        officer = User.objects.create_user(username="another.officer", email="o@example.org")
        world["visit"] = Visit.objects.create(box=box, officer=officer, arrived_at=now, minutes=15)
    return world["visit"]


def world_referral(world: dict[str, Any]) -> Any:
    """Return a referral by another social worker of Bologna to a community service (made once)."""
    if "referral" not in world:
        from prossima.accounts.actions import do_add_membership
        from prossima.accounts.models import User
        from prossima.inclusion.models import Referral, Service

        social = User.objects.create_user(username="another.social", email="s@example.org")
        do_add_membership(None, world["own_comune"], social, Role.SOCIAL_WORKER)
        service = Service.objects.create(
            tenant=world["own_comune"],
            provider=world["community"],
            name="Officina dei mestieri",
            kind="training",
            target_groups=["youth"],
            accepts_referrals=True,
        )
        world["referral"] = Referral.objects.create(
            tenant=world["own_comune"],
            service=service,
            case_code="SS-2026-001",
            age_band="14_17",
            target_group="youth",
            referrer=social,
            referrer_organisation=world["own_comune"],
        )
    return world["referral"]


def world_practice(world: dict[str, Any]) -> Any:
    """Return a draft practice written by the Comune di Bologna (made once)."""
    if "practice" not in world:
        from prossima.practices.actions import do_create_practice

        world["practice"] = do_create_practice(
            None,
            world["own_comune"],
            title="Custodi sociali",
            summary="Bozza non pubblicata.",
            problems=["furto-abitazione"],
            intervention_types=["social"],
        )
    return world["practice"]


PRACTICE_OBJECT_PERMS = {
    "practices.view_practice",
    "practices.change_practice",
    "practices.review_practice",
}


def world_dialogue(world: dict[str, Any]) -> dict[str, Any]:
    """Return the participation objects of the matrix (made once); see expected()."""
    if "dialogue" not in world:
        import datetime as dt

        from django.utils import timezone

        from prossima.accounts.models import User
        from prossima.dialogue import models as d

        today = timezone.localdate()
        someone = User.objects.create_user(username="someone.else", email="se@example.org")
        consultation = d.Consultation.objects.create(
            organisation=world["own_comune"],
            title="Consultazione",
            slug="consultazione",
            summary="Per membri e invitati.",
            scope=d.Scope.COMUNE,
            access=d.Access.INVITED,
            published=True,
        )
        consultation.invited.set([world["community"]])
        consultation.phases.create(
            kind=d.PhaseKind.PROPOSALS,
            starts_on=today - dt.timedelta(days=1),
            ends_on=today + dt.timedelta(days=9),
        )
        proposal = d.Proposal.objects.create(
            consultation=consultation,
            author=someone,
            title="In attesa",
            body="Una proposta da moderare.",
            state=d.ContentState.PENDING,
        )
        pledge = d.Pledge.objects.create(
            organisation=world["community"],
            proposal=proposal,
            kind=d.PledgeKind.VOLUNTEERING,
            hours=10,
            description="Volontari",
        )
        now = timezone.now()
        meeting = d.Meeting.objects.create(
            organisation=world["own_comune"],
            title="Riunione",
            slug="riunione",
            kind=d.MeetingKind.WORKSHOP,
            summary="Per i membri.",
            starts_at=now + dt.timedelta(days=3),
            ends_at=now + dt.timedelta(days=3, hours=2),
            access=d.Access.MEMBERS,
            published=True,
        )
        course = d.Course.objects.create(
            organisation=world["institute"], title="Corso", slug="corso", summary="Bozza."
        )
        world["dialogue"] = {
            "consultation": consultation,
            "proposal": proposal,
            "pledge": pledge,
            "meeting": meeting,
            "registration": d.Registration.objects.create(
                meeting=meeting, user=someone, state=d.RegistrationState.CONFIRMED
            ),
            "course": course,
            "enrolment": d.Enrolment.objects.create(
                course=course, user=someone, state=d.EnrolmentState.ENROLLED
            ),
            "notification": d.Notification.objects.create(
                recipient=someone, kind=d.NotificationKind.COMMENT, event="comment_reply"
            ),
        }
    return world["dialogue"]


DIALOGUE_TARGETS = {
    "dialogue.view_consultation": "consultation",
    "dialogue.manage_consultation": "consultation",
    "dialogue.participate": "consultation",
    "dialogue.moderate": "consultation",
    "dialogue.view_proposal": "proposal",
    "dialogue.answer_proposal": "proposal",
    "dialogue.view_pledge": "pledge",
    "dialogue.decide_pledge": "pledge",
    "dialogue.view_meeting": "meeting",
    "dialogue.manage_meeting": "meeting",
    "dialogue.register": "meeting",
    "dialogue.view_registration": "registration",
    "dialogue.view_course": "course",
    "dialogue.manage_course": "course",
    "dialogue.enrol": "course",
    "dialogue.view_enrolment": "enrolment",
    "dialogue.view_notification": "notification",
}


def world_request(world: dict[str, Any]) -> Any:
    """Return a research request made by another researcher of the institute (made once)."""
    if "request" not in world:
        from prossima.accounts.models import User
        from prossima.reports.models import Level, ResearchRequest

        researcher = User.objects.create_user(username="other.researcher", email="or@example.org")
        world["request"] = ResearchRequest.objects.create(
            requester=researcher,
            organisation=world["institute"],
            title="Concentrazione dei furti",
            purpose="Confronto tra comuni medi.",
            indicators=["incidents_top5"],
            years=[2024],
            level=Level.REGION,
        )
    return world["request"]


def target(perm: str, world: dict[str, Any], bologna: Any) -> Any:
    if perm == "reports.request_extract":
        return world["institute"]
    if perm in ("reports.view_request", "reports.decide_extract"):
        return world_request(world)
    if perm in DIALOGUE_TARGETS:
        return world_dialogue(world)[DIALOGUE_TARGETS[perm]]
    if perm in PRACTICE_OBJECT_PERMS:
        return world_practice(world)
    if perm == "policing.view_visit":
        return world_visit(world)
    if perm in REFERRAL_PERMS:
        return world_referral(world)
    if perm in REPORT_PERMS:
        return world_report(world)
    if perm.startswith(("territory.", "assets.")):
        return bologna
    if perm.startswith("jobs."):
        return world["job"]
    return world["own_comune"]


def test_every_model_has_a_declared_protection() -> None:
    models = {
        f"{m._meta.app_label}.{m._meta.model_name}"
        for m in apps.get_models()
        if m._meta.app_label in PROSSIMA_APPS
    }
    missing = sorted(models - set(DATA_KINDS))
    assert not missing, f"add these models to accounts.permissions.DATA_KINDS: {missing}"
    stale = sorted(set(DATA_KINDS) - models)
    assert not stale, f"DATA_KINDS names models that do not exist: {stale}"


def test_every_declared_permission_is_in_the_matrix() -> None:
    declared = {k.view_perm for k in DATA_KINDS.values()} | {
        k.change_perm for k in DATA_KINDS.values() if k.change_perm
    }
    untested = declared - set(PERMS) - {"accounts.view_user", "accounts.change_user"}
    assert not untested, f"add these permissions to the matrix: {sorted(untested)}"


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("role", ROLES)
def test_matrix(
    relation: str, role: str, world: dict[str, Any], make_user: Any, bologna: Any
) -> None:
    user = make_user(world[relation], role)
    wrong = []
    for perm in PERMS:
        allowed = user.has_perm(perm, target(perm, world, bologna))
        if allowed != expected(perm, relation, role):
            wrong.append(f"{perm}: got {allowed}")
    assert not wrong, f"{role} in {relation}: " + "; ".join(wrong)


def test_anonymous_sees_only_public(world: dict[str, Any], bologna: Any) -> None:
    anonymous = AnonymousUser()
    for perm in PERMS:
        public = perm in PUBLIC_PERMS
        assert anonymous.has_perm(perm, target(perm, world, bologna)) is public, perm


def test_citizen_without_organisation_sees_only_public(
    world: dict[str, Any], make_user: Any, bologna: Any
) -> None:
    citizen = make_user()
    for perm in PERMS:
        assert citizen.has_perm(perm, target(perm, world, bologna)) is expected(
            perm, "none", Role.CITIZEN
        ), perm


def test_platform_admin_is_allowed_everything(
    world: dict[str, Any], make_user: Any, bologna: Any
) -> None:
    admin = make_user(is_superuser=True, is_staff=True)
    for perm in PERMS:
        assert admin.has_perm(perm, target(perm, world, bologna)), perm


def test_personal_data_is_visible_to_its_owner_only(make_user: Any) -> None:
    alice, bob = make_user(), make_user()
    assert alice.has_perm("accounts.view_user", alice)
    assert not alice.has_perm("accounts.view_user", bob)
    assert not alice.has_perm("accounts.change_user", bob)


def test_published_practices_are_public_drafts_are_not(
    world: dict[str, Any], make_user: Any, bologna: Any
) -> None:
    from prossima.practices.models import Practice, Status

    draft = world_practice(world)
    outsider = make_user(world["other_comune"], Role.MANAGER)
    assert not AnonymousUser().has_perm("practices.view_practice", draft)
    assert not outsider.has_perm("practices.view_practice", draft)
    Practice.objects.filter(pk=draft.pk).update(status=Status.PUBLISHED)
    draft.refresh_from_db()
    assert AnonymousUser().has_perm("practices.view_practice", draft)
    assert outsider.has_perm("practices.view_practice", draft)
    assert not outsider.has_perm("practices.change_practice", draft)


def test_reporter_sees_their_own_report_only(
    world: dict[str, Any], make_user: Any, bologna: Any
) -> None:
    from prossima.incidents.models import ReportCategory

    reporter, neighbour = make_user(), make_user()
    report = world_report(world)
    report.reporter = reporter
    report.save(update_fields=["reporter"])
    assert report.category == ReportCategory.objects.get(code="spaccio")
    assert report.routed_to == world["own_police"], "routed by category"
    assert reporter.has_perm("incidents.view_report", report)
    assert not reporter.has_perm("incidents.moderate_report", report)
    assert not reporter.has_perm("incidents.change_report_status", report)
    assert not neighbour.has_perm("incidents.view_report", report)
