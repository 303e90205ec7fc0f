from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicingConfig(AppConfig):
    name = "prossima.policing"
    verbose_name = _("Proximity policing")

    def ready(self) -> None:
        # Registers the job kind that computes beats with the job registry.
        from prossima.policing import jobs  # noqa: F401
