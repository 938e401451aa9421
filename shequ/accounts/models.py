from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.accounts.roles import Role


class User(AbstractUser):
    """A person who logs in: staff, guards, residents, administrators."""

    display_name = models.CharField(_("显示名"), max_length=50, blank=True)
    # TOTP secret, encrypted like other secrets at rest (shequ.core.pii)
    totp_secret_cipher = models.TextField(blank=True, editable=False)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # last accepted TOTP time step: each code works once (replay protection)
    totp_last_step = models.BigIntegerField(default=0, editable=False)
    failed_logins = models.PositiveIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts",
        verbose_name=_("对应人员"),
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret_cipher and self.totp_confirmed_at)


class RoleGrantQuerySet(models.QuerySet):
    def active(self) -> RoleGrantQuerySet:
        return self.filter(revoked_at__isnull=True)


class RoleGrant(models.Model):
    """A role held on an area node: the user acts with that role in its subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants", verbose_name=_("用户"))
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="grants", verbose_name=_("区域"))
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("授权人")
    )
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    objects = RoleGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "area"], condition=Q(revoked_at__isnull=True), name="grant_unique_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} @ {self.area}"


class AuditRecord(models.Model):
    """One entry of the append-only, hash-chained audit log.

    ``hash`` = SHA-256 over the previous record's hash and this record's canonical
    JSON, so editing or deleting any record breaks every hash after it;
    ``shequ audit verify`` walks the chain and names the first broken link.
    Database triggers (migration 0002) refuse UPDATE and DELETE as well.
    """

    seq = models.BigIntegerField(unique=True, editable=False)
    at = models.DateTimeField(db_index=True, editable=False)
    actor = models.ForeignKey(User, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    area_path = models.CharField(max_length=255, blank=True)
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"
