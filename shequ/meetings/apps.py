from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "shequ.meetings"
    verbose_name = _("2+4机制")
