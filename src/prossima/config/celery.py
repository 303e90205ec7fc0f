"""The Celery application: background jobs on Redis in production, a folder when embedded."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prossima.config.settings")

app = Celery("prossima")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    [
        "prossima.jobs",
        "prossima.assets",
        "prossima.counterfeit",
        "prossima.dialogue",
        "prossima.reports",
        "prossima.privacy",
    ]
)
