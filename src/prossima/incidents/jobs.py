"""Background jobs of the incidents app."""

from __future__ import annotations

from typing import Any

from prossima.analysis.io import ColumnMap
from prossima.incidents.actions import do_fail_interrupted_import, do_import_incidents
from prossima.incidents.models import Dataset, Import
from prossima.jobs.models import Job
from prossima.jobs.registry import Reporter, job_kind, on_abandoned

IMPORT_JOB = "incidents.import"


@job_kind(IMPORT_JOB)
def import_incidents_job(job: Job, report: Reporter) -> dict[str, Any]:
    """Import a stored file into a dataset, reporting stored rows as progress."""
    params = job.params
    dataset = Dataset.objects.select_related("tenant", "tenant__comune").get(
        pk=params["dataset_id"]
    )
    report(0, 1, "reading the file")
    columns = ColumnMap(**params["columns"]) if params.get("columns") else None
    record = do_import_incidents(
        job.created_by,
        dataset,
        params["path"],
        file_format=params.get("format", "auto"),
        columns=columns,
        filename=params.get("filename"),
        encoding=params.get("encoding", "utf-8"),
        progress=lambda done, total: report(done, total, "storing incidents"),
        on_record=lambda record: _remember_import(job, record),
    )
    return {
        "import_id": record.pk,
        "rows": record.rows,
        "created": record.created,
        "duplicates": record.duplicates,
        "rejected": record.rejected,
    }


def _remember_import(job: Job, record: Import) -> None:
    """Keep the import's id on the job while it runs, so a killed job's import can be closed."""
    job.result = {"import_id": record.pk}
    Job.objects.filter(pk=job.pk).update(result=job.result)


@on_abandoned(IMPORT_JOB)
def close_abandoned_import(job: Job) -> None:
    """Mark failed the import record of a job whose worker was killed."""
    if job.result.get("import_id"):
        do_fail_interrupted_import(job.result["import_id"])
