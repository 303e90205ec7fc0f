"""Remind the people registered for meetings that start within a day (run every hour)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from prossima.dialogue.actions.meetings import send_meeting_reminders


class Command(BaseCommand):
    help = (
        "Notify the confirmed registrants of each scheduled meeting starting within 24 hours; "
        "a meeting is reminded once, so running this again sends nothing twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        reminded = send_meeting_reminders()
        self.stdout.write(f"{reminded} meetings reminded.")
