"""Background work of the reports app, run by the worker's scheduler."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from prossima.reports.actions.indicators import do_compute_indicators


@shared_task(name="prossima.reports.compute_indicators", ignore_result=True)
def compute_indicators_task() -> int:
    """Recompute this year's and last year's indicators (last year changes with late imports)."""
    year = timezone.localdate().year
    stored = 0
    for each in (year - 1, year):
        stored += sum(do_compute_indicators(each).stored.values())
    return stored
