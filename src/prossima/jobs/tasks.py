"""Celery tasks: the bridge between the broker and the job runner."""

from __future__ import annotations

from celery import shared_task

from prossima.jobs.runner import run_job


@shared_task(name="prossima.run_job", ignore_result=True)
def run_job_task(job_id: int) -> str:
    """Run one job in this worker."""
    return run_job(job_id)
