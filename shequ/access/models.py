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
    # comma-separated CredentialKind values in enum order; never "" or "face" alone
    credential_kinds = models.CharField(_("接受的凭证"), max_length=40, default="card,pin,qr")
    synced_version = models.PositiveBigIntegerField(_("已同步版本"), default=0)
    # the newest version compiled for this device (see DeviceEntry)
    latest_version = models.PositiveBigIntegerField(_("最新版本"), default=0)
    # deletions older than this were compacted away: a device behind it gets a full snapshot
    history_floor = models.PositiveBigIntegerField(default=0, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        verbose_name = _("门禁设备")
        verbose_name_plural = _("门禁设备")
        indexes = [
            models.Index(fields=["area", "kind"], name="device_area_kind_idx"),
            # the gateway polls "which devices changed since version n"
            models.Index(fields=["latest_version"], name="device_latest_version_idx"),
        ]
        constraints = [
            # every door keeps a non-face way in
            models.CheckConstraint(condition=~Q(credential_kinds__in=["", "face"]),
                                   name="device_accepts_non_face_credential"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def accepted_kinds(self) -> list[str]:
        return [kind for kind in self.credential_kinds.split(",") if kind]

    @property
    def accepted_kind_labels(self) -> list[str]:
        labels = dict(CredentialKind.choices)
        return [labels.get(kind, kind) for kind in self.accepted_kinds]

    def is_online(self, now) -> bool:
        """Heard from within its heartbeat timeout."""
        if self.last_heartbeat_at is None:
            return False
        return (now - self.last_heartbeat_at).total_seconds() <= self.heartbeat_timeout_seconds


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
    template = models.OneToOneField("access.FaceTemplate", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="credential", verbose_name=_("人脸模板"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CredentialQuerySet.as_manager()

    class Meta:
        verbose_name = _("通行凭证")
        verbose_name_plural = _("通行凭证")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value_digest"], condition=Q(revoked_at__isnull=True) & ~Q(value_digest=""),
                                    name="credential_unique_live_value"),
            # a face credential is exactly one enrolled template; other kinds have none
            models.CheckConstraint(
                condition=(Q(kind="face") & Q(template__isnull=False)) | (~Q(kind="face") & Q(template__isnull=True)),
                name="credential_face_iff_template",
            ),
        ]
        indexes = [models.Index(fields=["person", "kind"], name="credential_person_kind_idx")]

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
    template_cipher = models.TextField(editable=False)  # emptied when consent is withdrawn
    # the enrolment photo (JPEG), encrypted; optional, emptied on withdrawal; every view is audited
    photo_cipher = models.TextField(editable=False, blank=True)
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
    # the sync version that last pushed (TO_PUSH) or removed (TO_DELETE) the template
    version = models.PositiveBigIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["template", "device"], name="placement_unique")]
        indexes = [models.Index(fields=["device", "state"], name="placement_device_state_idx")]


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
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AccessRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("通行规则")
        verbose_name_plural = _("通行规则")
        constraints = [
            # a window is either the whole day (both empty) or start before end
            models.CheckConstraint(
                condition=(Q(start_time__isnull=True) & Q(end_time__isnull=True))
                | (Q(start_time__isnull=False) & Q(end_time__isnull=False) & Q(start_time__lt=models.F("end_time"))),
                name="access_rule_window",
            ),
        ]


class EventKind(models.TextChoices):
    PASS = "pass", _("通行")
    REFUSED = "refused", _("拒绝")
    FORCED = "forced", _("强行开门")
    HELD_OPEN = "held_open", _("门长时间未关")
    REMOTE_UNLOCK = "remote_unlock", _("远程开门")
    PLATE = "plate", _("车牌识别")
    SOS = "sos", _("一键报警")


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
    # the visitor pass behind a "pass" credential event: the visitors app counts its uses from these
    pass_id = models.CharField(max_length=40, blank=True)
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


class EntryKind(models.TextChoices):
    PERSON = "p", _("人员")
    CREDENTIAL = "c", _("凭证")
    FACE = "f", _("人脸")
    # a visitor pass the device must refuse (revoked, or used up across doors); ref_id = the pass's pk
    REVOKED_PASS = "v", _("已撤销的访客通行证")


class DeviceEntry(models.Model):
    """One line of the compact list a device holds, as last published to it.

    The compiler diffs what a device should hold against these rows; each row that
    changes (or is removed: ``deleted``) gets the version of that change, so a sync
    delta is simply "rows of this device with a version above the one it has".
    Removed rows stay as tombstones until compacted (``Device.history_floor``).
    """

    Kind = EntryKind

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=1, choices=EntryKind.choices)
    ref_id = models.BigIntegerField()  # person, credential or template id
    # plain id, not a key: a tombstone outlives what it names
    person_id = models.BigIntegerField()
    data = models.JSONField(default=dict)
    version = models.PositiveBigIntegerField()
    deleted = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "kind", "ref_id"], name="device_entry_unique")]
        indexes = [
            models.Index(fields=["device", "version"], name="device_entry_version_idx"),  # deltas
            models.Index(fields=["device", "person_id"], name="device_entry_person_idx"),  # per-person recompiles
        ]


class AccessVersion(models.Model):
    """The one counter every compiled change takes its version from (row pk=1)."""

    value = models.PositiveBigIntegerField(default=0)


class OutboundName(models.TextChoices):
    CMD = "cmd", _("设备命令")
    NOTICE = "notice", _("通知广播")


class Outbound(models.Model):
    """A platform message waiting for ``shequ gateway`` to publish it: a command to
    one device (signed with its secret), or a broadcast to every device under an
    area (signed with the platform's Ed25519 key). Web processes never speak MQTT
    themselves: they write a row here and the gateway, which holds the broker
    connection, publishes it within a poll (``ControlTiming.sync_poll``).

    ``expires_at``: a message not sent by then is dropped (a remote "open" half a
    minute late must not open the door). Sent rows are kept for the record and
    purged after a while (``outbound_purge``)."""

    Name = OutboundName

    name = models.CharField(max_length=10, choices=OutboundName.choices)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.CASCADE, related_name="outbound")
    area = models.ForeignKey("registry.Area", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    dropped = models.BooleanField(default=False)  # expired before it could be sent

    class Meta:
        verbose_name = _("待发布消息")
        verbose_name_plural = _("待发布消息")
        constraints = [
            models.CheckConstraint(condition=Q(device__isnull=False, area__isnull=True)
                                   | Q(device__isnull=True, area__isnull=False), name="outbound_device_xor_area"),
        ]
        indexes = [
            # the gateway's poll: unsent rows in order
            models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True, dropped=False),
                         name="outbound_pending_idx"),
        ]
