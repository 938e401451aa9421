"""The HTTP endpoints a GA/T 1400 device posts to (mounted at ``/VIID/``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shequ.access.adapters import digest
from shequ.access.adapters.base import vendor_records_store
from shequ.access.adapters.gat1400 import (
    CONTENT_TYPE, REALM, RESOURCES, BadContent, Status, adapter, named_object, request_json, response_status,
)
from shequ.access.models import Device
from shequ.access.services import device_heartbeat_record, device_secret
from shequ.access.services.ingest import QuarantineRow, messages_quarantine

logger = logging.getLogger(__name__)


def _answer(data: dict, status: int = 200, **headers) -> HttpResponse:
    response = HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type=CONTENT_TYPE)
    for name, value in headers.items():
        response[name] = value
    return response


def _status(request: HttpRequest, code: str = Status.OK, object_id: str = "", message: str = "",
            status: int = 200, **headers) -> HttpResponse:
    body = {"ResponseStatusObject": response_status(url=request.path, code=code, object_id=object_id,
                                                    message=message)}
    return _answer(body, status, **headers)


def _authenticated(request: HttpRequest) -> tuple[Device | None, HttpResponse | None]:
    """The device named by valid Digest credentials, or the 401 to answer."""
    devices: dict[str, Device] = {}

    def password_for(username: str) -> str | None:
        device = adapter.device_for(username)
        if device is None:
            return None
        devices[username] = device
        return device_secret(device)

    header = request.headers.get("Authorization", "")
    result = digest.verify(header=header, method=request.method, realm=REALM, password_for=password_for)
    params = digest.parse_authorization(header) or {}
    if result.username is not None and params.get("uri") == request.get_full_path():
        return devices[result.username], None
    if header:
        logger.info("GA/T 1400 authentication refused for %r at %s", params.get("username", "")[:40], request.path)
    return None, _status(request, Status.INVALID_OPERATION, message="Unauthorized", status=401,
                         **{"WWW-Authenticate": digest.challenge(REALM, stale=result.stale)})


def device_view(view: Callable) -> Callable:
    """POST only, no CSRF (devices have no session), Digest-authenticated as a GA/T 1400 device."""

    @csrf_exempt
    @require_POST
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        device, refusal = _authenticated(request)
        if refusal is not None:
            return refusal
        return view(request, device, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _quarantine_body(request: HttpRequest, device: Device, reason: str) -> None:
    messages_quarantine([QuarantineRow(topic=f"viid/{device.device_id}{request.path}"[:200],
                                       payload=request.body, reason=reason)])


def _system(request: HttpRequest, device: Device, object_name: str) -> HttpResponse:
    try:
        named = named_object(request_json(request.body), object_name)
    except BadContent as exc:
        _quarantine_body(request, device, str(exc))
        return _status(request, Status.INVALID_JSON_CONTENT, message=str(exc)[:100], status=400)
    if adapter.vendor_id(device) != named:
        return _status(request, Status.INVALID_OPERATION, object_id=named[:40],
                       message="DeviceID does not match the credentials", status=403)
    device_heartbeat_record(device=device, at=timezone.now())
    return _status(request, object_id=named)


@device_view
def register(request: HttpRequest, device: Device) -> HttpResponse:
    """Registration: the Digest credentials are the device's own secret."""
    return _system(request, device, "RegisterObject")


@device_view
def keepalive(request: HttpRequest, device: Device) -> HttpResponse:
    return _system(request, device, "KeepaliveObject")


@device_view
def unregister(request: HttpRequest, device: Device) -> HttpResponse:
    return _system(request, device, "UnRegisterObject")


def _upload(request: HttpRequest, device: Device, resource: str) -> HttpResponse:
    id_field = RESOURCES[resource][2]
    try:
        items = adapter.items(resource, request.body)
    except BadContent as exc:
        _quarantine_body(request, device, str(exc))
        code = Status.INVALID_JSON_FORMAT if str(exc).startswith("invalid JSON") else Status.INVALID_JSON_CONTENT
        return _status(request, code, message=str(exc)[:100], status=400)
    records, quarantined, statuses = [], [], []
    for index, item in enumerate(items):
        record_id = str(item.get(id_field) or "")[:64] if isinstance(item, dict) else ""
        try:
            records.append(adapter.decode_item(device=device, resource=resource, item=item))
            statuses.append(response_status(url=request.path, object_id=record_id))
        except BadContent as exc:
            quarantined.append(QuarantineRow(
                topic=f"viid/{device.device_id}/{resource}/{index}",
                payload=json.dumps(item, ensure_ascii=False, default=str).encode(), reason=str(exc)))
            statuses.append(response_status(url=request.path, code=Status.INVALID_JSON_CONTENT,
                                            object_id=record_id, message=str(exc)[:100]))
    vendor_records_store(records, quarantined=quarantined)
    return _answer({"ResponseStatusListObject": {"ResponseStatusObject": statuses}})


@device_view
def motor_vehicles(request: HttpRequest, device: Device) -> HttpResponse:
    return _upload(request, device, "MotorVehicles")


@device_view
def faces(request: HttpRequest, device: Device) -> HttpResponse:
    return _upload(request, device, "Faces")


@csrf_exempt
def system_time(request: HttpRequest) -> HttpResponse:
    """Devices set their clock from this (GA/T 1400 ``SystemTimeObject``); it reveals nothing."""
    return _answer({"SystemTimeObject": {"VIIDServerID": "", "TimeMode": "1",
                                         "LocalTime": response_status(url="")["LocalTime"],
                                         "TimeZone": timezone.get_current_timezone_name()}})
