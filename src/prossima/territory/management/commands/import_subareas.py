"""Import the sub-areas (neighbourhoods, districts, census sections) of a comune."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from prossima.territory.actions import do_import_subareas
from prossima.territory.geometry import GeoJSONError
from prossima.territory.models import SubAreaKind
from prossima.territory.queries import comune_by_code


class Command(BaseCommand):
    help = (
        "Import sub-areas of a comune from a GeoJSON FeatureCollection in WGS84. "
        "All features are imported or none; re-importing updates by code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("comune", help="ISTAT code of the comune, e.g. 037006 for Bologna.")
        parser.add_argument("file", help="GeoJSON file (FeatureCollection of polygons).")
        parser.add_argument(
            "--kind",
            default=SubAreaKind.NEIGHBOURHOOD,
            choices=SubAreaKind.values,
            help="What the areas are.",
        )
        parser.add_argument(
            "--code-field",
            default="code",
            help="Feature property holding the area code (default: code).",
        )
        parser.add_argument(
            "--name-field",
            default="name",
            help="Feature property holding the area name (default: name).",
        )
        parser.add_argument("--source", default="", help="Where the file comes from (shown).")

    def handle(self, *args: Any, **options: Any) -> None:
        comune = comune_by_code(options["comune"])
        if comune is None:
            raise CommandError(
                f"Unknown comune code {options['comune']!r}: give the six-digit ISTAT code of a "
                "loaded comune (run load_territory first)."
            )
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"{path}: file not found.") from None
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); GeoJSON must be UTF-8."
            ) from None
        try:
            result = do_import_subareas(
                None,
                comune,
                text,
                kind=options["kind"],
                code_field=options["code_field"],
                name_field=options["name_field"],
                source=options["source"],
                filename=path.name,
            )
        except GeoJSONError as exc:
            raise CommandError(f"{exc} Nothing was imported.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{comune.name}: {result.created} sub-areas created, {result.updated} updated."
            )
        )
