"""Background jobs of proximity policing."""

from __future__ import annotations

from typing import Any

from prossima.jobs.models import Job
from prossima.jobs.registry import Reporter, job_kind
from prossima.policing.actions import BEATS_JOB, do_compute_beats
from prossima.policing.models import BeatPlan


@job_kind(BEATS_JOB)
def compute_beats_job(job: Job, report: Reporter) -> dict[str, Any]:
    """Compute the beat plan named in the job's parameters."""
    plan = BeatPlan.objects.select_related("tenant", "tenant__comune", "dataset").get(
        pk=job.params["plan_id"]
    )
    return do_compute_beats(plan, report)
