from django.apps import AppConfig


class IntercomConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shequ.intercom"
    verbose_name = "可视对讲"
