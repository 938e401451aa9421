"""Alarms: something at a door, a device or a resident's one-click button (SOS)
that a guard or the police must see, acknowledge, dispatch to and close.

An alarm keeps its own times and actors (raised, acknowledged, dispatched, on
scene, closed, escalated) for the lists and the figures, and a timeline of every
action (:class:`AlarmAction`) for "who did what when". Forwarding an alarm to the
public-security platform (the police one-click link) is a :class:`PoliceForward`
with one :class:`PoliceForwardAttempt` per try. Writes go through
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


class AlarmSource(models.TextChoices):
    """Where an alarm came from: a device event, or someone pressing an SOS button."""

    DEVICE = "device", _("设备")
    RESIDENT_APP = "resident_app", _("居民手机")
    INDOOR_TERMINAL = "indoor_terminal", _("室内终端")
    OUTDOOR_TERMINAL = "outdoor_terminal", _("室外终端")
    SYSTEM = "system", _("系统")


class EscalationLevel(models.IntegerChoices):
    """How far an unacknowledged alarm has gone up: the guard room, the community police, the street."""

    NONE = 0, _("未升级")
    POLICE = 1, _("已升级至社区民警")
    STREET = 2, _("已升级至街道")


class PoliceStatus(models.TextChoices):
    """State of forwarding an alarm to the public-security platform (also kept on the alarm)."""

    PENDING = "pending", _("推送中")
    SENT = "sent", _("已推送")
    FAILED = "failed", _("推送失败")
    NOT_CONFIGURED = "not_configured", _("未配置接口")


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
    source = models.CharField(_("来源"), max_length=16, choices=AlarmSource.choices, default=AlarmSource.DEVICE)
    # the resident who pressed the SOS button on their phone
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("报警人"))
    reporter_phone_masked = models.CharField(_("报警人电话"), max_length=20, blank=True)
    # where a phone says it is, when it says so
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
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
    on_scene_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("到场登记人"))
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("关闭人"))
    escalation_level = models.PositiveSmallIntegerField(_("升级"), choices=EscalationLevel.choices,
                                                        default=EscalationLevel.NONE)
    escalated_police_at = models.DateTimeField(_("升级至民警时间"), null=True, blank=True)
    escalated_street_at = models.DateTimeField(_("升级至街道时间"), null=True, blank=True)
    # the latest PoliceForward's status, here so lists and consoles need no join
    police_status = models.CharField(_("公安联动"), max_length=16, choices=PoliceStatus.choices, blank=True)
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
            models.CheckConstraint(
                condition=Q(on_scene_at__isnull=True) | Q(dispatched_at__isnull=False),
                name="alarm_dispatched_before_on_scene",
            ),
            # each level has its time, and the street comes after the police
            models.CheckConstraint(
                condition=Q(escalation_level=EscalationLevel.NONE, escalated_police_at__isnull=True,
                            escalated_street_at__isnull=True)
                | Q(escalation_level=EscalationLevel.POLICE, escalated_police_at__isnull=False,
                    escalated_street_at__isnull=True)
                | Q(escalation_level=EscalationLevel.STREET, escalated_police_at__isnull=False,
                    escalated_street_at__isnull=False),
                name="alarm_escalation_level_has_times",
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
    ESCALATED = "escalated", _("升级")
    FORWARDED = "forwarded", _("推送公安平台")
    FORWARD_RESULT = "forward_result", _("公安平台推送结果")


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


class PoliceForwardReason(models.TextChoices):
    MANUAL = "manual", _("人工推送")
    ESCALATION = "escalation", _("升级自动推送")


class PoliceForwardQuerySet(ScopedQuerySet):
    area_path_lookup = "alarm__area__path"


class PoliceForward(models.Model):
    """One request to forward an alarm to the public-security platform, tried until it
    is delivered, refused, or out of attempts. ``key`` goes with every try so the
    platform can tell a retry from a new report."""

    Status = PoliceStatus
    Reason = PoliceForwardReason

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="police_forwards",
                              verbose_name=_("报警"))
    key = models.UUIDField(_("推送编号"), unique=True, editable=False)
    reason = models.CharField(_("原因"), max_length=12, choices=PoliceForwardReason.choices)
    backend = models.CharField(_("接口"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=PoliceStatus.choices, default=PoliceStatus.PENDING)
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("申请人"))
    requested_by_name = models.CharField(_("申请人"), max_length=60)
    attempt_count = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # when the next try is due; also a lease: a sender moves it ahead before trying, so two do not try at once
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=200, blank=True)

    objects = PoliceForwardQuerySet.as_manager()

    class Meta:
        verbose_name = _("公安平台推送")
        verbose_name_plural = _("公安平台推送")
        ordering = ["requested_at", "pk"]
        constraints = [
            # an alarm is being forwarded, or was delivered, at most once at a time
            models.UniqueConstraint(fields=["alarm"], condition=Q(status__in=["pending", "sent"]),
                                    name="police_forward_one_live_per_alarm"),
        ]
        indexes = [
            # the sender's scan: pending forwards whose next try is due
            models.Index(fields=["status", "next_attempt_at"], name="police_forward_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.alarm} -> {self.get_status_display()}"


class PoliceForwardAttempt(models.Model):
    """One try at delivering a forward: when, how long, what came back."""

    forward = models.ForeignKey(PoliceForward, on_delete=models.CASCADE, related_name="attempts",
                                verbose_name=_("推送"))
    number = models.PositiveSmallIntegerField(_("第几次"))
    at = models.DateTimeField(_("时间"))
    duration_ms = models.PositiveIntegerField(_("耗时(毫秒)"), default=0)
    ok = models.BooleanField(_("成功"), default=False)
    http_status = models.PositiveSmallIntegerField(_("HTTP 状态"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    response_excerpt = models.CharField(_("响应摘录"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("公安平台推送尝试")
        verbose_name_plural = _("公安平台推送尝试")
        ordering = ["forward", "number"]
        constraints = [models.UniqueConstraint(fields=["forward", "number"], name="police_attempt_unique_number")]

    def __str__(self) -> str:
        return f"#{self.number} {self.http_status or self.error}"
