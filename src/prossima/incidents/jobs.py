"""Background jobs of the incidents app."""

from __future__ import annotations

from typing import Any

from prossima.analysis.io import ColumnMap
from prossima.incidents.actions import do_import_incidents
from prossima.incidents.models import Dataset
from prossima.jobs.models import Job
from prossima.jobs.registry import Reporter, job_kind

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
    )
    return {
        "import_id": record.pk,
        "rows": record.rows,
        "created": record.created,
        "duplicates": record.duplicates,
        "rejected": record.rejected,
    }
