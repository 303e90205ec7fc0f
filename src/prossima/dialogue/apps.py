from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DialogueConfig(AppConfig):
    name = "prossima.dialogue"
    verbose_name = _("Participation")
