from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounterfeitConfig(AppConfig):
    name = "prossima.counterfeit"
    label = "counterfeit"
    verbose_name = _("Counterfeiting and product safety")
