"""Alarms: something at a door, a device or (later) a resident's one-click button
that a guard or the police must see, acknowledge and close.

An alarm keeps its own times and actors (raised, acknowledged, dispatched, on
scene, closed) for the lists and the figures, and a timeline of every action
(:class:`AlarmAction`) for "who did what when". Writes go through
``shequ.alarms.services``; the timeline is never edited, only appended to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.core.scoping import ScopedQuerySet


class AlarmKind(models.TextChoices):
    FORCED_ENTRY = "forced_entry", _("强行开门")
    DOOR_HELD = "door_held", _("门长时间未关")
    DEVICE_OFFLINE = "device_offline", _("设备离线")
    SOS = "sos", _("一键报警")
    VISITOR_OVERSTAY = "visitor_overstay", _("访客逾时未离")


class AlarmStatus(models.TextChoices):
    RAISED = "raised", _("待确认")
    ACKNOWLEDGED = "acknowledged", _("已确认")
    DISPATCHED = "dispatched", _("已派警")
    ON_SCENE = "on_scene", _("已到场")
    CLOSED = "closed", _("已关闭")


#: statuses of an alarm someone still has to deal with
OPEN_STATUSES = (AlarmStatus.RAISED, AlarmStatus.ACKNOWLEDGED, AlarmStatus.DISPATCHED, AlarmStatus.ON_SCENE)


class AlarmQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"

    def open(self) -> AlarmQuerySet:
        return self.exclude(status=AlarmStatus.CLOSED)


class Alarm(models.Model):
    """One alarm. ``occurred_at`` is when it happened at the source (the device's
    clock); ``raised_at`` when the platform raised it. Further events of the same
    kind at the same device while the alarm is still unacknowledged count as
    repeats instead of new alarms, so a flapping sensor does not bury the console."""

    Kind = AlarmKind
    Status = AlarmStatus

    kind = models.CharField(_("类型"), max_length=20, choices=AlarmKind.choices)
    status = models.CharField(_("状态"), max_length=14, choices=AlarmStatus.choices, default=AlarmStatus.RAISED)
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="alarms", verbose_name=_("位置"))
    device = models.ForeignKey("access.Device", null=True, blank=True, on_delete=models.PROTECT, related_name="alarms",
                               verbose_name=_("设备"))
    # the event that raised it; unique so the same stored event never raises two alarms
    event = models.OneToOneField("access.AccessEvent", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="alarm", verbose_name=_("通行记录"))
    detail = models.CharField(_("说明"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("发生时间"))
    last_occurred_at = models.DateTimeField(_("最近发生"))
    repeat_count = models.PositiveIntegerField(_("重复次数"), default=0)
    raised_at = models.DateTimeField(_("报警时间"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", verbose_name=_("确认人"))
    dispatched_at = models.DateTimeField(_("派警时间"), null=True, blank=True)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", verbose_name=_("派警人"))
    on_scene_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("关闭人"))
    updated_at = models.DateTimeField(auto_now=True)

    objects = AlarmQuerySet.as_manager()

    class Meta:
        verbose_name = _("报警")
        verbose_name_plural = _("报警")
        constraints = [
            models.CheckConstraint(
                condition=Q(status=AlarmStatus.CLOSED, closed_at__isnull=False)
                | (~Q(status=AlarmStatus.CLOSED) & Q(closed_at__isnull=True)),
                name="alarm_closed_iff_closed_at",
            ),
            models.CheckConstraint(
                condition=Q(status=AlarmStatus.RAISED) | Q(acknowledged_at__isnull=False),
                name="alarm_acknowledged_before_handled",
            ),
        ]
        indexes = [
            # the console's open alarms, newest first; the history list by time
            models.Index(fields=["status", "raised_at"], name="alarm_status_raised_idx"),
            models.Index(fields=["raised_at"], name="alarm_raised_idx"),
            # repeats: the unacknowledged alarm of this kind at this device
            models.Index(fields=["device", "kind", "status"], name="alarm_device_kind_status_idx"),
            # the console's catch-up: alarms changed in the last few seconds
            models.Index(fields=["updated_at"], name="alarm_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status != AlarmStatus.CLOSED


class AlarmActionKind(models.TextChoices):
    RAISED = "raised", _("报警")
    REPEATED = "repeated", _("再次触发")
    ACKNOWLEDGED = "acknowledged", _("确认")
    DISPATCHED = "dispatched", _("派警")
    ON_SCENE = "on_scene", _("到场")
    NOTE = "note", _("备注")
    CLOSED = "closed", _("关闭")


class AlarmAction(models.Model):
    """One line of an alarm's timeline: who (a user, or the system by name) did what, when."""

    Kind = AlarmActionKind

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(_("动作"), max_length=14, choices=AlarmActionKind.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("操作人"))
    by_name = models.CharField(_("操作人"), max_length=60)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    # the device event behind a raise or a repeat; unique: an event counts once
    event = models.OneToOneField("access.AccessEvent", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="alarm_action")

    class Meta:
        verbose_name = _("报警处置记录")
        verbose_name_plural = _("报警处置记录")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["alarm", "at"], name="alarm_action_alarm_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.by_name}"
