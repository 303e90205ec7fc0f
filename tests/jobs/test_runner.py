"""The job runner: claiming, progress, failures, retries and killed workers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from prossima.jobs.actions import do_enqueue_job, do_fail_stale_jobs, do_retry_job
from prossima.jobs.models import Job
from prossima.jobs.registry import Reporter, job_kind
from prossima.jobs.runner import run_job

CALLS: list[int] = []


@job_kind("test.count")
def count_job(job: Job, report: Reporter) -> dict[str, Any]:
    CALLS.append(job.pk)
    total = int(job.params["n"])
    for i in range(1, total + 1):
        report(i, total, "counting")
    if job.params.get("fail"):
        raise RuntimeError("the data source went away")
    return {"counted": total}


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()


def test_a_job_runs_once_and_records_its_result(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        job = do_enqueue_job(None, "test.count", {"n": 3})
    assert len(callbacks) == 1, "dispatched only after the commit"
    assert job.status == Job.Status.QUEUED
    assert run_job(job.pk) == Job.Status.DONE
    job.refresh_from_db()
    assert job.result == {"counted": 3}
    assert (job.progress_done, job.progress_total, job.percent) == (3, 3, 100)
    assert job.attempts == 1
    assert job.worker
    assert job.duration_seconds is not None
    assert run_job(job.pk) == Job.Status.DONE, "a message delivered twice does nothing"
    assert [job.pk] == CALLS


def test_a_failing_job_is_marked_failed_and_can_be_retried() -> None:
    job = do_enqueue_job(None, "test.count", {"n": 2, "fail": True})
    assert run_job(job.pk) == Job.Status.FAILED
    job.refresh_from_db()
    assert "RuntimeError: the data source went away" in job.error
    assert job.finished_at is not None
    job.params = {"n": 2}
    job.save(update_fields=["params"])
    do_retry_job(None, job)
    assert run_job(job.pk) == Job.Status.DONE
    job.refresh_from_db()
    assert job.attempts == 2
    assert job.error == ""


def test_only_failed_jobs_are_retried(english: Any) -> None:
    job = do_enqueue_job(None, "test.count", {"n": 1})
    with pytest.raises(ValueError, match="failed"):
        do_retry_job(None, job)


def test_unknown_kinds_are_refused_at_once() -> None:
    with pytest.raises(LookupError, match="No job function for kind 'nope'"):
        do_enqueue_job(None, "nope", {})
    assert not Job.objects.filter(kind="nope").exists()


def test_a_killed_worker_leaves_its_job_failed() -> None:
    job = do_enqueue_job(None, "test.count", {"n": 1})
    # What a worker killed mid-job leaves behind: running, silent since long ago.
    long_ago = timezone.now() - timedelta(hours=1)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    alive = do_enqueue_job(None, "test.count", {"n": 1})
    Job.objects.filter(pk=alive.pk).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    assert do_fail_stale_jobs() == 1
    job.refresh_from_db()
    alive.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "stopped" in job.error or "interrotto" in job.error
    assert alive.status == Job.Status.RUNNING


def test_a_killed_import_job_closes_its_import_record(make_org: Any) -> None:
    from prossima.accounts.models import OrganisationKind
    from prossima.incidents.actions import do_create_dataset
    from prossima.incidents.jobs import IMPORT_JOB
    from prossima.incidents.models import Import

    tenant = make_org(OrganisationKind.PARTNER_CITY, "Toronto (jobs test)", country="CA")
    dataset = do_create_dataset(None, tenant, name="MCI")
    record = Import.objects.create(
        dataset=dataset,
        filename="mci.csv",
        sha256="0" * 64,
        file_format="toronto",
        status=Import.Status.RUNNING,
    )
    long_ago = timezone.now() - timedelta(hours=1)
    job = do_enqueue_job(None, IMPORT_JOB, {"dataset_id": dataset.pk}, tenant=tenant)
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        started_at=long_ago,
        heartbeat_at=long_ago,
        result={"import_id": record.pk},
    )
    assert do_fail_stale_jobs() == 1
    record.refresh_from_db()
    assert record.status == Import.Status.FAILED
    assert record.error
    assert record.finished_at is not None
    assert do_fail_stale_jobs() == 0, "failed once"
