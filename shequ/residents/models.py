from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LoginCode(models.Model):
    """One request for a login code by text message.

    A row is written for every accepted request, whether or not the phone belongs to
    a resident: the rate limits and the per-code try limit then behave the same for
    known and unknown numbers, so none of them tells which numbers are registered.
    ``code_hash`` is empty when nothing was sent (unknown phone, or nobody living
    anywhere under it); such a row never matches a code. The phone itself is kept
    only as the registry's keyed digest.
    """

    phone_digest = models.CharField(max_length=64)
    ip = models.CharField(max_length=45, blank=True)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("登录验证码")
        verbose_name_plural = _("登录验证码")
        indexes = [
            # the latest code of a phone, and the per-phone rate limit
            models.Index(fields=["phone_digest", "created_at"], name="logincode_phone_idx"),
            # the per-address rate limit
            models.Index(fields=["ip", "created_at"], name="logincode_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.created_at:%Y-%m-%d %H:%M}"
