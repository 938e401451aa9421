from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKeyQuerySet(models.QuerySet):
    def usable(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiKey(models.Model):
    """A key for a machine (upper-level platform, integration). The key acts as its
    ``user``: it sees and changes exactly what that user's grants allow. Only a
    SHA-256 of the secret is stored; the secret is shown once, at creation."""

    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("代表用户"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API密钥")
        verbose_name_plural = _("API密钥")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
