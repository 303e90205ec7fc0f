"""The nightly retention purge, run by the worker's scheduler."""

from __future__ import annotations

from celery import shared_task

from prossima.privacy.actions import do_purge_expired


@shared_task(name="prossima.privacy.purge_expired", ignore_result=True)
def purge_expired_task() -> dict[str, int]:
    """Delete or anonymise personal data past its retention period."""
    return do_purge_expired()
