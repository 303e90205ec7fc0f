"""A comune opens a consultation; a citizen and a company propose, support, comment and
pledge; the comune accepts a pledge and a proposal with its project; a reported comment
is hidden. In a real browser."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from prossima.accounts.models import OrganisationKind, Role

pytestmark = pytest.mark.e2e

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def session(browser: Any, base: str, username: str) -> tuple[Any, Any, list[str]]:
    """Return a signed-in browser context, its page and the console errors it collects."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nome utente o e-mail").fill(username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_load_state()
    return context, page, errors


def test_consultation_proposal_support_pledge_answer_moderation(
    browser: Any, live_server: Any, territory: None, make_org: Any, make_user: Any
) -> None:
    from django.utils import timezone

    from prossima.interventions.actions import do_create_project
    from prossima.territory.models import Comune

    bologna = Comune.objects.get(istat_code="037006")
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna (test)", comune=bologna)
    company = make_org(OrganisationKind.COMPANY, "Luce Srl (test)", comune=bologna)
    make_user(comune, Role.MANAGER, username="sindaco")
    make_user(comune, Role.MODERATOR, username="moderatrice")
    make_user(username="cittadina", first_name="Anna")
    make_user(company, Role.MANAGER, username="impresa", first_name="Carla")
    square = [[[11.34, 44.49], [11.35, 44.49], [11.35, 44.5], [11.34, 44.5], [11.34, 44.49]]]
    project = do_create_project(
        None,
        comune,
        title="Portici illuminati",
        kind="requalification",
        area=json.dumps({"type": "Polygon", "coordinates": square}),
        start_date=timezone.localdate(),
    )
    project.published = True
    project.save()
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    today = timezone.localdate()

    # The comune opens a consultation whose proposals phase runs today.
    ctx_comune, comune_page, comune_errors = session(browser, base, "sindaco")
    comune_page.goto(base + "/dialogue/")
    comune_page.get_by_test_id("new-consultation").click()
    form = comune_page.get_by_test_id("consultation-form")
    form.locator("#id_organisation").select_option(str(comune.pk))
    form.locator("#id_title").fill("Portici sicuri in zona universitaria")
    form.locator("#id_summary").fill("Proposte per rendere più sicuri i portici di sera.")
    form.locator("#id_scope").select_option("comune")
    form.locator("#id_comune").select_option(str(bologna.pk))
    form.locator("#id_hide_after_flags").fill("1")
    form.locator("label[for=id_published]").click()
    form.locator("#id_information_starts_on").fill((today - dt.timedelta(days=20)).isoformat())
    form.locator("#id_information_ends_on").fill((today - dt.timedelta(days=1)).isoformat())
    form.locator("#id_proposals_starts_on").fill(today.isoformat())
    form.locator("#id_proposals_ends_on").fill((today + dt.timedelta(days=30)).isoformat())
    comune_page.get_by_test_id("save-consultation").click()
    comune_page.wait_for_load_state()
    assert "Portici sicuri" in comune_page.get_by_test_id("consultation-title").inner_text()
    consultation_url = comune_page.url

    # A citizen proposes, choosing the place on the map.
    ctx_citizen, citizen_page, citizen_errors = session(browser, base, "cittadina")
    citizen_page.goto(consultation_url)
    citizen_page.get_by_test_id("propose-link").click()
    picker = citizen_page.get_by_test_id("proposal-picker")
    picker.wait_for(state="visible")
    citizen_page.wait_for_selector("[data-testid=proposal-picker][data-loaded=true]")
    picker.click()  # the centre of the map, inside Bologna
    form = citizen_page.get_by_test_id("proposal-form")
    form.locator("#id_title").fill("Più luce sotto i portici")
    form.locator("#id_body").fill("Illuminare il portico di via Zamboni tra le 20 e le 2.")
    citizen_page.screenshot(path=str(SHOTS / "dialogue-propose.png"), full_page=True)
    citizen_page.get_by_test_id("send-proposal").click()
    citizen_page.wait_for_load_state()
    assert citizen_page.get_by_test_id("proposal-title").inner_text() == "Più luce sotto i portici"
    proposal_url = citizen_page.url

    # A company supports, comments and pledges funds.
    ctx_company, company_page, company_errors = session(browser, base, "impresa")
    company_page.goto(proposal_url)
    company_page.get_by_test_id("support").click()
    company_page.wait_for_load_state()
    assert company_page.locator("#supports [data-testid=support-count]").inner_text() == "1"
    comment = company_page.get_by_test_id("comment-form")
    comment.locator("#id_body").fill("Insulti e pubblicità: compra le nostre lampade!")
    comment.get_by_role("button").click()
    company_page.wait_for_load_state()
    company_page.get_by_test_id("pledge-link").click()
    pledge = company_page.get_by_test_id("pledge-form")
    pledge.locator("#id_kind").select_option("funding")
    pledge.locator("#id_amount_eur").fill("3000")
    pledge.locator("#id_description").fill("Quattro lampioni a LED")
    pledge.locator("label[for=id_public]").click()
    company_page.get_by_test_id("send-pledge").click()
    company_page.wait_for_load_state()

    # The comune accepts the pledge and the proposal, linking its project.
    comune_page.goto(base + "/dialogue/pledges/")
    comune_page.get_by_test_id("pledges-received").get_by_test_id("pledge-accepted").click()
    comune_page.wait_for_load_state()
    assert "Accettat" in comune_page.get_by_test_id("pledges-received").inner_text()
    comune_page.goto(proposal_url)
    comune_page.get_by_test_id("answer-link").click()
    answer = comune_page.get_by_test_id("answer-form")
    answer.locator("input[name=answer][value=accepted]").check(force=True)
    answer.locator("#id_answer_text").fill("La proposta entra nel progetto dei portici.")
    answer.locator("#id_project").select_option(str(project.pk))
    comune_page.get_by_test_id("send-answer").click()
    comune_page.wait_for_load_state()
    assert "accettata" in comune_page.get_by_test_id("official-answer").inner_text().lower()
    progress = comune_page.get_by_test_id("project-progress").inner_text()
    assert "Portici illuminati" in progress
    assert "Quattro lampioni" not in comune_page.get_by_test_id("pledges").inner_text()
    assert "3.000" in comune_page.get_by_test_id("pledges").inner_text()

    # The citizen reports the company's comment; at the threshold of one it is hidden.
    citizen_page.goto(proposal_url)
    reported = citizen_page.get_by_test_id("comment").filter(has_text="Insulti")
    reported.locator("summary", has_text="Segnala").click()
    reported.get_by_test_id("flag-form").locator("select").select_option("spam")
    reported.get_by_test_id("flag-form").get_by_role("button").click()
    citizen_page.wait_for_load_state()
    assert "Insulti" not in citizen_page.content()
    citizen_page.screenshot(path=str(SHOTS / "dialogue-proposal.png"), full_page=True)

    # The moderator finds it in the queue.
    ctx_moderator, moderator_page, moderator_errors = session(browser, base, "moderatrice")
    moderator_page.goto(base + "/dialogue/moderation/")
    assert "Insulti" in moderator_page.get_by_test_id("moderation-queue").inner_text()

    # Notifications reached the citizen.
    citizen_page.goto(base + "/dialogue/notifications/")
    told = citizen_page.get_by_test_id("notifications").inner_text()
    assert "ha risposto alla tua proposta" in told

    for errors in (comune_errors, citizen_errors, company_errors, moderator_errors):
        assert not [e for e in errors if "tile" not in e.lower()], errors
    for ctx in (ctx_comune, ctx_citizen, ctx_company, ctx_moderator):
        ctx.close()
