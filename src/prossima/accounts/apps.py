from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "prossima.accounts"
    verbose_name = _("People and organisations")

    def ready(self) -> None:
        # Registers every permission rule with django-rules.
        from prossima.accounts import permissions, signals  # noqa: F401
