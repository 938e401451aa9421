"""Video intercom calls: a terminal rings a household or the guard room."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CallStatus(models.TextChoices):
    RINGING = "ringing", _("呼叫中")
    ANSWERED = "answered", _("已接听")
    MISSED = "missed", _("未接")
    REJECTED = "rejected", _("已拒接")
    ENDED = "ended", _("已结束")


class IntercomCall(models.Model):
    """One call from a door/gate terminal. ``callee_area`` is a house area, or the
    complex when the guard room is called (``to_guard_room``)."""

    Status = CallStatus

    caller_device = models.ForeignKey("access.Device", on_delete=models.PROTECT, related_name="intercom_calls",
                                      verbose_name=_("呼叫设备"))
    callee_area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="intercom_calls",
                                    verbose_name=_("被叫"))
    to_guard_room = models.BooleanField(_("呼叫门卫室"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=CallStatus.choices, default=CallStatus.RINGING)
    started_at = models.DateTimeField(_("呼叫时间"), db_index=True)
    answered_at = models.DateTimeField(_("接听时间"), null=True, blank=True)
    answered_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("接听人"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    unlocked_at = models.DateTimeField(_("远程开门时间"), null=True, blank=True)
    unlocked_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("开门人"))
    # the "open" command for the gateway to publish; empty once sent (cmd_sent_at)
    unlock_cmd_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("对讲呼叫")
        verbose_name_plural = _("对讲呼叫")
        ordering = ["-started_at"]
        indexes = [
            # missed-call list of a household / the guard room
            models.Index(fields=["callee_area", "status"], name="intercom_callee_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(unlocked_at__isnull=True) | Q(unlocked_by__isnull=False),
                                   name="intercom_unlock_has_opener"),
        ]

    def __str__(self) -> str:
        return f"{self.caller_device} → {self.callee_area} ({self.status})"
