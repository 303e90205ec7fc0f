"""A real Celery worker on the real Redis imports a real file in the background.

CI has Redis at 127.0.0.1:6379 and makes its absence a failure; elsewhere the
test skips with the reason printed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from prossima.accounts.models import OrganisationKind
from prossima.incidents.actions import do_create_dataset
from prossima.incidents.jobs import IMPORT_JOB
from prossima.incidents.models import Import, Incident
from prossima.jobs.actions import do_enqueue_job
from prossima.jobs.models import Job

TORONTO = Path(__file__).resolve().parents[1] / "data" / "toronto_mci_extract.csv.gz"


def wait_for(job: Job, seconds: float = 90) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (Job.Status.DONE, Job.Status.FAILED):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job still {job.status} after {seconds} s: {job.message}")


def test_import_runs_in_a_worker_on_redis(redis_worker: None, make_org: Any) -> None:
    tenant = make_org(OrganisationKind.PARTNER_CITY, "Toronto (test)", country="CA")
    dataset = do_create_dataset(None, tenant, name="MCI")
    job = do_enqueue_job(
        None,
        IMPORT_JOB,
        {"dataset_id": dataset.pk, "path": str(TORONTO), "filename": TORONTO.name},
        tenant=tenant,
    )
    job = wait_for(job)
    assert job.status == Job.Status.DONE, job.error
    assert job.result["created"] == 11740
    assert job.progress_done == job.progress_total == 11740
    record = Import.objects.get(pk=job.result["import_id"])
    assert record.status == Import.Status.DONE
    assert Incident.objects.filter(dataset=dataset).count() == 11740

    again = wait_for(
        do_enqueue_job(
            None, IMPORT_JOB, {"dataset_id": dataset.pk, "path": str(TORONTO)}, tenant=tenant
        )
    )
    assert again.result["created"] == 0, "re-importing the same file adds nothing"
    assert Incident.objects.filter(dataset=dataset).count() == 11740
