"""Run the registry's daily checks now (the worker also runs them every morning)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from prossima.assets.actions import daily_checks


class Command(BaseCommand):
    help = (
        "Open and clear the alerts of confiscated assets (idle, concession expiring or "
        "expired, report overdue), e-mail the new ones, and close calls past their deadline."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = daily_checks()
        self.stdout.write(
            f"{result['alerts_opened']} new alerts, {result['calls_closed']} calls closed."
        )
