"""The demo's participation content: illustrative, complete, loaded once."""

from __future__ import annotations

from typing import Any

from django.test import Client

from prossima.demo import load_demo_accounts, load_demo_dialogue, load_demo_practices
from prossima.dialogue.models import (
    Comment,
    Consultation,
    Course,
    Enrolment,
    Meeting,
    Pledge,
    Proposal,
    Registration,
)


def test_the_demo_shows_every_part_of_participation_and_says_it_is_illustrative(
    db: Any, fast_password_hashing: None
) -> None:
    orgs = load_demo_accounts()
    load_demo_practices(orgs)
    assert load_demo_dialogue(orgs) == 3
    assert load_demo_dialogue(orgs) == 0  # idempotent
    consultation = Consultation.objects.get()
    assert consultation.is_illustrative
    assert consultation.phase_on().kind == "proposals"
    assert Proposal.objects.filter(is_illustrative=True).count() == 3
    assert Comment.objects.filter(is_illustrative=False).count() == 0
    assert Pledge.objects.filter(is_illustrative=False).count() == 0
    accepted = Proposal.objects.get(answer="accepted")
    assert accepted.project is not None
    assert accepted.project.published
    assert Meeting.objects.filter(is_illustrative=True).count() == Meeting.objects.count() == 2
    assert Registration.objects.count() == 4
    assert Course.objects.filter(is_illustrative=True).count() == Course.objects.count() == 1
    assert Enrolment.objects.filter(state="completed").exclude(certificate_code="").exists()
    client = Client()
    page = client.get(consultation.get_absolute_url()).content.decode()
    assert "Consultazione illustrativa inventata per la demo" in page
    assert client.get("/dialogue/contributions/").status_code == 200
