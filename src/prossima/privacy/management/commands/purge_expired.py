"""Delete or anonymise personal data past its retention period (the worker does it nightly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from prossima.privacy.actions import do_purge_expired
from prossima.privacy.retention import days_for, rule


class Command(BaseCommand):
    help = (
        "Delete or anonymise personal data past its retention period, kind by kind, and "
        "print what was purged. With --dry-run nothing changes: the counts say what would go."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be purged; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        counts = do_purge_expired(dry_run=dry_run)
        verb = "would be" if dry_run else "were"
        for kind, count in counts.items():
            action = rule(kind).action
            self.stdout.write(
                f"{kind}: {count} {verb} {action}d (older than {days_for(kind)} days)"
            )
        total = sum(counts.values())
        self.stdout.write(f"total: {total} {verb} purged" + (" (dry run)" if dry_run else ""))
