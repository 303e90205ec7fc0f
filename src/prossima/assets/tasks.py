"""The registry's daily checks, run by the worker's scheduler every morning."""

from __future__ import annotations

from celery import shared_task

from prossima.assets.actions import daily_checks


@shared_task(name="prossima.assets.daily_checks", ignore_result=True)
def daily_checks_task() -> dict[str, int]:
    """Open and clear asset alerts and close calls past their deadline."""
    return daily_checks()
