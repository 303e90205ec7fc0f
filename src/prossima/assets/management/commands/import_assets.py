"""Import an agency (ANBSC) file of confiscated assets from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from prossima.accounts.models import Organisation, OrganisationKind
from prossima.assets import agency
from prossima.assets.actions import ImportRefusedError, do_import_assets
from prossima.assets.models import FileKind


class Command(BaseCommand):
    help = (
        "Import an agency CSV of confiscated assets (destined real estate, destined companies, "
        "assets in management). All-or-nothing for bad values; rows whose comune is not "
        "recognised are kept to be fixed on the web; re-running changes nothing. Without "
        "--organisation the rows of every comune are imported (for the platform's "
        "administrators loading the national file)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The agency's CSV file.")
        parser.add_argument(
            "--organisation",
            default="",
            help="Short name (slug) of a comune organisation: import only its comune's rows.",
        )
        parser.add_argument(
            "--kind", default="auto", choices=["auto", *FileKind.values], help="Kind of file."
        )
        parser.add_argument(
            "--columns",
            default="",
            help='JSON object of our field -> the file\'s column, e.g. \'{"code": "id"}\'; '
            "guessed from the header when omitted.",
        )
        parser.add_argument("--encoding", default="auto")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: file not found.")
        raw = path.read_bytes()
        organisation = None
        scope = None
        if options["organisation"]:
            organisation = Organisation.objects.filter(
                slug=options["organisation"], kind=OrganisationKind.COMUNE
            ).first()
            if organisation is None or organisation.comune is None:
                raise CommandError(
                    f"No comune organisation with short name {options['organisation']!r}."
                )
            scope = [organisation.comune]
        try:
            header, rows = agency.read_table(agency.decode(raw, options["encoding"]), path.name)
        except (agency.AgencyFileError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        columns = (
            json.loads(options["columns"]) if options["columns"] else agency.guess_columns(header)
        )
        kind = (
            agency.guess_file_kind(header, rows) if options["kind"] == "auto" else options["kind"]
        )
        try:
            record = do_import_assets(
                None,
                raw=raw,
                filename=path.name,
                file_kind=kind,
                columns=columns,
                scope=scope,
                organisation=organisation,
                encoding=options["encoding"],
            )
        except agency.AgencyFileError as exc:
            raise CommandError(str(exc)) from exc
        except ImportRefusedError as exc:
            for problem in exc.problems[:50]:
                self.stderr.write(
                    f"{path.name}:{problem.line}: {problem.field}={problem.value!r}: "
                    f"{problem.reason}"
                )
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{path.name} ({FileKind(kind).label}): {record.rows} rows; {record.created} added, "
            f"{record.updated} updated, {record.unchanged} unchanged, {record.outside_scope} of "
            f"other comuni, {record.unmatched} to fix."
        )
