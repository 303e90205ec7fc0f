"""Run one job in a worker: claim it, report progress, record the outcome."""

from __future__ import annotations

import os
import socket
import time
import traceback

from django.db.models import F
from django.utils import timezone

from prossima.jobs.models import Job
from prossima.jobs.registry import function_for

# Write progress at most this often: a busy job must not hammer its own row.
PROGRESS_EVERY_SECONDS = 1.0


class DatabaseReporter:
    """Store a running job's progress and heartbeat, throttled."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.last = 0.0

    def __call__(self, done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY_SECONDS and done < total:
            return
        self.last = now
        Job.objects.filter(pk=self.job.pk).update(
            progress_done=done,
            progress_total=total,
            message=message[:300],
            heartbeat_at=timezone.now(),
        )


def run_job(job_id: int) -> str:
    """Run a queued job to its end and return its final status.

    A job that is not queued (already taken, finished or unknown) is left alone,
    so a message delivered twice never runs the work twice.
    """
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        error="",
        worker=f"{socket.gethostname()}:{os.getpid()}",
        attempts=F("attempts") + 1,
    )
    if not claimed:
        job = Job.objects.filter(pk=job_id).first()
        return job.status if job else "missing"
    job = Job.objects.get(pk=job_id)
    try:
        result = function_for(job.kind)(job, DatabaseReporter(job))
    except Exception as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED,
            error=detail[:4000],
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
        return Job.Status.FAILED
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.DONE,
        result=result or {},
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
        message="",
    )
    return Job.Status.DONE
