"""The daily e-mail of new alerts to the confirmed subscribers."""

from __future__ import annotations

from celery import shared_task

from prossima.counterfeit.subscriptions import purge_unconfirmed, send_digests


@shared_task(name="prossima.counterfeit.send_alert_digests", ignore_result=True)
def send_alert_digests_task() -> dict[str, int]:
    """Send the digests (links from PROSSIMA_SITE_URL) and delete stale unconfirmed sign-ups."""
    return {"purged": purge_unconfirmed(), "sent": send_digests()}
