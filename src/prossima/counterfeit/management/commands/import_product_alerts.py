"""Import an EU Safety Gate export of dangerous-product alerts from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from prossima.counterfeit.alerts import AlertFileError, AlertImportError, do_import_alerts


class Command(BaseCommand):
    help = (
        "Import a CSV exported from the EU Safety Gate (columns in English or Italian). "
        "All-or-nothing: any bad value is reported with its line and column and nothing is "
        "saved. Matched on the alert number, so running it again changes nothing; local "
        "alerts of the comuni are never overwritten."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The Safety Gate CSV export.")
        parser.add_argument(
            "--encoding", default="auto", help="Text encoding (default: UTF-8, else Windows-1252)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: file not found.")
        try:
            result = do_import_alerts(
                None, raw=path.read_bytes(), filename=path.name, encoding=options["encoding"]
            )
        except AlertFileError as exc:
            raise CommandError(str(exc)) from exc
        except AlertImportError as exc:
            for problem in exc.problems:
                self.stderr.write(
                    f"{path.name}:{problem.line}: {problem.column}={problem.value!r}: "
                    f"{problem.reason}"
                )
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{path.name}: {result.rows} rows; {result.created} added, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
