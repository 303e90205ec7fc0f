"""Compute and store the indicators of one or more years."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from prossima.reports.actions.indicators import do_compute_indicators
from prossima.reports.indicators import BY_CODE


class Command(BaseCommand):
    help = (
        "Compute the indicators of every comune for the given years (default: this year and last)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("years", nargs="*", type=int, help="Calendar years, e.g. 2025 2026.")
        parser.add_argument(
            "--indicator",
            action="append",
            dest="codes",
            help=f"Only these indicators (repeatable): {', '.join(BY_CODE)}.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        codes = options["codes"]
        unknown = sorted(set(codes or []) - set(BY_CODE))
        if unknown:
            raise CommandError(
                f"unknown indicator(s) {', '.join(unknown)}; accepted: {', '.join(BY_CODE)}"
            )
        this_year = timezone.localdate().year
        for year in options["years"] or [this_year - 1, this_year]:
            result = do_compute_indicators(year, codes)
            stored = sum(result.stored.values())
            suppressed = sum(result.suppressed.values())
            self.stdout.write(f"{year}: {stored} values stored, {suppressed} under the threshold")
