"""Every write to background jobs: enqueue, retry, and fail the ones whose worker died."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from prossima.accounts.actions import do_record_audit
from prossima.accounts.models import AuditEvent, Organisation
from prossima.jobs.models import Job
from prossima.jobs.registry import abandoned_hook, function_for


def dispatch(job: Job) -> None:
    """Send a queued job to the workers once the transaction that created it commits."""
    from prossima.jobs.tasks import run_job_task

    job_id = job.pk
    transaction.on_commit(lambda: run_job_task.delay(job_id))


@transaction.atomic
def do_enqueue_job(
    actor: Any, kind: str, params: dict[str, Any], *, tenant: Organisation | None = None
) -> Job:
    """Create a job of a registered kind and hand it to the workers."""
    function_for(kind)  # fail now, not in the worker, on an unknown kind
    job = Job.objects.create(
        kind=kind,
        params=params,
        tenant=tenant,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    do_record_audit(actor, AuditEvent.Action.CREATE, "jobs.job", job.pk, kind, organisation=tenant)
    dispatch(job)
    return job


@transaction.atomic
def do_retry_job(actor: Any, job: Job) -> Job:
    """Queue a failed job again with the same parameters."""
    if job.status != Job.Status.FAILED:
        raise ValueError(_("Only failed jobs can be retried."))
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.QUEUED,
        progress_done=0,
        progress_total=0,
        message="",
        error="",
        started_at=None,
        finished_at=None,
        heartbeat_at=None,
    )
    job.refresh_from_db()
    do_record_audit(
        actor, AuditEvent.Action.UPDATE, "jobs.job", job.pk, "retry", organisation=job.tenant
    )
    dispatch(job)
    return job


def do_fail_stale_jobs(older_than: timedelta | None = None) -> int:
    """Mark failed the running jobs whose worker stopped giving signs of life.

    A worker killed mid-job cannot record its own failure; its job would
    otherwise look "running" for ever. Imports commit in batches, so what a
    killed job wrote is whole batches, and a retry adds only what is missing.
    """
    limit = older_than or timedelta(seconds=settings.PROSSIMA["JOB_STALE_SECONDS"])
    cutoff = timezone.now() - limit
    failed = 0
    for job in Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff):
        with transaction.atomic():
            # Conditional, so two workers starting together fail a job once.
            if not Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
                status=Job.Status.FAILED,
                finished_at=timezone.now(),
                error=_(
                    "The worker stopped while running this job (no sign of life since %(time)s)."
                )
                % {"time": cutoff.isoformat(timespec="seconds")},
            ):
                continue
            failed += 1
            hook = abandoned_hook(job.kind)
            if hook is not None:
                hook(job)
    return failed
