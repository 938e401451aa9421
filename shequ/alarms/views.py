"""Alarm pages: the live console, the alarm history, one alarm with its timeline,
and the POSTs that acknowledge, annotate and close an alarm.

The console page posts with ``Accept: application/json`` and gets the alarm's new
state (or the refusal) back as JSON; the detail page posts plain forms.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.access.models import CredentialKind, EventKind
from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.accounts.views.access import staff_page
from shequ.alarms import payloads, selectors, services
from shequ.alarms.forms import AlarmFilterForm
from shequ.alarms.models import Alarm, AlarmActionKind, AlarmKind, AlarmStatus
from shequ.alarms.routing import websocket_urlpatterns
from shequ.registry import selectors as registry_selectors


def _fetch(request: HttpRequest, pk: int) -> Alarm:
    """One scoped fetch: an alarm outside the user's areas does not exist for them."""
    try:
        return selectors.alarm_get(user=request.user, pk=pk)
    except Alarm.DoesNotExist as exc:
        raise Http404 from exc


def _console_config(request: HttpRequest) -> dict:
    return {
        "wsPath": "/" + str(websocket_urlpatterns[0].pattern),
        "canHandle": user_can(request.user, Capability.ALARMS_HANDLE),
        "actionUrl": reverse("alarms:alarm_acknowledge", args=[0]).replace("/0/acknowledge/", "/{id}/{step}/"),
        "timeZone": settings.TIME_ZONE,
        "csrfToken": get_token(request),
        "labels": {
            "alarmKind": {value: str(label) for value, label in AlarmKind.choices},
            "alarmStatus": {value: str(label) for value, label in AlarmStatus.choices},
            "eventKind": {value: str(label) for value, label in EventKind.choices},
            "credentialKind": {value: str(label) for value, label in CredentialKind.choices},
            "direction": {"in": _("进"), "out": _("出")},
            "ui": {
                "connecting": _("正在连接…"), "live": _("实时"), "retrying": _("连接中断，正在重连…"),
                "acknowledge": _("确认"), "close": _("关闭报警"), "details": _("详情"),
                "notePlaceholder": _("处理情况（可选）"), "repeats": _("再次触发 %(n)s 次"),
                "occurred": _("发生"), "acknowledgedBy": _("确认"), "soundOn": _("报警声音：开"),
                "soundOff": _("报警声音：关"), "failed": _("操作失败，请重试。"), "noPerson": "—",
            },
        },
    }


@staff_page(Capability.ALARMS_VIEW)
def console(request: HttpRequest) -> HttpResponse:
    return render(request, "alarms/console.html", {"config": _console_config(request)})


@staff_page(Capability.ALARMS_VIEW)
def alarm_list(request: HttpRequest) -> HttpResponse:
    form = AlarmFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    alarms = selectors.alarm_list(user=request.user, status=filters.get("status", ""), kind=filters.get("kind", ""))
    page = registry_selectors.paginate(alarms, registry_selectors.page_number(request.GET.get("page")))
    registry_selectors.attach_addresses(page.rows)
    return render(request, "alarms/alarm_list.html", {"form": form, "page": page, "rows": page.rows})


@staff_page(Capability.ALARMS_VIEW)
def alarm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alarm = _fetch(request, pk)
    return render(request, "alarms/alarm_detail.html", {
        "alarm": alarm,
        "place": registry_selectors.address_labels([alarm.area])[alarm.area_id],
        "actions": selectors.alarm_timeline(alarm=alarm),
        "can_handle": user_can(request.user, Capability.ALARMS_HANDLE, alarm.area),
        "steps": _offered_steps(alarm),
    })


def _offered_steps(alarm: Alarm) -> list[str]:
    steps = [step for step, (allowed_from, _to) in services.TRANSITIONS.items() if alarm.status in allowed_from]
    return steps + ([AlarmActionKind.NOTE] if alarm.is_open else [])


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _act(request: HttpRequest, pk: int, service: Callable[..., Alarm]) -> HttpResponse:
    alarm = _fetch(request, pk)
    try:
        alarm = service(alarm=alarm, actor=Actor.from_request(request), note=request.POST.get("note", ""))
    except PermissionDenied:
        if _wants_json(request):
            return JsonResponse({"detail": _("您无权处置该报警。"), "code": "forbidden"}, status=403)
        raise
    except ValidationError as exc:
        errors = [{"field": field, "code": error.code or "invalid", "message": message}
                  for field, error_list in exc.error_dict.items()
                  for error in error_list for message in error.messages]
        if _wants_json(request):
            return JsonResponse({"detail": errors}, status=409 if errors[0]["code"] == "illegal_transition" else 422)
        for error in errors:
            messages.error(request, error["message"])
        return redirect("alarms:alarm_detail", pk=pk)
    if _wants_json(request):
        return JsonResponse({"alarm": payloads.alarm_items([alarm])[0]})
    return redirect("alarms:alarm_detail", pk=alarm.pk)


@require_POST
@staff_page(Capability.ALARMS_VIEW)
def alarm_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.alarm_acknowledge)


@require_POST
@staff_page(Capability.ALARMS_VIEW)
def alarm_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.alarm_close)


@require_POST
@staff_page(Capability.ALARMS_VIEW)
def alarm_note(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.alarm_note)
