from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "prossima.incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        # Registers the incident job kinds with the job runner.
        from prossima.incidents import jobs  # noqa: F401
