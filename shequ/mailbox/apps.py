from django.apps import AppConfig


class MailboxConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shequ.mailbox"
    verbose_name = "警民信箱"
