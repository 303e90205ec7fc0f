"""API of participation: consultations with their proposals, meetings, courses, contributions.

Read-only, with the web pages' rules: anonymous callers see what is public, a
signed-in browser session also sees what its organisations may see. People
are never named: a proposal says whether a citizen or an organisation made it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Schema
from ninja.errors import HttpError

from prossima.dialogue.models import (
    Answer,
    ContentState,
    RegistrationState,
)
from prossima.dialogue.queries.consultations import (
    PROPOSAL_ORDERS,
    proposals_for,
    public_contributions,
    visible_consultations,
)
from prossima.dialogue.queries.meetings import visible_meetings
from prossima.dialogue.queries.training import visible_courses

router = Router()

MAX_LIMIT = 100


class PhaseOut(Schema):
    kind: str
    label: str
    starts_on: dt.date
    ends_on: dt.date
    current: bool


class ConsultationOut(Schema):
    slug: str
    page_url: str
    title: str
    summary: str
    organisation: str
    scope: str
    comune_istat: str | None
    access: str
    current_phase: str | None
    phases: list[PhaseOut]
    proposals: int
    illustrative: bool


class ProposalProjectOut(Schema):
    title: str
    stage: str
    stage_label: str


class ProposalOut(Schema):
    id: int
    page_url: str
    title: str
    body: str
    proposer_kind: str
    organisation: str | None
    supports: int
    answer: str
    answer_label: str
    answer_text: str
    answered_at: dt.datetime | None
    project: ProposalProjectOut | None
    lon: float | None
    lat: float | None
    created_at: dt.datetime
    citizen_reports: list[int]
    practices: list[str]
    illustrative: bool


class ProposalPage(Schema):
    count: int
    results: list[ProposalOut]


class MeetingOut(Schema):
    slug: str
    page_url: str
    ics_url: str
    title: str
    kind: str
    organisation: str
    summary: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    address: str
    online_url: str
    languages: str
    state: str
    capacity: int | None
    confirmed: int
    waiting: int
    consultation: str | None
    illustrative: bool


class CourseOut(Schema):
    slug: str
    page_url: str
    title: str
    provider: str
    summary: str
    audience: str
    hours: float
    first_session: dt.datetime | None
    last_session: dt.datetime | None
    capacity: int | None
    enrolment_open: bool
    min_attendance_percent: int
    illustrative: bool


class ContributionOut(Schema):
    organisation: str
    organisation_kind: str
    kind: str
    amount_eur: Decimal | None
    hours: int | None
    description: str
    state: str


class ContributionGroupOut(Schema):
    target_kind: str
    title: str
    page_url: str
    funding_eur: Decimal
    funding_delivered_eur: Decimal
    volunteer_hours: int
    organisations: int
    pledges: list[ContributionOut]


def _consultation_out(request: HttpRequest, c: Any, today: dt.date) -> dict[str, Any]:
    current = c.phase_on(today)
    return {
        "slug": c.slug,
        "page_url": request.build_absolute_uri(c.get_absolute_url()),
        "title": c.title,
        "summary": c.summary,
        "organisation": c.organisation.name,
        "scope": c.scope,
        "comune_istat": c.comune.istat_code if c.comune else None,
        "access": c.access,
        "current_phase": current.kind if current else None,
        "phases": [
            {
                "kind": p.kind,
                "label": str(p.get_kind_display()),
                "starts_on": p.starts_on,
                "ends_on": p.ends_on,
                "current": p == current,
            }
            for p in c.phases.all()
        ],
        "proposals": getattr(c, "published_proposals", 0),
        "illustrative": c.is_illustrative,
    }


def _consultations(request: HttpRequest) -> Any:
    return visible_consultations(request.user).annotate(
        published_proposals=Count("proposals", filter=Q(proposals__state=ContentState.PUBLISHED))
    )


@router.get(
    "/consultations",
    auth=None,
    response=list[ConsultationOut],
    summary="Consultations the caller may see, newest first",
)
def consultation_list(request: HttpRequest) -> list[dict[str, Any]]:
    today = timezone.localdate()
    found = _consultations(request).order_by("-created_at")[:200]
    return [_consultation_out(request, c, today) for c in found]


@router.get("/consultations/{slug}", auth=None, response=ConsultationOut, summary="A consultation")
def consultation_detail(request: HttpRequest, slug: str) -> dict[str, Any]:
    found = get_object_or_404(_consultations(request), slug=slug)
    return _consultation_out(request, found, timezone.localdate())


@router.get(
    "/consultations/{slug}/proposals",
    auth=None,
    response=ProposalPage,
    summary="Published proposals of a consultation, with supports, answers and projects",
)
def proposal_list(
    request: HttpRequest,
    slug: str,
    order: str = "supports",
    answer: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> dict[str, Any]:
    consultation = get_object_or_404(visible_consultations(request.user), slug=slug)
    if order not in PROPOSAL_ORDERS:
        raise HttpError(422, f"order must be one of {', '.join(PROPOSAL_ORDERS)}")
    if answer is not None and answer not in Answer.values:
        raise HttpError(422, f"answer must be one of {', '.join(a for a in Answer.values if a)}")
    if not 1 <= limit <= MAX_LIMIT or offset < 0:
        raise HttpError(422, f"limit must be between 1 and {MAX_LIMIT}; offset at least 0")
    # Only published proposals: an author's own pending ones stay on the web pages.
    found = (
        proposals_for(consultation, None, order=order, answer=answer)
        .select_related("project")
        .prefetch_related("citizen_reports", "practices")
    )
    results = []
    for p in found[offset : offset + limit]:
        project = p.project if p.project is not None and p.project.published else None
        results.append(
            {
                "id": p.pk,
                "page_url": request.build_absolute_uri(p.get_absolute_url()),
                "title": p.title,
                "body": p.body,
                "proposer_kind": p.organisation.kind if p.organisation else "citizen",
                "organisation": p.organisation.name if p.organisation else None,
                "supports": p.support_count,
                "answer": p.answer,
                "answer_label": str(p.get_answer_display()),
                "answer_text": p.answer_text,
                "answered_at": p.answered_at,
                "project": (
                    {
                        "title": project.title,
                        "stage": project.stage,
                        "stage_label": str(project.get_stage_display()),
                    }
                    if project
                    else None
                ),
                "lon": p.lon,
                "lat": p.lat,
                "created_at": p.created_at,
                "citizen_reports": [r.pk for r in p.citizen_reports.all()],
                "practices": [x.slug for x in p.practices.all()],
                "illustrative": p.is_illustrative,
            }
        )
    return {"count": found.count(), "results": results}


@router.get(
    "/meetings",
    auth=None,
    response=list[MeetingOut],
    summary="Published meetings the caller may see (upcoming unless past=true)",
)
def meeting_list(request: HttpRequest, past: bool = False) -> list[dict[str, Any]]:
    now = timezone.now()
    found = visible_meetings(request.user).filter(published=True).select_related("consultation")
    found = found.annotate(
        confirmed=Count(
            "registrations", filter=Q(registrations__state=RegistrationState.CONFIRMED)
        ),
        waiting=Count("registrations", filter=Q(registrations__state=RegistrationState.WAITING)),
    )
    if past:
        found = found.filter(ends_at__lt=now).order_by("-starts_at")
    else:
        found = found.filter(ends_at__gte=now).order_by("starts_at")
    return [
        {
            "slug": m.slug,
            "page_url": request.build_absolute_uri(m.get_absolute_url()),
            "ics_url": request.build_absolute_uri(reverse("dialogue:meeting_ics", args=[m.slug])),
            "title": m.title,
            "kind": m.kind,
            "organisation": m.organisation.name,
            "summary": m.summary,
            "starts_at": m.starts_at,
            "ends_at": m.ends_at,
            "place": m.place,
            "address": m.address,
            "online_url": m.online_url,
            "languages": m.languages,
            "state": m.state,
            "capacity": m.capacity,
            "confirmed": m.confirmed,
            "waiting": m.waiting,
            "consultation": m.consultation.slug if m.consultation else None,
            "illustrative": m.is_illustrative,
        }
        for m in found[:200]
    ]


@router.get(
    "/courses", auth=None, response=list[CourseOut], summary="Published courses the caller may see"
)
def course_list(request: HttpRequest) -> list[dict[str, Any]]:
    found = visible_courses(request.user).filter(published=True).prefetch_related("sessions")
    result = []
    for c in found.order_by("-created_at")[:200]:
        sessions = sorted(c.sessions.all(), key=lambda s: s.starts_at)
        result.append(
            {
                "slug": c.slug,
                "page_url": request.build_absolute_uri(c.get_absolute_url()),
                "title": c.title,
                "provider": c.organisation.name,
                "summary": c.summary,
                "audience": c.audience,
                "hours": round(sum(s.hours for s in sessions), 2),
                "first_session": sessions[0].starts_at if sessions else None,
                "last_session": sessions[-1].starts_at if sessions else None,
                "capacity": c.capacity,
                "enrolment_open": c.enrolment_open,
                "min_attendance_percent": c.min_attendance_percent,
                "illustrative": c.is_illustrative,
            }
        )
    return result


@router.get(
    "/contributions",
    auth=None,
    response=list[ContributionGroupOut],
    summary="Accepted and delivered pledges whose organisations agreed to be named",
)
def contribution_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "target_kind": g["kind"],
            "title": g["title"],
            "page_url": request.build_absolute_uri(g["url"]) if g["url"] else "",
            "funding_eur": g["totals"].funding_eur,
            "funding_delivered_eur": g["totals"].funding_delivered_eur,
            "volunteer_hours": g["totals"].volunteer_hours,
            "organisations": len(g["totals"].organisations),
            "pledges": [
                {
                    "organisation": p.organisation.name,
                    "organisation_kind": p.organisation.kind,
                    "kind": p.kind,
                    "amount_eur": p.amount_eur,
                    "hours": p.hours,
                    "description": p.description,
                    "state": p.state,
                }
                for p in g["pledges"]
            ],
        }
        for g in public_contributions()
    ]
