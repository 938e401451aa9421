"""The gateway's copy of the active devices: ids, secrets, sync versions.

Every message is verified against its device's secret, thousands a second, so
the secrets are held in memory (decrypted once) and refreshed from the database
in the background; a device registered a moment ago is looked up on its first
message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(eq=False)
class DeviceInfo:
    pk: int
    device_id: str
    secret: str
    #: the newest sync version compiled for the device (what ``state`` announces)
    latest_version: int
    #: the version the device last said it applied (heartbeat, ``sync_applied``)
    synced_version: int
    #: the guard-room console group its events go to (its complex); None if unknown
    console_group: int | None = None


class DeviceDirectory:
    #: seconds an unknown device id is not looked up again (junk ids must not hammer the database)
    MISS_TTL = 30.0

    def __init__(self, clock=time.monotonic) -> None:
        self._by_id: dict[str, DeviceInfo] = {}
        self._by_pk: dict[int, DeviceInfo] = {}
        self._misses: dict[str, float] = {}
        self._clock = clock

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self):
        return iter(list(self._by_id.values()))

    def get(self, device_id: str) -> DeviceInfo | None:
        return self._by_id.get(device_id)

    def get_by_pk(self, pk: int) -> DeviceInfo | None:
        return self._by_pk.get(pk)

    def replace(self, devices: list[DeviceInfo]) -> None:
        """Take a fresh load; versions the gateway learned since stay if newer."""
        fresh = {}
        for info in devices:
            old = self._by_id.get(info.device_id)
            if old is not None and old.pk == info.pk:
                # the poll may have seen a newer version; the device's own last word beats the stored one
                info.latest_version = max(info.latest_version, old.latest_version)
                info.synced_version = old.synced_version
            fresh[info.device_id] = info
        self._by_id = fresh
        self._by_pk = {info.pk: info for info in fresh.values()}
        self._misses.clear()

    def add(self, info: DeviceInfo) -> None:
        self._by_id[info.device_id] = info
        self._by_pk[info.pk] = info
        self._misses.pop(info.device_id, None)

    def forget(self, device_id: str) -> None:
        info = self._by_id.pop(device_id, None)
        if info is not None:
            self._by_pk.pop(info.pk, None)

    def missed(self, device_id: str) -> None:
        """Remember that ``device_id`` was looked up and is not an active device."""
        if len(self._misses) > 10_000:  # bounded: a flood of random ids must not grow it forever
            self._misses.clear()
        self._misses[device_id] = self._clock()

    def recently_missed(self, device_id: str) -> bool:
        at = self._misses.get(device_id)
        return at is not None and self._clock() - at < self.MISS_TTL


# --- loading (run on a database worker thread) ---------------------------------------------------------------------

def devices_load() -> list[DeviceInfo]:
    """Every active device with its secret."""
    from shequ.access.models import Device

    return [_info(row) for row in _rows(Device.objects.filter(is_active=True))]


def device_load(device_id: str) -> DeviceInfo | None:
    """One active device, or None."""
    from shequ.access.models import Device

    rows = _rows(Device.objects.filter(is_active=True, device_id=device_id))
    return _info(rows[0]) if rows else None


def _rows(queryset) -> list[tuple]:
    return list(queryset.values_list("pk", "device_id", "secret_cipher", "latest_version", "synced_version",
                                     "area__path", "area__level"))


def _info(row: tuple) -> DeviceInfo:
    from shequ.alarms.broadcast import home_area_id
    from shequ.core import pii

    pk, device_id, cipher, latest, synced, path, level = row
    try:
        group = home_area_id(path, level)
    except (ValueError, IndexError):  # a malformed area path: its events still stream, ungrouped
        group = None
    return DeviceInfo(pk=pk, device_id=device_id, secret=pii.decrypt(cipher), latest_version=latest,
                      synced_version=synced, console_group=group)
