"""Shared fixtures of the practice tests: a writing comune, reviewers, a way to publish."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from prossima.accounts.models import OrganisationKind, Role
from prossima.practices.actions import (
    REVIEW_CHECKLIST,
    do_create_practice,
    do_review_practice,
    do_submit_practice,
)
from prossima.practices.models import Decision, Practice

ALL_TICKED = {key: True for key, _label in REVIEW_CHECKLIST}


@pytest.fixture
def bologna_org(make_org: Callable[..., Any], bologna: Any) -> Any:
    """The comune of Bologna, which writes practices."""
    return make_org(OrganisationKind.COMUNE, "Comune di Bologna", comune=bologna)


@pytest.fixture
def writer(make_user: Callable[..., Any], bologna_org: Any) -> Any:
    """An analyst of the comune of Bologna who writes practices."""
    return make_user(bologna_org, Role.ANALYST, username="writer_bo")


@pytest.fixture
def institute(make_org: Callable[..., Any]) -> Any:
    """The research institute, whose researchers review practices."""
    return make_org(OrganisationKind.RESEARCH_INSTITUTE, "Istituto di ricerca")


@pytest.fixture
def reviewer(make_user: Callable[..., Any], institute: Any) -> Any:
    """A researcher of the research institute."""
    return make_user(institute, Role.RESEARCHER, username="reviewer_inst")


def practice_fields(**overrides: Any) -> dict[str, Any]:
    """Return the content of a complete practice, changed by ``overrides``."""
    fields: dict[str, Any] = {
        "title": "Pratica di prova",
        "summary": "Una pratica scritta per i test.",
        "problems": ["danneggiamento"],
        "intervention_types": ["situational"],
        "links": [{"title": "Fonte", "url": "https://example.org/fonte"}],
        "effect": "Nessuna valutazione dell'effetto.",
        "rating": "insufficient",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def publish(writer: Any, reviewer: Any, bologna_org: Any) -> Callable[..., Practice]:
    """Write, submit and publish a practice through the workflow; return it."""

    def make(**overrides: Any) -> Practice:
        practice = do_create_practice(writer, bologna_org, **practice_fields(**overrides))
        do_submit_practice(writer, practice)
        do_review_practice(reviewer, practice, Decision.PUBLISHED, ALL_TICKED)
        return Practice.objects.get(pk=practice.pk)

    return make
