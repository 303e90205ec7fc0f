"""Import an incident file into a tenant's dataset from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from prossima.accounts.models import Organisation
from prossima.incidents.actions import (
    IncidentImportError,
    do_create_dataset,
    do_import_incidents,
)
from prossima.incidents.models import Dataset, SourceKind


class Command(BaseCommand):
    help = (
        "Import incidents (police.uk, Toronto MCI or generic CSV/GeoJSON, format detected from "
        "the header) into a dataset of a tenant. Batches of rows commit one by one; re-running "
        "adds only what is missing. Rejected rows are written with --rejects."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tenant", help="Short name (slug) of the comune or partner city.")
        parser.add_argument("dataset", help="Dataset name; created when missing.")
        parser.add_argument("file", help="CSV (optionally .gz) or GeoJSON file.")
        parser.add_argument(
            "--format",
            default="auto",
            choices=["auto", "policeuk", "toronto", "generic", "geojson"],
        )
        parser.add_argument(
            "--source",
            default=SourceKind.POLICE_RECORD,
            choices=SourceKind.values,
            help="Kind of source of a new dataset.",
        )
        parser.add_argument("--attribution", default="", help="Attribution of a new dataset.")
        parser.add_argument("--rejects", default="", help="Write rejected rows to this CSV.")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Organisation.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(
                f"No organisation with short name {options['tenant']!r}; see "
                "/accounts/organisations/ for the names."
            )
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: file not found.")
        try:
            dataset = Dataset.objects.filter(tenant=tenant, name=options["dataset"]).first()
            if dataset is None:
                dataset = do_create_dataset(
                    None,
                    tenant,
                    name=options["dataset"],
                    source_kind=options["source"],
                    attribution=options["attribution"],
                )
            record = do_import_incidents(
                None,
                dataset,
                path,
                file_format=options["format"],
                progress=lambda done, total: (
                    self.stdout.write(f"  {done}/{total}") if options["verbosity"] > 1 else None
                ),
            )
        except IncidentImportError as exc:
            raise CommandError(f"{exc} Nothing was imported from this file.") from None
        if options["rejects"]:
            Path(options["rejects"]).write_text(record.rejects_csv, encoding="utf-8")
        self.stdout.write(
            self.style.SUCCESS(
                f"{record.filename}: {record.rows} rows, {record.created} incidents added, "
                f"{record.duplicates} already present, {record.rejected} rejected."
            )
        )
        unmapped = record.summary.get("unmapped_categories") or []
        if unmapped:
            self.stdout.write(f"Categories without a mapping: {', '.join(unmapped)}")
