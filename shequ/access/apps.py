from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "shequ.access"
    verbose_name = _("门禁通行")
