"""Projects: list, creation with an area, SARA checklist, impact evaluation, public list."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Max, Min
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from prossima.accounts.models import Organisation
from prossima.incidents.models import Incident
from prossima.incidents.queries import tenants_for
from prossima.interventions import queries
from prossima.interventions.actions import (
    do_check_step,
    do_create_project,
    do_evaluate_project,
    do_publish_project,
    do_set_stage,
)
from prossima.interventions.forms import EvaluationForm, ProjectForm
from prossima.interventions.models import ChecklistItem, Project, Stage

VERDICTS = {
    "reduction": gettext_lazy("a reduction distinguishable from noise"),
    "increase": gettext_lazy("an increase distinguishable from noise"),
    "no_detectable_change": gettext_lazy("no change distinguishable from noise"),
    "inconclusive": gettext_lazy("no conclusion: too few comparisons, or they disagree"),
}
DISPLACEMENT = {
    "displacement": gettext_lazy("Incidents moved to the surrounding catchment (displacement)."),
    "diffusion_of_benefits": gettext_lazy(
        "The surrounding catchment improved too (diffusion of benefits)."
    ),
    "no_detectable_displacement": gettext_lazy("No displacement to the catchment detected."),
    "not_assessed": "",
}


def _tenant_for(request: HttpRequest, slug: str, perm: str) -> Organisation:
    tenant = get_object_or_404(Organisation, slug=slug)
    if not request.user.has_perm(perm, tenant):
        raise Http404
    return tenant


def _project_for(request: HttpRequest, pk: int) -> Project:
    project = get_object_or_404(Project.objects.select_related("tenant", "dataset"), pk=pk)
    if not request.user.has_perm("interventions.view_project", project.tenant):
        raise Http404
    return project


def _map_context(tenant: Organisation) -> dict[str, Any]:
    extent = Incident.objects.filter(tenant=tenant).aggregate(
        w=Min("lon"), s=Min("lat"), e=Max("lon"), n=Max("lat")
    )
    return {
        # Partner cities have no boundary here: their incidents give the map's extent.
        "extent": ",".join(str(extent[k]) for k in "wsen") if extent["w"] is not None else "",
        "boundary_url": reverse("api:comune_boundary", args=[tenant.comune.istat_code])
        if tenant.comune is not None
        else "",
    }


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """List the projects of the tenants the user works for."""
    tenants = [
        {
            "tenant": t,
            "projects": queries.projects_of(t),
            "can_manage": request.user.has_perm("interventions.manage_project", t),
        }
        for t in tenants_for(request.user)
    ]
    return render(request, "interventions/index.html", {"tenants": tenants})


@login_required
def create(request: HttpRequest, slug: str) -> HttpResponse:
    """Create a project: what, when, where, with whom."""
    tenant = _tenant_for(request, slug, "interventions.manage_project")
    form = ProjectForm(request.POST or None, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        try:
            project = do_create_project(request.user, tenant, **form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            return redirect("interventions:project", pk=project.pk)
    return render(
        request,
        "interventions/project_form.html",
        {"form": form, "tenant": tenant, **_map_context(tenant)},
    )


@login_required
def project(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a project with its checklist, evaluations and the evaluation form."""
    found = _project_for(request, pk)
    can_manage = request.user.has_perm("interventions.manage_project", found.tenant)
    form = EvaluationForm(request.POST or None)
    if request.method == "POST" and can_manage and form.is_valid():
        try:
            do_evaluate_project(request.user, found, **form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("The evaluation is ready."))
            return redirect("interventions:project", pk=found.pk)
    checklist: dict[str, list[ChecklistItem]] = {value: [] for value in Stage.values}
    for item in found.checklist.all():
        checklist[item.stage].append(item)
    evaluations = list(found.evaluations.all())
    return render(
        request,
        "interventions/project.html",
        {
            "project": found,
            "stages": [(value, label, checklist[value]) for value, label in Stage.choices],
            "evaluations": [
                (
                    e,
                    VERDICTS.get(e.verdict, e.verdict),
                    DISPLACEMENT.get(e.result.get("displacement"), ""),
                )
                for e in evaluations
            ],
            "form": form,
            "suggestions": queries.control_suggestions(found) if can_manage else [],
            "can_manage": can_manage,
            "can_publish": request.user.has_perm("interventions.publish_project", found.tenant),
            "area": json.loads(found.area),
            **_map_context(found.tenant),
        },
    )


@login_required
@require_POST
def step(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick or untick a checklist step."""
    item = get_object_or_404(ChecklistItem.objects.select_related("project__tenant"), pk=pk)
    if not request.user.has_perm("interventions.manage_project", item.project.tenant):
        raise Http404
    do_check_step(request.user, item, request.POST.get("done") == "1")
    url = reverse("interventions:project", args=[item.project_id])
    return redirect(f"{url}#stage-{item.stage}")


@login_required
@require_POST
def stage(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a project to another SARA stage."""
    found = _project_for(request, pk)
    try:
        do_set_stage(request.user, found, request.POST.get("stage", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("interventions:project", pk=found.pk)


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish or withdraw a project's summary."""
    found = _project_for(request, pk)
    if not request.user.has_perm("interventions.publish_project", found.tenant):
        raise Http404
    do_publish_project(request.user, found, request.POST.get("published") == "1")
    return redirect("interventions:project", pk=found.pk)


def public(request: HttpRequest) -> HttpResponse:
    """List the published projects with their stage and latest verdict."""
    rows = [
        (p, VERDICTS.get(p.latest_verdict, "") if p.latest_verdict else "")  # type: ignore[attr-defined]
        for p in queries.published_projects()
    ]
    return render(request, "interventions/public.html", {"rows": rows})
