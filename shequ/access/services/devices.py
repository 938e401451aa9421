"""Devices: registration (with a secret shown once), heartbeats, offline faults."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Case, DateTimeField, F, PositiveBigIntegerField, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.access import protocol
from shequ.access.models import CredentialKind, Device, DeviceKind
from shequ.access.services.common import audit, field_error, require_change
from shequ.accounts.audit import Actor
from shequ.core import pii
from shequ.registry.models import Area

logger = logging.getLogger(__name__)

_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DEVICE_FIELDS = {"name", "vendor", "area", "credential_kinds", "faces_enabled", "heartbeat_timeout_seconds",
                 "is_active", "protocol"}


def default_credential_kinds(kind: str) -> list[str]:
    if kind == DeviceKind.VEHICLE_BARRIER:
        return [CredentialKind.PLATE]
    return [CredentialKind.FACE, CredentialKind.CARD, CredentialKind.PIN, CredentialKind.QR]


def normalise_credential_kinds(kinds) -> str:
    """Comma-separated kinds in enum order; refuses unknown kinds and face-only doors."""
    if isinstance(kinds, str):
        kinds = [kind.strip() for kind in kinds.split(",")]
    chosen = {kind for kind in kinds if kind}
    unknown = chosen - set(CredentialKind.values)
    if unknown:
        raise field_error("credential_kinds", _("未知的凭证类型：%(kinds)s") % {"kinds": "、".join(sorted(unknown))},
                          "credential_kind_unknown")
    if not chosen - {CredentialKind.FACE}:
        raise field_error("credential_kinds", _("每个门禁都必须接受至少一种非人脸凭证（卡、密码、二维码或车牌）。"),
                          "non_face_required")
    return ",".join(kind for kind in CredentialKind.values if kind in chosen)


@dataclass(frozen=True)
class RegisteredDevice:
    device: Device
    #: the device secret in clear: shown to the installer once, never stored in clear
    secret: str


@transaction.atomic
def device_register(
    *, actor: Actor, device_id: str, name: str, kind: str, area: Area, vendor: str = "",
    protocol_name: str = Device.Protocol.SHEQU_MQTT, credential_kinds=None, faces_enabled: bool = True,
    heartbeat_timeout_seconds: int = 120,
) -> RegisteredDevice:
    """Register a device at ``area`` and generate its secret (returned once)."""
    require_change(actor, area)
    device_id = (device_id or "").strip()
    if not _DEVICE_ID.match(device_id):
        raise field_error("device_id", _("设备编号只能包含字母、数字、下划线和短横线，最长64位。"), "device_id_format")
    if Device.objects.filter(device_id=device_id).exists():
        raise field_error("device_id", _("该设备编号已登记。"), "device_id_duplicate")
    secret = protocol.secret_generate()
    device = Device(
        device_id=device_id, name=(name or "").strip(), kind=kind, area=area, vendor=vendor, protocol=protocol_name,
        credential_kinds=normalise_credential_kinds(
            credential_kinds if credential_kinds is not None else default_credential_kinds(kind)),
        faces_enabled=faces_enabled, heartbeat_timeout_seconds=heartbeat_timeout_seconds,
        secret_cipher=pii.encrypt(secret),
    )
    device.full_clean()
    device.save()
    audit(actor, "access.device_registered", obj=device, area=area,
          detail={"device_id": device_id, "kind": kind, "credential_kinds": device.credential_kinds})
    _recompile(device)
    return RegisteredDevice(device=device, secret=secret)


@transaction.atomic
def device_update(*, actor: Actor, device: Device, **changes) -> Device:
    """Change a device's placement or settings, and recompile its list."""
    unknown = set(changes) - DEVICE_FIELDS
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)} on a device")
    require_change(actor, device.area)
    if "area" in changes:
        require_change(actor, changes["area"])
    if "credential_kinds" in changes:
        changes["credential_kinds"] = normalise_credential_kinds(changes["credential_kinds"])
    before = {key: str(getattr(device, key)) for key in changes}
    for key, value in changes.items():
        setattr(device, key, value)
    device.full_clean()
    device.save()
    audit(actor, "access.device_updated", obj=device, area=device.area,
          detail={"changes": {key: [before[key], str(getattr(device, key))] for key in changes}})
    _recompile(device)
    return device


@transaction.atomic
def device_secret_rotate(*, actor: Actor, device: Device) -> str:
    """Give the device a new secret (returned once); the old one stops working at once."""
    require_change(actor, device.area)
    secret = protocol.secret_generate()
    device.secret_cipher = pii.encrypt(secret)
    device.save(update_fields=["secret_cipher"])
    audit(actor, "access.device_secret_rotated", obj=device, area=device.area)
    return secret


def device_secret(device: Device) -> str:
    """The device's secret in clear, for signing and verifying its messages."""
    return pii.decrypt(device.secret_cipher)


def device_secret_for(device_id: str) -> str | None:
    """``secret_for`` for :func:`shequ.access.protocol.envelope_open`: None if the
    device is unknown or disabled."""
    cipher = Device.objects.filter(device_id=device_id, is_active=True).values_list("secret_cipher", flat=True).first()
    return pii.decrypt(cipher) if cipher else None


def device_heartbeat_record(*, device: Device, at: datetime, synced_version: int | None = None) -> None:
    """A heartbeat arrived: the device is online; a raised offline fault is cleared."""
    devices_heartbeats_record([(device.pk, at, synced_version)])


#: devices per UPDATE in :func:`devices_heartbeats_record` (each row is matched against a CASE of this many WHENs)
HEARTBEATS_PER_STATEMENT = 250


def devices_heartbeats_record(beats: Sequence[tuple[int, datetime, int | None]]) -> None:
    """Heartbeats of many devices, ``(device pk, at, synced version or None)``, in one transaction
    and a few statements: the gateway gathers them, and at thousands of terminals one UPDATE
    per device and field kept its control loop (and the broadcasts queued behind it) busy.

    A delayed heartbeat never moves ``last_heartbeat_at`` backwards. ``synced_version`` is the
    device's own word (lower after a reset), so it is taken as it comes. Devices whose offline
    fault was raised are back online. Unknown devices are ignored."""
    latest: dict[int, tuple[datetime, int | None]] = {}
    for pk, at, synced in beats:  # one device twice in a batch: its later heartbeat counts
        if pk not in latest or at >= latest[pk][0]:
            latest[pk] = (at, synced)
    pks = sorted(latest)
    back: list[Device] = []
    with transaction.atomic():
        for start in range(0, len(pks), HEARTBEATS_PER_STATEMENT):
            chunk = pks[start : start + HEARTBEATS_PER_STATEMENT]
            heard = Case(*[When(pk=pk, then=Greatest(Coalesce("last_heartbeat_at", Value(latest[pk][0])),
                                                     Value(latest[pk][0]))) for pk in chunk],
                         output_field=DateTimeField())
            changes = {"last_heartbeat_at": heard}
            synced = [When(pk=pk, then=Value(latest[pk][1])) for pk in chunk if latest[pk][1] is not None]
            if synced:
                changes["synced_version"] = Case(*synced, default=F("synced_version"),
                                                 output_field=PositiveBigIntegerField())
            Device.objects.filter(pk__in=chunk).update(**changes)
        for device in Device.objects.filter(pk__in=pks, fault_raised_at__isnull=False):
            # conditional, as the offline sweep's: a fault cleared once is reported back once
            if Device.objects.filter(pk=device.pk, fault_raised_at__isnull=False).update(fault_raised_at=None):
                back.append(device)
    # after the heartbeats are saved, each on its own: a failure in the alarms app must not
    # undo a fleet's heartbeats, nor hold their device rows while it waits for an alarm's lock
    for device in back:
        try:
            with transaction.atomic():
                device_back_online(device=device, at=latest[device.pk][0])
        except Exception:  # noqa: BLE001 - logged with its traceback; the heartbeat stands
            logger.exception("noting device %s back online failed", device.device_id)


def devices_mark_offline(*, now: datetime | None = None) -> list[Device]:
    """Raise a fault, once, for each active device silent longer than its heartbeat
    timeout. Devices that never sent a heartbeat (not yet installed) are left alone."""
    now = now or timezone.now()
    marked = []
    candidates = Device.objects.filter(is_active=True, last_heartbeat_at__isnull=False, fault_raised_at__isnull=True)
    for device in candidates.select_related("area"):
        if device.is_online(now):
            continue
        # conditional update: two sweeps at once raise one fault
        if Device.objects.filter(pk=device.pk, fault_raised_at__isnull=True).update(fault_raised_at=now):
            device.fault_raised_at = now
            device_offline_fault(device=device, at=now)
            marked.append(device)
    return marked


def device_offline_fault(*, device: Device, at: datetime) -> None:
    """Hook: ``device`` went silent. Raises a device-offline alarm in ``shequ.alarms``
    when that app offers ``alarm_raise``; ``Device.fault_raised_at`` is the record either way."""
    try:
        from shequ.alarms.services import alarm_raise
    except ImportError:
        logger.warning("device %s offline since %s (alarms app has no alarm_raise)", device.device_id, at)
        return
    from shequ.alarms.models import AlarmKind

    alarm_raise(kind=AlarmKind.DEVICE_OFFLINE, device=device, area=device.area, occurred_at=at,
                detail=str(_("设备离线：%(name)s") % {"name": device.name}))


def device_back_online(*, device: Device, at: datetime) -> None:
    """Hook: a device with a raised fault is heard again. Its open device-offline alarms
    get a note saying so; they stay for a guard to close (someone should know the door
    was unwatched)."""
    from shequ.alarms.services import alarms_device_back_online

    logger.info("device %s back online at %s", device.device_id, at)
    alarms_device_back_online(device=device)


def _recompile(device: Device) -> None:
    from shequ.access.services.compile import access_recompile, device_version_first

    access_recompile(devices=[device])
    device_version_first(device)

