"""The kiosk: the page a terminal's browser shows full screen. It is the device, not a
person: it proves so with the key derived from its secret (``?key=``, as the intercom
terminal page), and sees only what its place in the area tree gives it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from shequ.accounts.audit import client_ip
from shequ.terminals import selectors, services

#: seconds between the kiosk's polls for notices and its alarm's state
POLL_SECONDS = 5


def _key(request: HttpRequest) -> str:
    return request.POST.get("key") or request.GET.get("key") or ""


def _live_context(device, key: str, **extra) -> dict:
    return {"device": device, "key": key, "notices": selectors.kiosk_notices(device),
            "sos": selectors.kiosk_sos_latest(device), "poll_seconds": POLL_SECONDS, **extra}


@require_GET
def kiosk(request: HttpRequest, device_id: str) -> HttpResponse:
    key = _key(request)
    device = selectors.kiosk_device_get(device_id=device_id, key=key)
    return render(request, "terminals/kiosk.html", _live_context(device, key))


@require_GET
def kiosk_live(request: HttpRequest, device_id: str) -> HttpResponse:
    key = _key(request)
    device = selectors.kiosk_device_get(device_id=device_id, key=key)
    return render(request, "terminals/kiosk_fragment_live.html", _live_context(device, key))


@require_POST
def kiosk_sos(request: HttpRequest, device_id: str) -> HttpResponse:
    key = _key(request)
    device = selectors.kiosk_device_get(device_id=device_id, key=key)
    error = ""
    try:
        services.kiosk_sos(device=device, ip=client_ip(request))
    except ValidationError as exc:
        error = " ".join(exc.messages)
    response = render(request, "terminals/kiosk_fragment_live.html", _live_context(device, key, sos_error=error))
    if error:
        response.status_code = 422
    return response
