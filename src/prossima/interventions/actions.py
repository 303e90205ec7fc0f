"""Every write to projects: creation with the SARA checklist, stages, evaluations, publication."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from prossima.accounts.actions import check_perm, do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.analytics.queries import events_for
from prossima.incidents.models import Dataset
from prossima.interventions.models import ChecklistItem, Evaluation, Project, Stage

# What each stage asks, after the problem-oriented policing guides (Clarke & Eck,
# "Crime Analysis for Problem Solvers in 60 Small Steps", 2005).
SARA_STEPS: dict[str, list[Any]] = {
    Stage.SCANNING: [
        gettext_lazy("Describe the problem and where it happens"),
        gettext_lazy("Collect the incidents and citizen reports of the area"),
        gettext_lazy("Involve residents and partners in naming the problem"),
    ],
    Stage.ANALYSIS: [
        gettext_lazy("Map and count the incidents before the start (places, days, hours)"),
        gettext_lazy("Study places, offenders and victims (the problem analysis triangle)"),
        gettext_lazy("Set a measurable aim"),
    ],
    Stage.RESPONSE: [
        gettext_lazy("Choose responses from evaluated good practice"),
        gettext_lazy("Agree who does what, with budget and dates"),
        gettext_lazy("Start the response and record what is done"),
    ],
    Stage.ASSESSMENT: [
        gettext_lazy("Choose a comparable control area"),
        gettext_lazy("Evaluate the impact: before and after, against the control"),
        gettext_lazy("Check displacement and diffusion of benefits nearby"),
        gettext_lazy("Share the result with partners and residents"),
    ],
}


def parse_area(text: str, field: str = "area") -> shapely.Geometry:
    """Return a WGS84 polygon from GeoJSON text, or raise ValidationError naming ``field``."""
    try:
        doc = json.loads(text)
        if doc.get("type") == "FeatureCollection":
            geoms = [shapely.geometry.shape(f["geometry"]) for f in doc["features"]]
            geom = shapely.union_all(geoms)
        elif doc.get("type") == "Feature":
            geom = shapely.geometry.shape(doc["geometry"])
        else:
            geom = shapely.geometry.shape(doc)
    except (ValueError, KeyError, TypeError, AttributeError, shapely.errors.ShapelyError):
        raise ValidationError(
            {field: _("Draw the area on the map, or paste a GeoJSON Polygon.")}
        ) from None
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise ValidationError({field: _("The area must be a polygon (at least three points).")})
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise ValidationError({field: _("Coordinates must be longitude and latitude (WGS84).")})
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return geom


@transaction.atomic
def do_create_project(
    actor: Any,
    tenant: Organisation,
    *,
    title: str,
    kind: str,
    area: str,
    start_date: dt.date,
    description: str = "",
    end_date: dt.date | None = None,
    dataset: Dataset | None = None,
    budget_eur: Any = None,
    partners: Any = (),
    reports: Any = (),
) -> Project:
    """Create a project with its SARA checklist."""
    check_perm(actor, "interventions.manage_project", tenant)
    geom = parse_area(area)
    if end_date is not None and end_date <= start_date:
        raise ValidationError({"end_date": _("The end must come after the start.")})
    if dataset is not None and dataset.tenant_id != tenant.pk:
        raise ValidationError({"dataset": _("The dataset belongs to another tenant.")})
    project = Project.objects.create(
        tenant=tenant,
        title=title,
        kind=kind,
        description=description,
        area=json.dumps(shapely.geometry.mapping(geom)),
        start_date=start_date,
        end_date=end_date,
        dataset=dataset,
        budget_eur=budget_eur,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    project.partners.set(list(partners))
    foreign = [r for r in reports if r.tenant_id != tenant.pk]
    if foreign:
        raise ValidationError({"reports": _("Only reports of this tenant can be linked.")})
    project.reports.set(list(reports))
    for stage, steps in SARA_STEPS.items():
        for order, text in enumerate(steps, start=1):
            ChecklistItem.objects.create(project=project, stage=stage, order=order, text=str(text))
    do_record_audit(
        actor, AuditEvent.Action.CREATE, "interventions.project", project.pk, title,
        organisation=tenant,
    )  # fmt: skip
    return project


@transaction.atomic
def do_check_step(actor: Any, item: ChecklistItem, done: bool) -> ChecklistItem:
    """Tick or untick a step of a project's checklist."""
    check_perm(actor, "interventions.manage_project", item.project.tenant)
    item.done = done
    item.done_at = timezone.now() if done else None
    item.save(update_fields=["done", "done_at"])
    return item


@transaction.atomic
def do_set_stage(actor: Any, project: Project, stage: str) -> Project:
    """Move a project to a SARA stage."""
    check_perm(actor, "interventions.manage_project", project.tenant)
    if stage not in Stage.values:
        raise ValidationError(
            _("Unknown stage %(stage)s; accepted: %(accepted)s.")
            % {"stage": stage, "accepted": ", ".join(Stage.values)}
        )
    project.stage = stage
    project.save(update_fields=["stage"])
    do_record_audit(
        actor, AuditEvent.Action.UPDATE, "interventions.project", project.pk, f"stage {stage}",
        organisation=project.tenant,
    )  # fmt: skip
    # Proposals this project carries out show its progress; tell their followers.
    from prossima.dialogue.actions.consultations import notify_project_stage

    notify_project_stage(project)
    return project


def _chart_svg(result: Any) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.6))
    try:
        result.plot_monthly(
            ax,
            {
                "treated": _("project area"),
                "control": _("control area"),
                "buffer": _("catchment ({buffer_m} m)"),
                "buffer_control": _("catchment of the control"),
                "after": _("months after"),
                "start": _("start of the project"),
                "end": _("end"),
                "ylabel": _("incidents per month"),
                "title": _("Incidents per month before and after {start}"),
            },
        )
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    finally:
        plt.close(fig)
    text = buffer.getvalue()
    # Keep the <svg> element only: the page embeds it inline.
    return text[text.index("<svg") :]


@transaction.atomic
def do_evaluate_project(
    actor: Any,
    project: Project,
    *,
    control_area: str,
    control_label: str = "",
    buffer_m: float = 250.0,
    months_before: int = 12,
    months_after: int = 12,
) -> Evaluation:
    """Compare the project area with a control area before and after the start; store it."""
    from prossima.analysis.impact import evaluate_impact

    check_perm(actor, "interventions.manage_project", project.tenant)
    if project.dataset is None:
        raise ValidationError(_("Choose the incident dataset of the project before evaluating it."))
    control = parse_area(control_area, "control_area")
    treated = shapely.from_geojson(project.area)
    if control.intersects(treated):
        raise ValidationError(
            {"control_area": _("The control area must not overlap the project area.")}
        )
    events = events_for(project.dataset, {})
    try:
        result = evaluate_impact(
            events,
            treated,
            control,
            project.start_date.isoformat(),
            buffer_m=buffer_m,
            months_before=months_before,
            months_after=months_after,
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    evaluation = Evaluation.objects.create(
        project=project,
        control_area=json.dumps(shapely.geometry.mapping(control)),
        control_label=control_label,
        params={"buffer_m": buffer_m, "months_before": months_before, "months_after": months_after},
        result=result.to_dict(),
        verdict=result.verdict,
        chart_svg=_chart_svg(result),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    do_record_audit(
        actor, AuditEvent.Action.CREATE, "interventions.evaluation", evaluation.pk,
        f"{project}: {result.verdict}", organisation=project.tenant,
    )  # fmt: skip
    return evaluation


@transaction.atomic
def do_publish_project(actor: Any, project: Project, published: bool) -> Project:
    """Show or hide a project's summary on the public projects page."""
    check_perm(actor, "interventions.publish_project", project.tenant)
    project.published = published
    project.save(update_fields=["published"])
    do_record_audit(
        actor, AuditEvent.Action.UPDATE, "interventions.project", project.pk,
        "published" if published else "unpublished", organisation=project.tenant,
    )  # fmt: skip
    return project
