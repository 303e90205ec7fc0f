from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "prossima.analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        # Registers the job kind of analysis runs with the job registry.
        from prossima.analytics import jobs  # noqa: F401
