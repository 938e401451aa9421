"""The kiosk page of a terminal proves it is that device with a key derived from the device secret."""

from __future__ import annotations

import hashlib
import hmac

from shequ.access.models import Device
from shequ.access.services.devices import device_secret


def terminal_key(device: Device) -> str:
    return hmac.new(device_secret(device).encode(), b"intercom-terminal", hashlib.sha256).hexdigest()[:32]


def terminal_key_ok(device: Device, key: str) -> bool:
    return bool(key) and hmac.compare_digest(terminal_key(device), key)
