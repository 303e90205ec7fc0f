"""API of projects: public summaries, and the full project for the tenant's staff."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from prossima.config.api import AUTHENTICATED
from prossima.interventions.models import Project
from prossima.interventions.queries import published_projects

router = Router()


class PublicProjectOut(Schema):
    id: int
    tenant: str
    title: str
    kind: str
    stage: str
    start_date: dt.date
    end_date: dt.date | None
    verdict: str | None


class ProjectOut(PublicProjectOut):
    description: str
    area: dict[str, Any]
    budget_eur: float | None
    partners: list[str]
    checklist: list[dict[str, Any]]
    evaluations: list[dict[str, Any]]


@router.get(
    "/public",
    response=list[PublicProjectOut],
    auth=None,
    summary="Published project summaries (no authentication)",
)
def list_public(request: HttpRequest) -> list[dict[str, Any]]:
    """List the projects whose tenant published a summary, with the latest verdict."""
    return [
        {
            "id": p.pk,
            "tenant": p.tenant.slug,
            "title": p.title,
            "kind": p.kind,
            "stage": p.stage,
            "start_date": p.start_date,
            "end_date": p.end_date,
            "verdict": p.latest_verdict,  # type: ignore[attr-defined]
        }
        for p in published_projects()
    ]


@router.get(
    "/projects/{int:project_id}",
    response=ProjectOut,
    auth=AUTHENTICATED,
    summary="A project with its checklist and evaluations (the tenant's staff)",
)
def get_project(request: HttpRequest, project_id: int) -> dict[str, Any]:
    """Return a project in full."""
    project = Project.objects.select_related("tenant").filter(pk=project_id).first()
    if project is None or not request.user.has_perm("interventions.view_project", project.tenant):
        raise HttpError(404, "No such project.")
    evaluations = list(project.evaluations.all())
    return {
        "id": project.pk,
        "tenant": project.tenant.slug,
        "title": project.title,
        "kind": project.kind,
        "stage": project.stage,
        "start_date": project.start_date,
        "end_date": project.end_date,
        "verdict": evaluations[0].verdict if evaluations else None,
        "description": project.description,
        "area": json.loads(project.area),
        "budget_eur": float(project.budget_eur) if project.budget_eur is not None else None,
        "partners": [o.slug for o in project.partners.all()],
        "checklist": [
            {"stage": i.stage, "text": i.text, "done": i.done} for i in project.checklist.all()
        ],
        "evaluations": [
            {"id": e.pk, "verdict": e.verdict, "control": e.control_label, "result": e.result}
            for e in evaluations
        ],
    }
