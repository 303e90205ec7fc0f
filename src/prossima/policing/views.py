"""Beats, patrol plans with their printable briefing, and officers' visit logs."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import Any

import numpy as np
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_POST

from prossima.accounts.actions import do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.incidents.queries import tenants_for
from prossima.policing import queries
from prossima.policing.actions import (
    do_activate_beat_plan,
    do_create_patrol_plan,
    do_log_visit,
    do_request_beats,
    do_save_edited_beats,
    plan_grid,
    plan_groups,
)
from prossima.policing.briefing import briefing_svg
from prossima.policing.forms import BeatPlanForm, PatrolPlanForm, VisitForm
from prossima.policing.models import Beat, BeatPlan, PatrolBox, PatrolPlan

BEAT_COLOURS = [
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
    "#1f78b4", "#b2df8a", "#fb9a99", "#fdbf6f", "#cab2d6", "#ffff99", "#8dd3c7", "#bebada",
]  # fmt: skip


def _tenant_for(request: HttpRequest, slug: str, perm: str) -> Organisation:
    tenant = get_object_or_404(Organisation, slug=slug)
    if not request.user.has_perm(perm, tenant):
        raise Http404
    return tenant


def _plan_for(request: HttpRequest, pk: int) -> BeatPlan:
    plan = get_object_or_404(BeatPlan.objects.select_related("tenant", "job", "dataset"), pk=pk)
    if not request.user.has_perm("policing.view_beats", plan.tenant):
        raise Http404
    return plan


def _patrol_for(request: HttpRequest, pk: int) -> PatrolPlan:
    patrol = get_object_or_404(
        PatrolPlan.objects.select_related("beat", "beat__plan", "beat__plan__tenant"), pk=pk
    )
    if not request.user.has_perm("policing.view_beats", patrol.beat.plan.tenant):
        raise Http404
    return patrol


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """List, per tenant, the beat plans and the latest patrol plans."""
    tenants = [
        {
            "tenant": t,
            "plans": queries.beat_plans_of(t)[:10],
            "active": queries.active_plan(t),
            "patrols": queries.patrol_plans_of(t)[:10],
            "can_manage": request.user.has_perm("policing.manage_beats", t),
            "can_plan": request.user.has_perm("policing.plan_patrols", t),
        }
        for t in tenants_for(request.user)
    ]
    return render(request, "policing/index.html", {"tenants": tenants})


@login_required
def plan_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Ask for a new beat plan, computed in the background."""
    tenant = _tenant_for(request, slug, "policing.manage_beats")
    form = BeatPlanForm(request.POST or None, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = do_request_beats(
                request.user,
                tenant,
                name=data["name"],
                n_beats=data["n_beats"],
                dataset=data["dataset"],
                cell_size=data["cell_size"],
                weights={
                    "risk": data["weight_risk"],
                    "incidents": data["weight_incidents"],
                    "area": data["weight_area"],
                },
                keep_subareas=data["keep_subareas"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("policing:plan", pk=plan.pk)
    return render(request, "policing/plan_form.html", {"form": form, "tenant": tenant})


@login_required
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a beat plan: map, balance, beats, versions, and the editor for managers."""
    found = _plan_for(request, pk)
    beats = list(found.beats.all())
    config = {
        "beatsUrl": reverse("policing:plan_beats", args=[found.pk]),
        "cellsUrl": reverse("policing:plan_cells", args=[found.pk]),
        "evaluateUrl": reverse("policing:plan_evaluate", args=[found.pk]),
        "colours": BEAT_COLOURS,
        "nBeats": found.n_beats,
    }
    return render(
        request,
        "policing/plan.html",
        {
            "plan": found,
            "beats": [(b, BEAT_COLOURS[(b.number - 1) % len(BEAT_COLOURS)]) for b in beats],
            "versions": queries.beat_plans_of(found.tenant)[:20],
            "can_manage": request.user.has_perm("policing.manage_beats", found.tenant),
            "can_plan": request.user.has_perm("policing.plan_patrols", found.tenant),
            "config": config,
            "labels": {
                "beat": _("Beat"),
                "balance": _("Balance (heaviest / lightest beat)"),
                "problems": _("Problems"),
                "saved": _("Saved as a new version."),
                "error": _("The beats could not be loaded."),
            },
        },
    )


@login_required
@gzip_page
def plan_beats(request: HttpRequest, pk: int) -> HttpResponse:
    """Return the beats of a plan as GeoJSON."""
    found = _plan_for(request, pk)
    return HttpResponse(
        found.geojson or '{"type":"FeatureCollection","features":[]}',
        content_type="application/geo+json",
    )


@login_required
@gzip_page
def plan_cells(request: HttpRequest, pk: int) -> JsonResponse:
    """Return the plan's cells (polygons) with their beat, for the editor."""
    found = _plan_for(request, pk)
    if not request.user.has_perm("policing.manage_beats", found.tenant):
        raise Http404
    grid = plan_grid(found)
    doc = grid.geojson({"beat": np.asarray(found.labels, dtype=np.int64)})
    return JsonResponse(doc)


@login_required
@require_POST
def plan_evaluate(request: HttpRequest, pk: int) -> JsonResponse:
    """Return the balance and problems of an edited labelling, without saving it."""
    from prossima.analysis.beats import evaluate_beats

    found = _plan_for(request, pk)
    if not request.user.has_perm("policing.manage_beats", found.tenant):
        raise PermissionDenied
    try:
        labels = np.asarray(json.loads(request.body)["labels"], dtype=np.int64)
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": _('Send {"labels": [beat of each cell]}.')}, status=400)
    grid = plan_grid(found)
    if len(labels) != grid.n_cells:
        return JsonResponse({"detail": _("One beat per cell is needed.")}, status=400)
    stats = evaluate_beats(
        grid,
        labels,
        np.asarray(found.workload, dtype=np.float64),
        groups=plan_groups(found),
        n_beats=found.n_beats,
    )
    return JsonResponse(stats.to_dict())


@login_required
@require_POST
def plan_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save an edited labelling as the plan's next version."""
    found = _plan_for(request, pk)
    try:
        labels = json.loads(request.POST.get("labels", "[]"))
        edited = do_save_edited_beats(request.user, found, labels)
    except (ValueError, TypeError):
        messages.error(request, _("The edit could not be read."))
        return redirect("policing:plan", pk=found.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("policing:plan", pk=found.pk)
    messages.success(
        request, _("The edited beats are saved as version %(v)s.") % {"v": edited.version}
    )
    return redirect("policing:plan", pk=edited.pk)


@login_required
@require_POST
def plan_activate(request: HttpRequest, pk: int) -> HttpResponse:
    """Make a plan the one in use."""
    found = _plan_for(request, pk)
    try:
        do_activate_beat_plan(request.user, found)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("These beats are now in use."))
    return redirect("policing:plan", pk=found.pk)


def _patrol_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Plan a shift in a beat."""
    beat = get_object_or_404(Beat.objects.select_related("plan", "plan__tenant"), pk=pk)
    if not request.user.has_perm("policing.plan_patrols", beat.plan.tenant):
        raise Http404
    form = PatrolPlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        start, end = form.shift()
        try:
            patrol = do_create_patrol_plan(
                request.user,
                beat,
                shift_start=start,
                shift_end=end,
                minutes_per_visit=form.cleaned_data["minutes_per_visit"],
                visits_per_box=form.cleaned_data["visits_per_box"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("policing:patrol", pk=patrol.pk)
    return render(request, "policing/patrol_form.html", {"form": form, "beat": beat})


def _box_rows(patrol: PatrolPlan) -> list[dict[str, Any]]:
    from prossima.analytics.presentation import EXPLAIN_LABELS

    rows = []
    for row in queries.dosage(patrol):
        reasons = row["box"].reasons or {}
        context = reasons.get("context") or {}
        row["facts"] = [
            (str(EXPLAIN_LABELS.get(k, k)), v)
            for k, v in context.items()
            if k in ("events_in_cell_last_28d", "events_in_cell_last_365d",
                     "days_since_last_event_in_cell")
        ]  # fmt: skip
        rows.append(row)
    return rows


def _patrol(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a patrol plan: boxes, dosage planned and done, reasons."""
    found = _patrol_for(request, pk)
    do_record_audit(
        request.user, AuditEvent.Action.VIEW, "policing.patrolplan", found.pk, str(found),
        organisation=found.beat.plan.tenant, request=request,
    )  # fmt: skip
    return render(
        request,
        "policing/patrol.html",
        {
            "patrol": found,
            "rows": _box_rows(found),
            "svg": briefing_svg(found),
            "can_log": request.user.has_perm("policing.log_visit", found.beat.plan.tenant),
        },
    )


def _patrol_print(request: HttpRequest, pk: int) -> HttpResponse:
    """Return the printable briefing sheet of a patrol plan."""
    found = _patrol_for(request, pk)
    do_record_audit(
        request.user, AuditEvent.Action.EXPORT, "policing.patrolplan", found.pk, "briefing",
        organisation=found.beat.plan.tenant, request=request,
    )  # fmt: skip
    return render(
        request,
        "policing/briefing.html",
        {"patrol": found, "rows": _box_rows(found), "svg": briefing_svg(found)},
    )


def _patrol_log(request: HttpRequest, pk: int) -> HttpResponse:
    """Let an officer log visits to the boxes of a plan (made for a phone)."""
    found = _patrol_for(request, pk)
    tenant = found.beat.plan.tenant
    if not request.user.has_perm("policing.log_visit", tenant):
        raise Http404
    box_id = request.POST.get("box")
    forms_by_box = {}
    for box in found.boxes.all():
        bound = request.method == "POST" and str(box.pk) == box_id
        forms_by_box[box.pk] = VisitForm(
            request.POST if bound else None,
            prefix=f"box{box.pk}",
            initial={"arrived": timezone.localtime().time().replace(second=0, microsecond=0),
                     "minutes": found.minutes_per_visit},
        )  # fmt: skip
    if request.method == "POST":
        box = get_object_or_404(PatrolBox, pk=box_id, plan=found)
        form = forms_by_box[box.pk]
        if form.is_valid():
            day = timezone.localtime(found.shift_start).date()
            arrived = dt.datetime.combine(
                day, form.cleaned_data["arrived"], tzinfo=timezone.get_current_timezone()
            )
            if arrived < found.shift_start:
                arrived += dt.timedelta(days=1)  # a night shift past midnight
            try:
                do_log_visit(
                    request.user,
                    box,
                    arrived_at=arrived,
                    minutes=form.cleaned_data["minutes"],
                    people_met=form.cleaned_data["people_met"],
                    problems=form.cleaned_data["problems"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Visit to box %(n)s logged.") % {"n": box.order})
                return redirect("policing:patrol_log", pk=found.pk)
    return render(
        request,
        "policing/log.html",
        {
            "patrol": found,
            "boxes": [(row, forms_by_box[row["box"].pk]) for row in queries.dosage(found)],
        },
    )


def _in_tenant_time(view: Any, tenant_of: Any) -> Any:
    """Run ``view`` with the tenant's time zone active: shifts are in local time."""

    @login_required
    def wrapped(request: HttpRequest, pk: int) -> HttpResponse:
        tenant = tenant_of(pk)
        zone = zoneinfo.ZoneInfo(tenant.timezone) if tenant is not None else None
        if zone is None:
            return view(request, pk)
        with timezone.override(zone):
            return view(request, pk)

    wrapped.__doc__ = view.__doc__
    return wrapped


def _beat_tenant(pk: int) -> Organisation | None:
    beat = Beat.objects.select_related("plan__tenant").filter(pk=pk).first()
    return beat.plan.tenant if beat else None


def _patrol_tenant(pk: int) -> Organisation | None:
    patrol = PatrolPlan.objects.select_related("beat__plan__tenant").filter(pk=pk).first()
    return patrol.beat.plan.tenant if patrol else None


patrol_create = _in_tenant_time(_patrol_create, _beat_tenant)
patrol = _in_tenant_time(_patrol, _patrol_tenant)
patrol_print = _in_tenant_time(_patrol_print, _patrol_tenant)
patrol_log = _in_tenant_time(_patrol_log, _patrol_tenant)
