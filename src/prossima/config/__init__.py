"""Django configuration of Prossima.

The Celery application is loaded with Django, so that every process (web,
shell, commands) sends jobs to the configured broker.
"""

from prossima.config.celery import app as celery_app

__all__ = ["celery_app"]
