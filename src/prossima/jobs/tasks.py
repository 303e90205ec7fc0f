"""Celery tasks: the bridge between the broker and the job runner."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from prossima.jobs.runner import run_job


# A database that is briefly unreachable or locked (a restart, a busy writer) must
# not leave the job queued for ever: the task tries again with growing pauses.
@shared_task(
    name="prossima.run_job",
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=8,
)
def run_job_task(job_id: int) -> str:
    """Run one job in this worker."""
    return run_job(job_id)
