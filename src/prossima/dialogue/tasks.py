"""Background work of participation, run by the worker's scheduler."""

from __future__ import annotations

from celery import shared_task

from prossima.dialogue.actions.meetings import send_meeting_reminders


@shared_task(name="prossima.dialogue.send_meeting_reminders", ignore_result=True)
def send_meeting_reminders_task() -> int:
    """Remind the people registered for meetings starting within a day (once per meeting)."""
    return send_meeting_reminders()
