"""Versioned sync of the compiled lists to devices (the gateway's side of ``sync``).

A delta is the device's ``DeviceEntry`` rows with a version above the one it
has; a full snapshot is all its live rows. See docs/mqtt.md, "sync".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shequ.access import protocol
from shequ.core import signing
from shequ.access.models import Device, DeviceEntry, EntryKind, FaceTemplate, TemplatePlacement
from shequ.access.services.compile import ENTRY_SECTIONS
from shequ.access.services.devices import device_secret
from shequ.core import pii


def access_credential_key() -> bytes:
    """The key cards, PINs and QR tokens are digested with, shared by every device.

    Derived one-way from the registry's index key, so it needs no new secret to
    manage, yet a device that holds it cannot compute ID or phone digests."""
    index_key = base64.urlsafe_b64decode(settings.SHEQU_INDEX_KEY)
    return hmac.new(index_key, b"shequ-access-credential-key-v1", hashlib.sha256).digest()


def device_latest_version(device: Device) -> int:
    """The newest version compiled for ``device`` (what ``state`` announces)."""
    return Device.objects.filter(pk=device.pk).values_list("latest_version", flat=True).first() or 0


def devices_changed_since(version: int) -> list[tuple[str, int]]:
    """(device_id, latest_version) of active devices whose list changed after ``version``:
    the gateway polls this to push deltas and retained ``state`` when rules change."""
    return list(Device.objects.filter(is_active=True, latest_version__gt=version)
                .order_by("latest_version").values_list("device_id", "latest_version"))


def device_sync_delta(device: Device, since_version: int) -> dict:
    """The ``sync`` body that brings ``device`` from ``since_version`` to its latest
    version: a delta, or a full snapshot when the device is at 0, behind the kept
    history of deletions, or claims a version never issued to it."""
    latest, floor = Device.objects.filter(pk=device.pk).values_list("latest_version", "history_floor").get()
    # read the version before the rows: rows up to it are committed with it
    rows = DeviceEntry.objects.filter(device=device, version__lte=latest)
    full = since_version <= 0 or since_version < floor or since_version > latest
    if full:
        rows = rows.filter(deleted=False)
    else:
        rows = rows.filter(version__gt=since_version)
    rows = list(rows.order_by("kind", "ref_id").values_list("kind", "ref_id", "data", "deleted"))

    secret = device_secret(device)
    upserts: dict[str, list] = {section: [] for section in ENTRY_SECTIONS.values()}
    deletes: dict[str, list] = {section: [] for section in ENTRY_SECTIONS.values()}
    face_ids = [ref for kind, ref, _data, deleted in rows if kind == EntryKind.FACE and not deleted]
    vectors = dict(FaceTemplate.objects.filter(pk__in=face_ids, deleted_at__isnull=True)
                   .values_list("pk", "template_cipher"))
    for kind, ref_id, data, deleted in rows:
        section = ENTRY_SECTIONS[kind]
        if deleted:
            # a refused visitor pass is deleted by its pass id, the one thing the door knows it by
            deletes[section].append(data.get("pass_id", "") if kind == EntryKind.REVOKED_PASS else ref_id)
            continue
        if kind == EntryKind.FACE:
            cipher = vectors.get(ref_id)
            if not cipher:  # withdrawn after this row was written: its delete follows in a later version
                continue
            vector = base64.b64decode(pii.decrypt(cipher))
            data = {**data, "sealed": protocol.seal(secret, protocol.face_purpose(ref_id), vector)}
        upserts[section].append(data)
    body = {
        "version": latest, "base": 0 if full else since_version, "full": full,
        "upserts": upserts, "deletes": deletes, "tz": settings.TIME_ZONE,
        "credential_key": protocol.seal(secret, protocol.CREDENTIAL_KEY_PURPOSE, access_credential_key()) if full else "",
        "platform_key": signing.platform_public_key_text() if full else "",
    }
    return body


@transaction.atomic
def device_sync_applied(device: Device, version: int, *, now: datetime | None = None) -> int:
    """The device acked ``sync_applied``: record its version (never beyond what was
    issued, never backwards) and mark templates pushed up to it as present.
    Returns the version recorded."""
    now = now or timezone.now()
    latest = device_latest_version(device)
    version = max(0, min(version, latest))
    Device.objects.filter(pk=device.pk, synced_version__lt=version).update(synced_version=version)
    TemplatePlacement.objects.filter(
        device=device, state=TemplatePlacement.State.TO_PUSH, version__lte=version,
    ).update(state=TemplatePlacement.State.PRESENT, confirmed_at=now)
    return version


def access_history_compact(*, upto_version: int) -> int:
    """Forget deletions at or below ``upto_version``; devices behind it get a full
    snapshot instead of a delta. Returns how many tombstones were removed."""
    with transaction.atomic():
        removed, _ = DeviceEntry.objects.filter(deleted=True, version__lte=upto_version).delete()
        Device.objects.filter(history_floor__lt=upto_version).update(history_floor=upto_version)
    return removed
