"""Builders of the personal data the privacy tests purge, export and erase."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest
from django.utils import timezone

from prossima.accounts.models import OrganisationKind, Role


@pytest.fixture
def world(
    make_org: Any, make_user: Any, bologna: Any, fast_password_hashing: Any
) -> dict[str, Any]:
    """Return Bologna's comune organisation, one of its staff and two citizens."""
    comune = make_org(OrganisationKind.COMUNE, "Comune di Bologna (test)", comune=bologna)
    community = make_org(OrganisationKind.COMMUNITY, "Rete di quartiere (test)", comune=bologna)
    return {
        "comune": comune,
        "community": community,
        "bologna": bologna,
        "admin": make_user(comune, Role.ADMINISTRATOR, username="admin.bologna"),
        "alice": make_user(username="alice", first_name="Alice", last_name="Rossi"),
        "bob": make_user(username="bob", first_name="Bob", last_name="Bianchi"),
    }


def consultation(world: dict[str, Any], open_now: bool = True) -> Any:
    """Create a published consultation of the comune, in its proposals phase (or over)."""
    from prossima.dialogue.models import Consultation, Phase

    found = Consultation.objects.create(
        organisation=world["comune"],
        title="Piazza sicura",
        slug=f"piazza-{secrets.token_hex(3)}",
        summary="s",
        scope="comune",
        comune=world["bologna"],
        published=True,
    )
    today = timezone.localdate()
    if open_now:
        start, end = today - dt.timedelta(days=5), today + dt.timedelta(days=5)
    else:
        start, end = today - dt.timedelta(days=50), today - dt.timedelta(days=20)
    Phase.objects.create(consultation=found, kind="proposals", starts_on=start, ends_on=end)
    return found


def proposal(world: dict[str, Any], author: Any, space: Any = None, **fields: Any) -> Any:
    from prossima.dialogue.models import Proposal

    return Proposal.objects.create(
        consultation=space or consultation(world),
        author=author,
        title=fields.pop("title", "More light in the square"),
        body=fields.pop("body", "Please add lamps."),
        **fields,
    )


def meeting(world: dict[str, Any], starts_at: dt.datetime) -> Any:
    from prossima.dialogue.models import Meeting

    return Meeting.objects.create(
        organisation=world["comune"],
        title="Assemblea",
        slug=f"assemblea-{secrets.token_hex(3)}",
        kind="public_assembly",
        summary="s",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        published=True,
    )


def course(world: dict[str, Any], ends_at: dt.datetime) -> Any:
    from prossima.dialogue.models import Course, CourseSession

    found = Course.objects.create(
        organisation=world["comune"],
        title="Corso",
        slug=f"corso-{secrets.token_hex(3)}",
        summary="s",
        published=True,
    )
    CourseSession.objects.create(
        course=found, starts_at=ends_at - dt.timedelta(hours=2), ends_at=ends_at
    )
    return found


def citizen_report(world: dict[str, Any], reporter: Any = None, **fields: Any) -> Any:
    from prossima.incidents.models import CitizenReport, ReportCategory

    return CitizenReport.objects.create(
        tenant=world["comune"],
        comune=world["bologna"],
        category=ReportCategory.objects.get(code="vandalismo"),
        title=fields.pop("title", "Broken bench"),
        description=fields.pop("description", "The bench is broken."),
        original_title=fields.pop("original_title", "Broken bench near Mario's door"),
        original_description=fields.pop("original_description", "Call me on 333 1234567."),
        lon=11.34,
        lat=44.49,
        public_lon=11.34,
        public_lat=44.49,
        routed_to=world["comune"],
        reporter=reporter,
        follow_digest=secrets.token_hex(32),
        **fields,
    )
