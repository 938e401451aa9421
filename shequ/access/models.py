"""Access control: devices at doors and gates, the credentials people open them
with, face consent, access rules, and the events devices report.

Decisions are made at the edge (``shequ edge``) from a compact per-device list
the platform compiles; the platform keeps the rules, the consent records and the
event history. Face templates are stored here only encrypted, and only so they
can be pushed to the edges whose doors the consent covers.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.core.scoping import ScopedQuerySet


class DeviceKind(models.TextChoices):
    GATE = "gate", _("小区出入口闸机")
    UNIT_DOOR = "unit_door", _("单元门禁")
    VEHICLE_BARRIER = "vehicle_barrier", _("车辆道闸")
    INDOOR_TERMINAL = "indoor_terminal", _("室内终端")
    OUTDOOR_TERMINAL = "outdoor_terminal", _("室外终端")


class DeviceProtocol(models.TextChoices):
    SHEQU_MQTT = "shequ_mqtt", _("Shequ MQTT 协议")
    GAT1400 = "gat1400", _("GA/T 1400 视图库")
    VENDOR_HTTP = "vendor_http", _("厂商 HTTP 推送")


class DeviceQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"


class Device(models.Model):
    """A controller at a door or gate, a barrier, or a terminal, placed in the area tree.

    ``secret_cipher`` is the device's own secret (encrypted at rest): it signs every
    message the device sends, so the gateway can tell a device from an impostor
    whatever broker sits in between.
    """

    Kind = DeviceKind
    Protocol = DeviceProtocol

    device_id = models.SlugField(_("设备编号"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=DeviceKind.choices)
    protocol = models.CharField(_("接入协议"), max_length=16, choices=DeviceProtocol.choices,
                                default=DeviceProtocol.SHEQU_MQTT)
    vendor = models.CharField(_("厂商"), max_length=60, blank=True)
    area = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="devices",
                             verbose_name=_("安装位置"))
    secret_cipher = models.TextField(editable=False)
    faces_enabled = models.BooleanField(_("启用人脸识别"), default=True)
    heartbeat_timeout_seconds = models.PositiveIntegerField(_("心跳超时(秒)"), default=120)
    last_heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    fault_raised_at = models.DateTimeField(_("离线告警时间"), null=True, blank=True)
    synced_version = models.PositiveBigIntegerField(_("已同步版本"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        verbose_name = _("门禁设备")
        verbose_name_plural = _("门禁设备")
        indexes = [models.Index(fields=["area", "kind"], name="device_area_kind_idx")]

    def __str__(self) -> str:
        return self.name


class CredentialKind(models.TextChoices):
    FACE = "face", _("人脸")
    CARD = "card", _("IC卡")
    PIN = "pin", _("密码")
    QR = "qr", _("居民二维码")
    PLATE = "plate", _("车牌")


class CredentialQuerySet(ScopedQuerySet):
    area_path_lookup = "person__area__path"

    def valid_at(self, moment) -> CredentialQuerySet:
        return self.filter(
            Q(revoked_at__isnull=True), Q(valid_from__lte=moment), Q(valid_until__isnull=True) | Q(valid_until__gt=moment)
        )


class Credential(models.Model):
    """A way for a person to open doors. Card numbers, PINs and QR secrets are kept
    as keyed digests (the edge compares digests, never clear values); plates as text
    (cameras report text). Face credentials point at a FaceTemplate."""

    Kind = CredentialKind

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="credentials",
                               verbose_name=_("人员"))
    kind = models.CharField(_("类型"), max_length=8, choices=CredentialKind.choices)
    value_digest = models.CharField(max_length=64, blank=True, editable=False)
    label = models.CharField(_("说明"), max_length=40, blank=True)  # masked card no., plate text
    valid_from = models.DateTimeField(_("生效时间"))
    valid_until = models.DateTimeField(_("失效时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CredentialQuerySet.as_manager()

    class Meta:
        verbose_name = _("通行凭证")
        verbose_name_plural = _("通行凭证")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value_digest"], condition=Q(revoked_at__isnull=True) & ~Q(value_digest=""),
                                    name="credential_unique_live_value"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}"


class FaceConsentQuerySet(ScopedQuerySet):
    area_path_lookup = "person__area__path"


class FaceConsent(models.Model):
    """A person's separate consent to face recognition: who, when, how, for which
    doors. Withdrawal deletes the template everywhere (edges confirm)."""

    class Method(models.TextChoices):
        PAPER = "paper", _("书面签字")
        RESIDENT_APP = "resident_app", _("居民端确认")
        IN_PERSON = "in_person", _("现场确认")

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="face_consents",
                               verbose_name=_("人员"))
    method = models.CharField(_("方式"), max_length=14, choices=Method.choices)
    consented_at = models.DateTimeField(_("同意时间"))
    recorded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    devices = models.ManyToManyField(Device, related_name="face_consents", verbose_name=_("适用门禁"))
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    objects = FaceConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("人脸识别同意")
        verbose_name_plural = _("人脸识别同意")

    def __str__(self) -> str:
        return f"{self.person} {self.consented_at:%Y-%m-%d}"


class FaceTemplate(models.Model):
    """A face embedding (128 float32, dlib ResNet), encrypted at rest."""

    consent = models.ForeignKey(FaceConsent, on_delete=models.CASCADE, related_name="templates")
    template_cipher = models.TextField(editable=False)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("人脸模板")
        verbose_name_plural = _("人脸模板")


class TemplatePlacement(models.Model):
    """Where a face template must be, and whether the edge has confirmed it: the
    record that proves a withdrawal deleted the template on every device."""

    class State(models.TextChoices):
        TO_PUSH = "to_push", _("待下发")
        PRESENT = "present", _("已下发")
        TO_DELETE = "to_delete", _("待删除")
        DELETED = "deleted", _("已删除")

    template = models.ForeignKey(FaceTemplate, on_delete=models.CASCADE, related_name="placements")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="template_placements")
    state = models.CharField(max_length=10, choices=State.choices, default=State.TO_PUSH)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["template", "device"], name="placement_unique")]


class AccessRuleQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"


class AccessRule(models.Model):
    """Who besides residents may open the doors under ``area`` and when: staff and
    property workers by role, within weekly time windows. Residents' access is
    derived from residence (their building's unit doors and their complex's gates)."""

    area = models.ForeignKey("registry.Area", on_delete=models.CASCADE, related_name="access_rules",
                             verbose_name=_("适用区域"))
    role = models.CharField(_("角色"), max_length=20)
    weekdays = models.CharField(_("星期"), max_length=7, default="1234567")  # ISO weekdays allowed
    start_time = models.TimeField(_("开始时间"), null=True, blank=True)
    end_time = models.TimeField(_("结束时间"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)

    objects = AccessRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("通行规则")
        verbose_name_plural = _("通行规则")


class EventKind(models.TextChoices):
    PASS = "pass", _("通行")
    REFUSED = "refused", _("拒绝")
    FORCED = "forced", _("强行开门")
    HELD_OPEN = "held_open", _("门长时间未关")
    REMOTE_UNLOCK = "remote_unlock", _("远程开门")
    PLATE = "plate", _("车牌识别")


class AccessEventQuerySet(ScopedQuerySet):
    area_path_lookup = "device__area__path"


class AccessEvent(models.Model):
    """An event a device reported. ``(device, event_id)`` is unique: the id is set by
    the device, so the same event arriving twice is stored once."""

    Kind = EventKind

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=14, choices=EventKind.choices)
    occurred_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField()
    credential_kind = models.CharField(max_length=8, blank=True)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    plate = models.CharField(max_length=10, blank=True)
    direction = models.CharField(max_length=3, blank=True)  # in / out
    reason = models.CharField(max_length=40, blank=True)
    payload = models.JSONField(default=dict)

    objects = AccessEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("通行记录")
        verbose_name_plural = _("通行记录")
        constraints = [models.UniqueConstraint(fields=["device", "event_id"], name="event_unique_per_device")]
        indexes = [models.Index(fields=["person", "occurred_at"], name="event_person_time_idx")]


class QuarantinedMessage(models.Model):
    """A message the gateway could not use, kept with the reason instead of crashing."""

    topic = models.CharField(max_length=200)
    payload = models.BinaryField()
    reason = models.CharField(max_length=200)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("异常消息")
        verbose_name_plural = _("异常消息")
