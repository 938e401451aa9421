from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "shequ.cases"
    verbose_name = _("诉求事件")
