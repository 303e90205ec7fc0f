"""Consultations, proposals, supports, comments, answers, moderation, pledges, notifications."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from prossima.accounts.models import OrganisationKind, Role
from prossima.dialogue.actions import consultations as actions
from prossima.dialogue.actions.notifications import do_set_preferences, message
from prossima.dialogue.models import (
    Access,
    Answer,
    ContentState,
    Flag,
    FlagDecision,
    Notification,
    PhaseKind,
    PledgeKind,
    PledgeState,
    Scope,
)
from prossima.dialogue.queries import consultations as queries

# A point in the centre of Bologna (Piazza Maggiore) and one in Milan.
PIAZZA_MAGGIORE = (11.3426, 44.4937)
MILANO = (9.19, 45.464)


@pytest.fixture(autouse=True)
def _database(db: Any, fast_password_hashing: None) -> None:
    """Give every test here the database (rolled back after each test)."""


def phases_around(today: dt.date, current: str = PhaseKind.PROPOSALS) -> list[dict[str, Any]]:
    """Return information → proposals → debate phases with ``current`` running today."""
    order = [PhaseKind.INFORMATION, PhaseKind.PROPOSALS, PhaseKind.DEBATE]
    index = order.index(current)  # type: ignore[arg-type]
    start = today - dt.timedelta(days=10 + 20 * index)
    phases = []
    for kind in order:
        phases.append({"kind": kind, "starts_on": start, "ends_on": start + dt.timedelta(days=19)})
        start += dt.timedelta(days=20)
    return phases


@pytest.fixture
def world(make_org: Any, make_user: Any, bologna: Any) -> dict[str, Any]:
    """The comune of Bologna with a manager and a moderator, a citizen, a company."""
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)
    company = make_org(OrganisationKind.COMPANY, "Impresa Sicura srl", comune=bologna)
    return {
        "comune": comune,
        "company": company,
        "manager": make_user(comune, Role.MANAGER, username="manager", first_name="Marco"),
        "moderator": make_user(comune, Role.MODERATOR, username="moderator"),
        "citizen": make_user(username="citizen", first_name="Anna"),
        "neighbour": make_user(username="neighbour", first_name="Bruno"),
        "company_manager": make_user(company, Role.MANAGER, username="company", first_name="Carla"),
    }


def open_consultation(world: dict[str, Any], bologna: Any, **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "title": "Piazza Verdi più sicura",
        "summary": "Proposte per la zona universitaria di sera.",
        "scope": Scope.COMUNE,
        "comune": bologna,
        "published": True,
        "phases": phases_around(timezone.localdate()),
    }
    fields.update(overrides)
    return actions.do_create_consultation(world["manager"], world["comune"], **fields)


@pytest.fixture
def consultation(world: dict[str, Any], bologna: Any) -> Any:
    return open_consultation(world, bologna)


def propose(world: dict[str, Any], consultation: Any, who: str = "citizen", **kw: Any) -> Any:
    fields = {
        "title": "Più luce sotto i portici",
        "body": "Illuminare il portico di via Zamboni tra le 20 e le 2.",
    }
    fields.update(kw)
    return actions.do_propose(world[who], consultation, **fields)


# --- Consultations -------------------------------------------------------------------------


def test_a_manager_opens_a_consultation_with_phases(consultation: Any) -> None:
    assert consultation.slug == "piazza-verdi-piu-sicura"
    assert [p.kind for p in consultation.phases.all()] == ["information", "proposals", "debate"]
    assert consultation.phase_on().kind == PhaseKind.PROPOSALS


def test_only_managers_open_consultations(world: dict[str, Any], bologna: Any) -> None:
    with pytest.raises(PermissionDenied):
        actions.do_create_consultation(
            world["moderator"], world["comune"], title="x", summary="y", scope=Scope.NATIONAL,
            phases=phases_around(timezone.localdate()),
        )  # fmt: skip


def test_reversed_or_overlapping_phases_and_missing_comune_are_refused(
    world: dict[str, Any], bologna: Any, english: None
) -> None:
    today = timezone.localdate()
    reversed_ = [
        {"kind": "information", "starts_on": today, "ends_on": today + dt.timedelta(days=5)},
        {"kind": "proposals", "starts_on": today + dt.timedelta(days=3), "ends_on": today},
    ]
    with pytest.raises(ValidationError) as caught:
        open_consultation(world, bologna, comune=None, phases=reversed_)
    errors = caught.value.message_dict
    assert errors["comune"] == ["Choose the comune (or a national scope)."]
    assert errors["phases"] == ["Phase Proposals ends before it starts."]
    overlapping = [dict(reversed_[0]), {**reversed_[1], "ends_on": today + dt.timedelta(days=9)}]
    with pytest.raises(ValidationError) as caught:
        open_consultation(world, bologna, phases=overlapping)
    assert caught.value.message_dict == {
        "phases": ["Phases Information and Proposals overlap: one phase at a time."]
    }


def test_invited_consultations_are_seen_by_invited_organisations_only(
    world: dict[str, Any], bologna: Any, make_org: Any, make_user: Any
) -> None:
    network = make_org(OrganisationKind.COMMUNITY, "Rete di quartiere", comune=bologna)
    member = make_user(network, Role.CITIZEN)
    invited = open_consultation(world, bologna, access=Access.INVITED, invited=[network])
    assert member.has_perm("dialogue.view_consultation", invited)
    assert not world["citizen"].has_perm("dialogue.view_consultation", invited)
    assert invited in queries.visible_consultations(member)
    assert invited not in queries.visible_consultations(world["citizen"])
    client = Client()
    client.force_login(world["citizen"])
    assert client.get(invited.get_absolute_url()).status_code == 404


# --- Proposals, supports, comments ---------------------------------------------------------


def test_a_citizen_and_a_company_propose_and_the_author_kind_shows(
    world: dict[str, Any], consultation: Any
) -> None:
    by_citizen = propose(world, consultation, lon=PIAZZA_MAGGIORE[0], lat=PIAZZA_MAGGIORE[1])
    by_company = propose(
        world, consultation, "company_manager", title="Vigilanza condivisa",
        organisation=world["company"],
    )  # fmt: skip
    assert by_citizen.state == ContentState.PUBLISHED
    client = Client()
    page = client.get(consultation.get_absolute_url()).content.decode()
    assert "Più luce sotto i portici" in page
    assert "Impresa Sicura srl" in page
    assert "Impresa privata" in page  # the author's kind
    points = client.get(consultation.get_absolute_url()).context["points"]
    assert points == [
        {
            "lat": 44.4937,
            "lon": 11.3426,
            "title": by_citizen.title,
            "url": by_citizen.get_absolute_url(),
        }
    ]
    assert by_company.organisation == world["company"]


def test_proposals_are_refused_outside_the_proposals_phase_and_the_comune(
    world: dict[str, Any], bologna: Any
) -> None:
    informing = open_consultation(
        world, bologna, phases=phases_around(timezone.localdate(), PhaseKind.INFORMATION)
    )
    with pytest.raises(ValidationError, match="fase attuale"):
        propose(world, informing)
    open_now = open_consultation(world, bologna, title="Altra")
    with pytest.raises(ValidationError) as caught:
        propose(world, open_now, lon=MILANO[0], lat=MILANO[1])
    assert caught.value.message_dict["location"] == ["Il luogo è fuori dal comune di Bologna."]
    with pytest.raises(ValidationError):
        propose(world, open_now, organisation=world["company"])  # not the citizen's


def test_links_to_records_the_public_cannot_see_are_refused(
    world: dict[str, Any], consultation: Any
) -> None:
    from prossima.practices.actions import do_create_practice

    draft = do_create_practice(None, world["comune"], title="Bozza", summary="Non pubblica.")
    with pytest.raises(ValidationError) as caught:
        propose(world, consultation, practices=[draft.pk])
    assert str(draft.pk) in caught.value.message_dict["practices"][0]


def test_one_support_per_person(world: dict[str, Any], consultation: Any) -> None:
    proposal = propose(world, consultation)
    assert actions.do_support(world["neighbour"], proposal) == 1
    assert actions.do_support(world["neighbour"], proposal) == 1
    assert actions.do_support(world["company_manager"], proposal) == 2
    assert actions.do_support(world["neighbour"], proposal, supported=False) == 1
    proposal.refresh_from_db()
    assert proposal.support_count == proposal.supports.count() == 1


def test_comments_nest_three_levels_and_notify(world: dict[str, Any], consultation: Any) -> None:
    proposal = propose(world, consultation)
    first = actions.do_comment(world["neighbour"], proposal, "Anche davanti alla biblioteca.")
    second = actions.do_comment(world["citizen"], proposal, "Sì, giusto.", parent=first)
    third = actions.do_comment(world["neighbour"], proposal, "E in via Belle Arti.", parent=second)
    fourth = actions.do_comment(world["citizen"], proposal, "D'accordo.", parent=third)
    assert fourth.parent == second  # joins the third level
    thread = queries.comment_thread(proposal, None)
    assert [i.comment for i in thread] == [first]
    assert [i.comment for i in thread[0].replies] == [second]
    assert {i.comment for i in thread[0].replies[0].replies} == {third, fourth}
    events = list(
        Notification.objects.filter(recipient=world["citizen"]).values_list("event", flat=True)
    )
    assert "comment_on_proposal" in events
    assert (
        Notification.objects.filter(recipient=world["neighbour"], event="comment_reply").count()
        == 2
    )


def test_blocked_people_cannot_post(world: dict[str, Any], consultation: Any) -> None:
    proposal = propose(world, consultation)
    block = actions.do_block(world["moderator"], world["comune"], world["neighbour"], "Insulti")
    with pytest.raises(PermissionDenied):
        actions.do_comment(world["neighbour"], proposal, "Ancora io.")
    with pytest.raises(PermissionDenied):
        actions.do_support(world["neighbour"], proposal)
    assert not world["neighbour"].has_perm("dialogue.participate", consultation)
    actions.do_lift_block(world["moderator"], block)
    actions.do_comment(world["neighbour"], proposal, "Scusate.")


# --- Answers and accountability ------------------------------------------------------------


def make_project(
    world: dict[str, Any], tenant: Any = None, title: str = "Portici illuminati"
) -> Any:
    from prossima.interventions.actions import do_create_project

    square = {
        "type": "Polygon",
        "coordinates": [
            [[11.34, 44.49], [11.35, 44.49], [11.35, 44.50], [11.34, 44.50], [11.34, 44.49]]
        ],
    }
    return do_create_project(
        None,
        tenant or world["comune"],
        title=title,
        kind="requalification",
        area=json.dumps(square),
        start_date=timezone.localdate(),
    )


def test_the_comune_accepts_a_proposal_and_links_a_project(
    world: dict[str, Any], consultation: Any, make_org: Any, modena: Any
) -> None:
    from prossima.interventions.actions import do_set_stage

    proposal = propose(world, consultation)
    actions.do_support(world["neighbour"], proposal)
    with pytest.raises(ValidationError) as caught:
        actions.do_answer(world["manager"], proposal, Answer.REJECTED, "")
    assert "answer_text" in caught.value.message_dict
    elsewhere = make_project(world, make_org(OrganisationKind.COMUNE, "Modena", comune=modena))
    with pytest.raises(ValidationError):
        actions.do_answer(world["manager"], proposal, Answer.ACCEPTED, "Sì", project=elsewhere)
    with pytest.raises(PermissionDenied):
        actions.do_answer(world["moderator"], proposal, Answer.ACCEPTED, "Sì")
    project = make_project(world)
    actions.do_answer(world["manager"], proposal, Answer.ACCEPTED, "Lo faremo.", project=project)
    proposal.refresh_from_db()
    assert proposal.answer == Answer.ACCEPTED
    assert proposal.project == project
    answered = Notification.objects.get(recipient=world["citizen"], event="proposal_answered")
    assert answered.params["answer"] == "accepted"  # a code, named in each reader's language
    assert message(answered.event, answered.params) == (
        "Comune di Bologna ha risposto alla tua proposta “Più luce sotto i portici”: Accettata."
    )
    assert Notification.objects.filter(
        recipient=world["neighbour"], event="proposal_project"
    ).exists()

    do_set_stage(world["manager"], project, "response")
    assert Notification.objects.filter(event="project_stage").count() == 2  # author, supporter

    client = Client()
    page = client.get(proposal.get_absolute_url())
    assert page.context["progress"] == {"hidden": True}  # the project is not published yet
    project.published = True
    project.save()
    page = client.get(proposal.get_absolute_url())
    assert page.context["progress"]["project"] == project
    assert 'data-testid="project-stage">Risposta<' in page.content.decode()


# --- Moderation --------------------------------------------------------------------------------


def test_reported_comment_is_hidden_at_the_threshold_and_a_moderator_decides(
    world: dict[str, Any], bologna: Any, make_user: Any
) -> None:
    consultation = open_consultation(world, bologna, hide_after_flags=2)
    proposal = propose(world, consultation)
    comment = actions.do_comment(world["neighbour"], proposal, "Parole offensive")
    with pytest.raises(ValidationError):
        actions.do_flag(world["neighbour"], comment, "offensive")  # own content
    actions.do_flag(world["citizen"], comment, "offensive")
    with pytest.raises(ValidationError):
        actions.do_flag(world["citizen"], comment, "spam")  # once per person
    comment.refresh_from_db()
    assert comment.state == ContentState.PUBLISHED
    actions.do_flag(world["company_manager"], comment, "offensive", "Insulta i residenti")
    comment.refresh_from_db()
    assert comment.state == ContentState.HIDDEN
    assert [i.target for i in queries.moderation_queue(world["moderator"])] == [comment]
    assert queries.moderation_queue(world["citizen"]) == []
    page = Client().get(proposal.get_absolute_url()).content.decode()
    assert "Parole offensive" not in page

    with pytest.raises(ValidationError):
        actions.do_moderate(world["moderator"], comment, "hide")  # a reason is required
    actions.do_moderate(world["moderator"], comment, "edit", body="Parole [rimosse]")
    comment.refresh_from_db()
    assert comment.state == ContentState.PUBLISHED
    assert comment.body == "Parole [rimosse]"
    assert comment.original_body == "Parole offensive"
    assert set(Flag.objects.values_list("decision", flat=True)) == {FlagDecision.KEPT}
    assert Notification.objects.filter(
        recipient=world["neighbour"], event="content_edited"
    ).exists()


def test_moderation_before_publication(world: dict[str, Any], bologna: Any) -> None:
    consultation = open_consultation(world, bologna, moderate_first=True)
    proposal = propose(world, consultation)
    assert proposal.state == ContentState.PENDING
    assert not world["neighbour"].has_perm("dialogue.view_proposal", proposal)
    assert world["citizen"].has_perm("dialogue.view_proposal", proposal)
    assert Notification.objects.filter(
        recipient=world["moderator"], event="moderation_needed"
    ).exists()
    with pytest.raises(ValidationError):
        actions.do_support(world["neighbour"], proposal)
    actions.do_moderate(world["moderator"], proposal, "publish")
    proposal.refresh_from_db()
    assert proposal.state == ContentState.PUBLISHED
    assert world["neighbour"].has_perm("dialogue.view_proposal", proposal)


# --- Pledges -----------------------------------------------------------------------------------


def test_a_company_pledges_funds_and_the_comune_decides(
    world: dict[str, Any], consultation: Any
) -> None:
    proposal = propose(world, consultation)
    with pytest.raises(ValidationError) as caught:
        actions.do_pledge(
            world["company_manager"], world["company"], proposal=proposal,
            kind=PledgeKind.FUNDING, description="Contributo",
        )  # fmt: skip
    assert "amount_eur" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        actions.do_pledge(
            world["citizen"], world["company"], proposal=proposal, kind=PledgeKind.EXPERTISE,
            description="Consulenza",
        )  # fmt: skip
    pledge = actions.do_pledge(
        world["company_manager"], world["company"], proposal=proposal, kind=PledgeKind.FUNDING,
        amount_eur=Decimal("5000"), description="Lampade a LED", public=True,
    )  # fmt: skip
    hours = actions.do_pledge(
        world["company_manager"], world["company"], proposal=proposal,
        kind=PledgeKind.VOLUNTEERING, hours=40, description="Dipendenti volontari",
    )  # fmt: skip
    assert (
        Notification.objects.filter(recipient=world["manager"], event="pledge_offered").count() == 2
    )
    with pytest.raises(PermissionDenied):
        actions.do_move_pledge(world["company_manager"], pledge, PledgeState.ACCEPTED)
    actions.do_move_pledge(world["manager"], pledge, PledgeState.ACCEPTED)
    with pytest.raises(ValidationError):
        actions.do_move_pledge(world["manager"], hours, PledgeState.DECLINED)  # needs a reason
    actions.do_move_pledge(world["manager"], hours, PledgeState.ACCEPTED)
    actions.do_move_pledge(world["manager"], pledge, PledgeState.DELIVERED)
    with pytest.raises(ValidationError):
        actions.do_move_pledge(world["company_manager"], pledge, PledgeState.WITHDRAWN)
    totals = queries.totals(proposal.pledges.all())
    assert totals.funding_eur == Decimal("5000")
    assert totals.funding_delivered_eur == Decimal("5000")
    assert totals.volunteer_hours == 40
    # Public page: only the consented pledge.
    groups = queries.public_contributions()
    assert [[p.pk for p in g["pledges"]] for g in groups] == [[pledge.pk]]
    page = Client().get("/dialogue/contributions/").content.decode()
    assert "Impresa Sicura srl" in page
    assert "Dipendenti volontari" not in page
    # A linked project totals the proposal's pledges.
    project = make_project(world)
    actions.do_answer(world["manager"], proposal, Answer.ACCEPTED, "Sì", project=project)
    assert queries.totals(queries.project_pledges(project)).funding_eur == Decimal("5000")


# --- Notifications -------------------------------------------------------------------------


def test_notifications_follow_each_persons_choices_and_language(
    world: dict[str, Any], consultation: Any, django_capture_on_commit_callbacks: Any
) -> None:
    citizen = world["citizen"]
    citizen.preferred_language = "en"
    citizen.save()
    proposal = propose(world, consultation)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_answer(world["manager"], proposal, Answer.EVALUATING, "Ci pensiamo.")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [citizen.email]
    assert "Comune di Bologna answered your proposal" in mail.outbox[0].subject
    assert "Being evaluated" in mail.outbox[0].subject
    do_set_preferences(citizen, {"proposal_answered": (True, False)})
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_answer(world["manager"], proposal, Answer.ACCEPTED, "Sì.")
    assert len(mail.outbox) == 1  # no second e-mail
    assert Notification.objects.filter(recipient=citizen, event="proposal_answered").count() == 2
    do_set_preferences(citizen, {"proposal_answered": (False, False)})
    actions.do_answer(world["manager"], proposal, Answer.ACCEPTED, "Confermato.")
    assert Notification.objects.filter(recipient=citizen, event="proposal_answered").count() == 2

    client = Client()
    client.force_login(citizen)
    page = client.get("/dialogue/notifications/")
    assert page.context["unread"] == 2
    client.post("/dialogue/notifications/read/")
    assert client.get("/dialogue/notifications/").context["unread"] == 0
    client.post("/dialogue/notifications/settings/", {"comment_app": "on"})
    choices = {p.kind: (p.in_app, p.email) for p in citizen.dialogue_notification_preferences.all()}
    assert choices["comment"] == (True, False)
    assert choices["meeting"] == (False, False)


# --- Pages -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("english")
def test_the_pages_of_the_proposal_path(world: dict[str, Any], bologna: Any) -> None:
    manager = Client()
    manager.force_login(world["manager"])
    today = timezone.localdate()
    form = {
        "organisation": world["comune"].pk,
        "title": "Sicurezza in Bolognina",
        "summary": "Cosa fare per il parco.",
        "scope": "comune",
        "comune": bologna.pk,
        "access": "public",
        "hide_after_flags": 3,
        "published": "on",
        "proposals_starts_on": (today - dt.timedelta(days=1)).isoformat(),
        "proposals_ends_on": (today + dt.timedelta(days=20)).isoformat(),
    }
    response = manager.post("/dialogue/consultations/new/", form)
    assert response.status_code == 302, response.context["form"].errors
    slug = response["Location"].rstrip("/").split("/")[-1]
    citizen = Client()
    citizen.force_login(world["citizen"])
    response = citizen.post(
        f"/dialogue/consultations/{slug}/propose/",
        {"title": "Panchine e luce", "body": "Nuove panchine e lampioni nel parco della Zucca.",
         "lon": "11.3426", "lat": "44.4937"},
    )  # fmt: skip
    assert response.status_code == 302
    proposal_url = response["Location"]
    company = Client()
    company.force_login(world["company_manager"])
    assert company.post(proposal_url + "support/").status_code == 302
    assert company.post(proposal_url + "comment/", {"body": "Possiamo aiutare."}).status_code == 302
    response = company.post(
        proposal_url + "pledge/",
        {"organisation": world["company"].pk, "kind": "funding", "amount_eur": "2500",
         "description": "Due lampioni", "public": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    page = citizen.get(proposal_url).content.decode()
    assert 'data-testid="support-count">1<' in page
    assert "Possiamo aiutare." in page
    received = manager.get("/dialogue/pledges/")
    assert "Due lampioni" in received.content.decode()
    # Role checks on the web views.
    assert citizen.get(proposal_url + "answer/").status_code == 403
    assert citizen.get("/dialogue/moderation/").status_code == 403
    assert Client().get(proposal_url + "answer/").status_code == 302  # to the login
    assert manager.get(proposal_url + "answer/").status_code == 200
    csv_text = Client().get(f"/dialogue/consultations/{slug}/proposals.csv").content.decode()
    assert "Panchine e luce" in csv_text
    assert "citizen" in csv_text
    assert world["citizen"].email not in csv_text


def test_a_notification_is_written_in_the_readers_language() -> None:
    from django.utils import translation

    params = {"meeting": "Assemblea", "when": "2026-12-21T18:00+01:00"}
    with translation.override("en"):
        english = message("meeting_reminder", params)
    with translation.override("it"):
        italian = message("meeting_reminder", params)
    assert english == "Reminder: “Assemblea” is on Dec. 21, 2026, 6 p.m.."
    assert "dicembre 2026 18:00" in italian.lower()
    with translation.override("it"):
        assert message("pledge_decided", {"target": "Luce", "state": "accepted"}) == (
            "Il tuo impegno per “Luce” è ora: accettato."
        )


def test_the_api_shows_what_the_pages_show_and_names_no_person(
    world: dict[str, Any], bologna: Any, make_org: Any, make_user: Any
) -> None:
    network = make_org(OrganisationKind.COMMUNITY, "Rete di quartiere", comune=bologna)
    member = make_user(network, Role.CITIZEN)
    public = open_consultation(world, bologna)
    invited = open_consultation(
        world, bologna, title="Solo invitati", access=Access.INVITED, invited=[network]
    )
    proposal = propose(world, public, lon=PIAZZA_MAGGIORE[0], lat=PIAZZA_MAGGIORE[1])
    propose(world, public, "company_manager", title="Vigilanza", organisation=world["company"])
    actions.do_support(world["neighbour"], proposal)
    project = make_project(world)
    actions.do_answer(world["manager"], proposal, Answer.ACCEPTED, "Sì.", project=project)
    anonymous = Client()
    slugs = [c["slug"] for c in anonymous.get("/api/dialogue/consultations").json()]
    assert slugs == [public.slug]
    assert anonymous.get(f"/api/dialogue/consultations/{invited.slug}").status_code == 404
    signed_in = Client()
    signed_in.force_login(member)
    slugs = {c["slug"] for c in signed_in.get("/api/dialogue/consultations").json()}
    assert slugs == {public.slug, invited.slug}
    page = anonymous.get(f"/api/dialogue/consultations/{public.slug}/proposals").json()
    assert page["count"] == 2
    first = page["results"][0]
    assert first["title"] == proposal.title
    assert first["supports"] == 1
    assert first["proposer_kind"] == "citizen"
    assert first["organisation"] is None
    assert first["answer"] == "accepted"
    assert first["project"] is None  # the project's summary is not public yet
    assert page["results"][1]["organisation"] == "Impresa Sicura srl"
    text = json.dumps(page)
    assert "Anna" not in text
    assert world["citizen"].email not in text
    bad = anonymous.get(f"/api/dialogue/consultations/{public.slug}/proposals?limit=500")
    assert bad.status_code == 422
    assert anonymous.get("/api/dialogue/meetings").json() == []
    assert anonymous.get("/api/dialogue/contributions").json() == []


def test_errors_that_belong_to_no_field_are_shown_on_the_form(
    world: dict[str, Any], bologna: Any
) -> None:
    consultation = open_consultation(world, bologna)
    client = Client()
    client.force_login(world["citizen"])
    page = client.post(
        f"/dialogue/consultations/{consultation.slug}/propose/",
        {
            "title": "Luce",
            "body": "Una proposta abbastanza lunga.",
            "lon": MILANO[0],
            "lat": MILANO[1],
        },
    )
    assert "Il luogo è fuori dal comune di Bologna." in page.content.decode()
    manager = Client()
    manager.force_login(world["manager"])
    today = timezone.localdate()
    page = manager.post(
        f"/dialogue/consultations/{consultation.slug}/edit/",
        {"title": "X", "summary": "Y", "scope": "comune", "comune": bologna.pk,
         "access": "public", "hide_after_flags": 3,
         "proposals_starts_on": today.isoformat(),
         "proposals_ends_on": (today - dt.timedelta(days=2)).isoformat()},
    )  # fmt: skip
    assert "Proposte" in page.content.decode()
    assert 'data-testid="form-errors"' in page.content.decode()
