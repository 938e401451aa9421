"""Kiosk (terminal) and callee pages. Terminals authenticate with their key, callees with their login."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from shequ.access.models import Device
from shequ.accounts.audit import Actor
from shequ.intercom import services
from shequ.intercom.models import IntercomCall
from shequ.intercom.terminal_auth import terminal_key_ok


def _terminal_device(request: HttpRequest, device_id: str) -> Device:
    device = get_object_or_404(Device.objects.select_related("area"), device_id=device_id, is_active=True)
    key = request.GET.get("key") or request.POST.get("key") or ""
    if not terminal_key_ok(device, key):
        raise Http404
    return device


def terminal(request: HttpRequest, device_id: str) -> HttpResponse:
    device = _terminal_device(request, device_id)
    return render(request, "intercom/terminal.html", {"device": device, "key": request.GET["key"]})


def _errors(exc: ValidationError) -> JsonResponse:
    return JsonResponse({"errors": exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}}, status=422)


@require_POST
def terminal_call(request: HttpRequest, device_id: str) -> JsonResponse:
    device = _terminal_device(request, device_id)
    try:
        call = services.call_start(device=device, house_number=request.POST.get("house_number", ""),
                                   guard_room=request.POST.get("guard_room") == "1")
    except ValidationError as exc:
        return _errors(exc)
    return JsonResponse({"call": call.pk, "ring_seconds": int(services.RING_TIMEOUT.total_seconds())})


@require_POST
def terminal_end(request: HttpRequest, device_id: str, call_id: int) -> JsonResponse:
    device = _terminal_device(request, device_id)
    call = get_object_or_404(IntercomCall, pk=call_id, caller_device=device)
    call = services.call_end(call=call)
    return JsonResponse({"status": call.status})


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    context = {
        "ringing": services.ringing_calls_for_user(user=request.user),
        "missed": services.missed_calls_for_user(user=request.user),
    }
    template = "intercom/inbox_fragment_calls.html" if request.headers.get("HX-Request") else "intercom/inbox.html"
    return render(request, template, context)


def _act(request: HttpRequest, call_id: int, action) -> JsonResponse:
    call = services.call_get_for_user(user=request.user, call_id=call_id)
    try:
        result = action(call=call, actor=Actor.from_request(request))
    except ValidationError as exc:
        return _errors(exc)
    except PermissionDenied:
        return JsonResponse({"errors": {"": ["forbidden"]}}, status=403)
    if isinstance(result, IntercomCall):
        return JsonResponse({"status": result.status})
    return JsonResponse({"event": result.event_id})


@login_required
@require_POST
def call_answer(request: HttpRequest, call_id: int) -> JsonResponse:
    return _act(request, call_id, services.call_answer)


@login_required
@require_POST
def call_reject(request: HttpRequest, call_id: int) -> JsonResponse:
    return _act(request, call_id, services.call_reject)


@login_required
@require_POST
def call_unlock(request: HttpRequest, call_id: int) -> JsonResponse:
    return _act(request, call_id, services.call_unlock)
