"""Background jobs of the analytics app."""

from __future__ import annotations

from typing import Any

from prossima.analytics.actions import RUN_JOB, do_compute_run
from prossima.analytics.models import AnalysisRun
from prossima.jobs.models import Job
from prossima.jobs.registry import Reporter, job_kind


@job_kind(RUN_JOB)
def compute_run_job(job: Job, report: Reporter) -> dict[str, Any]:
    """Compute the analysis run named in the job's parameters."""
    run = AnalysisRun.objects.select_related("dataset", "dataset__tenant", "tenant").get(
        pk=job.params["run_id"]
    )
    return do_compute_run(run, report)
