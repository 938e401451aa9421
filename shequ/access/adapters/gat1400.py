"""GA/T 1400 (公安视频图像信息应用系统 视图库) capture upload: motor vehicles and faces.

A capture device (APE) registers with ``POST /VIID/System/Register`` under HTTP
Digest authentication, keeps alive with ``/VIID/System/Keepalive`` and uploads
``MotorVehicleListObject`` / ``FaceListObject`` JSON (``application/VIID+JSON``).
Every answer is a ``ResponseStatusObject`` (a list of them for uploads).

Devices are named by their 20-digit GA/T 1400 DeviceID. A car-gate camera
watches one lane; its ``Device.device_id`` is the DeviceID itself or the
DeviceID with "-in" / "-out" appended, which gives the direction when the record
does not carry the community extension ``InOut``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from django.utils import timezone

from shequ.access.adapters.base import Decoded, VendorAdapter, VendorRecord
from shequ.access.models import Device, EventKind
from shequ.access.services.ingest import QuarantineRow

REALM = "VIID"
CONTENT_TYPE = "application/VIID+JSON; charset=UTF-8"
EVENT_ID_MAX = 64


class Status:
    """ResponseStatusObject.StatusCode values of the standard."""

    OK = "0"
    OTHER_ERROR = "1"
    DEVICE_BUSY = "2"
    DEVICE_ERROR = "3"
    INVALID_OPERATION = "4"
    INVALID_JSON_FORMAT = "7"
    INVALID_JSON_CONTENT = "8"


STATUS_STRINGS = {
    Status.OK: "OK", Status.OTHER_ERROR: "Other Error", Status.DEVICE_BUSY: "Device Busy",
    Status.DEVICE_ERROR: "Device Error", Status.INVALID_OPERATION: "Invalid Operation",
    Status.INVALID_JSON_FORMAT: "Invalid JSON Format", Status.INVALID_JSON_CONTENT: "Invalid JSON Content",
}

#: resource -> (list object, item object, record id field, record time fields in order of preference, prefix)
RESOURCES = {
    "MotorVehicles": ("MotorVehicleListObject", "MotorVehicleObject", "MotorVehicleID",
                      ("PassTime", "AppearTime", "MarkTime"), "mv"),
    "Faces": ("FaceListObject", "FaceObject", "FaceID", ("FaceAppearTime", "LocationMarkTime", "ShotTime"), "fc"),
}


class BadContent(ValueError):
    """A record (or a whole body) that cannot be used; the message is the reason."""


def local_time(now: datetime | None = None) -> str:
    return timezone.localtime(now or timezone.now()).strftime("%Y%m%d%H%M%S")


def response_status(*, url: str, code: str = Status.OK, object_id: str = "", message: str = "",
                    now: datetime | None = None) -> dict:
    return {"RequestURL": url, "StatusCode": code, "StatusString": message or STATUS_STRINGS.get(code, ""),
            "Id": object_id, "LocalTime": local_time(now)}


def parse_time(value) -> datetime:
    """GA/T 1400 times are local "YYYYMMDDhhmmss" (some devices add milliseconds)."""
    text = str(value or "").strip()
    if not text.isdigit() or len(text) not in (14, 17):
        raise BadContent(f"time {text[:20]!r} is not YYYYMMDDhhmmss")
    try:
        moment = datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    except ValueError as exc:
        raise BadContent(f"time {text!r}: {exc}") from None
    return timezone.make_aware(moment)


def event_id_for(prefix: str, record_id: str, fallback: tuple) -> str:
    """An event id from the vendor's record id, stable across resends; hashed when too long or absent."""
    if record_id and len(record_id) + len(prefix) + 1 <= EVENT_ID_MAX and record_id.isprintable():
        return f"{prefix}:{record_id}"
    source = record_id or "|".join(str(part) for part in fallback)
    return f"{prefix}:h:{hashlib.sha256(source.encode()).hexdigest()[:40]}"


def request_json(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadContent(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadContent("the body is not a JSON object")
    return data


def named_object(data: dict, name: str, field: str = "DeviceID") -> str:
    """The DeviceID of a ``RegisterObject`` / ``KeepaliveObject`` / ``UnRegisterObject``."""
    inner = data.get(name)
    if not isinstance(inner, dict) or not isinstance(inner.get(field), str) or not inner[field]:
        raise BadContent(f"{name}.{field} is missing")
    return inner[field]


class Gat1400Adapter(VendorAdapter):
    protocol = Device.Protocol.GAT1400

    def device_id_aliases(self, vendor_device_id: str) -> list[str]:
        return [f"{vendor_device_id}-in", f"{vendor_device_id}-out"]

    def lane_direction(self, device: Device, record: dict) -> str:
        in_out = str(record.get("InOut", "")).strip().lower()
        if in_out in ("in", "1"):
            return "in"
        if in_out in ("out", "2"):
            return "out"
        for direction in ("in", "out"):
            if device.device_id.endswith(f"-{direction}"):
                return direction
        return ""

    def items(self, resource: str, body: bytes) -> list:
        """The records of a list upload; raises BadContent for a body that is not one."""
        list_name, item_name, *_rest = RESOURCES[resource]
        data = request_json(body)
        container = data.get(list_name)
        items = container.get(item_name) if isinstance(container, dict) else None
        if not isinstance(items, list):
            raise BadContent(f"{list_name}.{item_name} is missing or not a list")
        return items

    def decode_item(self, *, device: Device, resource: str, item) -> VendorRecord:
        _list, _item, id_field, time_fields, prefix = RESOURCES[resource]
        if not isinstance(item, dict):
            raise BadContent("a record is not a JSON object")
        vendor_id = item.get("DeviceID") or ""
        if vendor_id and self.vendor_id(device) != vendor_id:
            raise BadContent(f"record of device {str(vendor_id)[:30]!r} sent by {self.vendor_id(device)!r}")
        stamp = next((item[name] for name in time_fields if item.get(name)), None)
        if stamp is None and resource == "Faces":
            stamp = _first_shot_time(item)
        occurred_at = parse_time(stamp)
        record_id = str(item.get(id_field) or "")
        details = {"vendor": "gat1400", "record_id": record_id[:64]}
        if resource == "MotorVehicles":
            plate_text = item.get("PlateNo") or ""
            if not isinstance(plate_text, str):
                raise BadContent("PlateNo is not text")
            for key in ("PlateColor", "VehicleClass", "VehicleColor", "LaneNo"):
                if isinstance(item.get(key), (str, int)) and item.get(key) != "":
                    details[key] = str(item[key])[:20]
            return VendorRecord(
                device=device, event_id=event_id_for(prefix, record_id, (vendor_id, stamp, plate_text)),
                kind=EventKind.PLATE, occurred_at=occurred_at, plate_text=plate_text,
                direction=self.lane_direction(device, item), payload=details)
        # a face capture is a person passing the camera, not a decision: no person is matched here
        return VendorRecord(
            device=device, event_id=event_id_for(prefix, record_id, (vendor_id, stamp)), kind=EventKind.PASS,
            occurred_at=occurred_at, credential_kind="face", reason="face_capture",
            direction=self.lane_direction(device, item), payload=details)

    def vendor_id(self, device: Device) -> str:
        for suffix in ("-in", "-out"):
            if device.device_id.endswith(suffix):
                return device.device_id[: -len(suffix)]
        return device.device_id

    def decode(self, *, device: Device, resource: str, body: bytes) -> Decoded:
        """Records, and (per record) what was put aside; a body that is no upload at all raises BadContent."""
        decoded = Decoded()
        for index, item in enumerate(self.items(resource, body)):
            try:
                decoded.records.append(self.decode_item(device=device, resource=resource, item=item))
            except BadContent as exc:
                decoded.quarantined.append(QuarantineRow(
                    topic=f"viid/{device.device_id}/{resource}/{index}",
                    payload=json.dumps(item, ensure_ascii=False, default=str).encode(), reason=str(exc)))
        return decoded


def _first_shot_time(item: dict):
    images = item.get("SubImageList")
    images = images.get("SubImageInfoObject") if isinstance(images, dict) else None
    if isinstance(images, list) and images and isinstance(images[0], dict):
        return images[0].get("ShotTime")
    return None


adapter = Gat1400Adapter()
