"""Named reads of proximity policing."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Sum

from prossima.accounts.models import Organisation
from prossima.policing.models import BeatPlan, PatrolBox, PatrolPlan


def beat_plans_of(tenant: Organisation) -> QuerySet[BeatPlan]:
    """Return a tenant's beat plans, newest version first."""
    return (
        BeatPlan.objects.filter(tenant=tenant)
        .select_related("job", "created_by")
        .order_by("-version")
    )


def active_plan(tenant: Organisation) -> BeatPlan | None:
    """Return the beat plan in use, if any."""
    return BeatPlan.objects.filter(tenant=tenant, is_active=True).first()


def patrol_plans_of(tenant: Organisation) -> QuerySet[PatrolPlan]:
    """Return the tenant's patrol plans, latest shift first."""
    return PatrolPlan.objects.filter(beat__plan__tenant=tenant).select_related("beat", "beat__plan")


def dosage(plan: PatrolPlan) -> list[dict[str, Any]]:
    """Return, per box, the planned minutes and the minutes officers logged."""
    boxes = PatrolBox.objects.filter(plan=plan).annotate(done=Sum("visits__minutes"))
    return [
        {
            "box": box,
            "planned": box.planned_minutes,
            "done": int(box.done or 0),
            "share": min(1.0, (box.done or 0) / box.planned_minutes)
            if box.planned_minutes
            else 0.0,
        }
        for box in boxes
    ]
