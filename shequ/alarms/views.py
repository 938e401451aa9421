"""Alarm pages: the live consoles (guard room, community police, street), the alarm
history, one alarm with its timeline and police forwards, the response-time
figures, and the POSTs that acknowledge, dispatch, mark on scene, annotate, close
and forward an alarm to the police platform.

The consoles post with ``Accept: application/json`` and get the alarm's new state
(or the refusal) back as JSON; the detail page posts plain forms.
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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shequ.access.models import CredentialKind, EventKind
from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.accounts.scope import grant_paths, user_can
from shequ.accounts.views.access import staff_page
from shequ.alarms import payloads, selectors, services, stats
from shequ.alarms.forms import AlarmFilterForm, StatsForm
from shequ.alarms.models import (Alarm, AlarmActionKind, AlarmKind, AlarmSource, AlarmStatus, EscalationLevel,
                                 PoliceStatus)
from shequ.alarms.routing import websocket_urlpatterns
from shequ.registry import selectors as registry_selectors
from shequ.registry.models.area import LEVEL_DEPTH, AreaLevel

#: the URL name of each step (the consoles build /alarms/{id}/{step}/ from the same paths)
STEP_URL_NAME = {
    AlarmActionKind.ACKNOWLEDGED: "alarms:alarm_acknowledge", AlarmActionKind.DISPATCHED: "alarms:alarm_dispatch",
    AlarmActionKind.ON_SCENE: "alarms:alarm_on_scene", AlarmActionKind.CLOSED: "alarms:alarm_close",
    AlarmActionKind.NOTE: "alarms:alarm_note",
}

#: mode -> the path of its console's socket
_WS_PATHS = {pattern.name.removeprefix("alarms_").removesuffix("_ws"): "/" + str(pattern.pattern)
             for pattern in websocket_urlpatterns}
_WS_PATHS["guard"] = _WS_PATHS.pop("console")
_CONSOLE_TITLES = {"guard": gettext_lazy("门岗值班台"), "police": gettext_lazy("社区民警值班台"),
                   "street": gettext_lazy("街道督办台")}


def _fetch(request: HttpRequest, pk: int) -> Alarm:
    """One scoped fetch: an alarm outside the user's areas does not exist for them."""
    try:
        return selectors.alarm_get(user=request.user, pk=pk)
    except Alarm.DoesNotExist as exc:
        raise Http404 from exc


def _can_forward(user, area=None) -> bool:
    return user_can(user, Capability.ALARMS_POLICE, area) or user_can(user, Capability.ALARMS_HANDLE, area)


def _console_links(user) -> dict[str, bool]:
    """Which consoles the page header offers: the street console to those who watch a street or more."""
    street_depth = LEVEL_DEPTH[AreaLevel.STREET]
    return {"guard": user_can(user, Capability.ALARMS_VIEW), "police": user_can(user, Capability.ALARMS_POLICE),
            # a path holds one id per level from the city down
            "street": any(len(path.strip("/").split("/")) <= street_depth + 1
                          for path in grant_paths(user, Capability.ALARMS_VIEW))}


def _console_config(request: HttpRequest, mode: selectors.ConsoleMode) -> dict:
    return {
        "mode": mode.name,
        "wsPath": _WS_PATHS[mode.name],
        "showEvents": mode.events,
        "canHandle": user_can(request.user, Capability.ALARMS_HANDLE),
        "canForward": _can_forward(request.user),
        "actionUrl": reverse("alarms:alarm_acknowledge", args=[0]).replace("/0/acknowledge/", "/{id}/{step}/"),
        "timeZone": settings.TIME_ZONE,
        "csrfToken": get_token(request),
        "labels": {
            "alarmKind": {value: str(label) for value, label in AlarmKind.choices},
            "alarmStatus": {value: str(label) for value, label in AlarmStatus.choices},
            "alarmSource": {value: str(label) for value, label in AlarmSource.choices},
            "escalation": {str(value): str(label) for value, label in EscalationLevel.choices},
            "policeStatus": {value: str(label) for value, label in PoliceStatus.choices},
            "eventKind": {value: str(label) for value, label in EventKind.choices},
            "credentialKind": {value: str(label) for value, label in CredentialKind.choices},
            "direction": {"in": _("进"), "out": _("出")},
            "ui": {
                "connecting": _("正在连接…"), "live": _("实时"), "retrying": _("连接中断，正在重连…"),
                "acknowledge": _("确认"), "dispatch": _("派警"), "onScene": _("已到场"), "close": _("关闭报警"),
                "forward": _("推送公安"), "details": _("详情"),
                "notePlaceholder": _("处理情况（可选）"), "repeats": _("再次触发 %(n)s 次"),
                "occurred": _("发生"), "acknowledgedBy": _("确认"), "dispatchedBy": _("派警"),
                "onSceneBy": _("到场"), "reporter": _("报警人电话"), "policeLink": _("公安平台"),
                "soundOn": _("报警声音：开"), "soundOff": _("报警声音：关"), "failed": _("操作失败，请重试。"),
                "noPerson": "—",
            },
        },
    }


def _console(request: HttpRequest, mode: selectors.ConsoleMode) -> HttpResponse:
    return render(request, "alarms/console.html", {
        "config": _console_config(request, mode), "mode": mode.name, "title": _CONSOLE_TITLES[mode.name],
        "links": _console_links(request.user),
    })


@staff_page(Capability.ALARMS_VIEW)
def console(request: HttpRequest) -> HttpResponse:
    return _console(request, selectors.GUARD)


@staff_page(Capability.ALARMS_POLICE)
def police_console(request: HttpRequest) -> HttpResponse:
    return _console(request, selectors.POLICE)


@staff_page(Capability.ALARMS_VIEW)
def street_console(request: HttpRequest) -> HttpResponse:
    return _console(request, selectors.STREET)


@staff_page(Capability.ALARMS_VIEW)
def alarm_list(request: HttpRequest) -> HttpResponse:
    form = AlarmFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    alarms = selectors.alarm_list(user=request.user, status=filters.get("status", ""), kind=filters.get("kind", ""),
                                  source=filters.get("source", ""), escalation=filters.get("escalation"))
    page = registry_selectors.paginate(alarms, registry_selectors.page_number(request.GET.get("page")))
    registry_selectors.attach_addresses(page.rows)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "alarms/alarm_list.html", {
        "form": form, "page": page, "rows": page.rows, "query": query.urlencode(),
        "links": _console_links(request.user),
    })


@staff_page(Capability.ALARMS_VIEW)
def alarm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alarm = _fetch(request, pk)
    return render(request, "alarms/alarm_detail.html", {
        "alarm": alarm,
        "place": registry_selectors.address_labels([alarm.area])[alarm.area_id],
        "actions": selectors.alarm_timeline(alarm=alarm),
        "forwards": selectors.alarm_police_forwards(alarm=alarm),
        "can_handle": user_can(request.user, Capability.ALARMS_HANDLE, alarm.area),
        "can_forward": alarm.is_open and alarm.police_status not in (PoliceStatus.PENDING, PoliceStatus.SENT)
        and _can_forward(request.user, alarm.area),
        "steps": [(step, reverse(STEP_URL_NAME[step], args=[alarm.pk]), AlarmActionKind(step).label)
                  for step in services.offered_steps(alarm)],
    })


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _refused(request: HttpRequest, pk: int, exc: ValidationError) -> HttpResponse:
    errors = [{"field": field, "code": error.code or "invalid", "message": message}
              for field, error_list in exc.error_dict.items()
              for error in error_list for message in error.messages]
    if _wants_json(request):
        conflict = errors[0]["code"] in ("illegal_transition", "already_forwarded", "closed")
        return JsonResponse({"detail": errors}, status=409 if conflict else 422)
    for error in errors:
        messages.error(request, error["message"])
    return redirect("alarms:alarm_detail", pk=pk)


def _forbidden(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": _("您无权处置该报警。"), "code": "forbidden"}, status=403)
    raise PermissionDenied


def _answer(request: HttpRequest, alarm: Alarm) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"alarm": payloads.alarm_items([alarm])[0]})
    return redirect("alarms:alarm_detail", pk=alarm.pk)


def _act(request: HttpRequest, pk: int, service: Callable[..., Alarm]) -> HttpResponse:
    alarm = _fetch(request, pk)
    try:
        alarm = service(alarm=alarm, actor=Actor.from_request(request), note=request.POST.get("note", ""))
    except PermissionDenied:
        return _forbidden(request)
    except ValidationError as exc:
        return _refused(request, pk, exc)
    return _answer(request, alarm)


@require_POST
@staff_page(Capability.ALARMS_VIEW)
def alarm_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.alarm_acknowledge)


@require_POST
@staff_page(Capability.ALARMS_VIEW)
def alarm_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.alarm_dispatch)


@require_POST
@staff_page(Capability.ALARMS_VIEW)
def alarm_on_scene(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.alarm_on_scene)


@require_POST
@staff_page(Capability.ALARMS_VIEW)
def alarm_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.alarm_close)


@require_POST
@staff_page(Capability.ALARMS_VIEW)
def alarm_note(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.alarm_note)


@require_POST
@staff_page(Capability.ALARMS_VIEW)
def alarm_forward(request: HttpRequest, pk: int) -> HttpResponse:
    """Forward to the police platform; the first try runs before the answer (bounded by the link's timeout)."""
    alarm = _fetch(request, pk)
    try:
        forward = services.police_forward(alarm=alarm, actor=Actor.from_request(request))
    except PermissionDenied:
        return _forbidden(request)
    except ValidationError as exc:
        return _refused(request, pk, exc)
    alarm = _fetch(request, pk)  # the first try has run: show what came of it
    if not _wants_json(request):
        latest = forward.attempts.order_by("-number").first()
        level = messages.SUCCESS if alarm.police_status == PoliceStatus.SENT else messages.WARNING
        messages.add_message(request, level, _("公安平台：%(status)s") % {"status": alarm.get_police_status_display()}
                             + (f"（{latest.error or latest.http_status}）" if latest and not latest.ok else ""))
    return _answer(request, alarm)


@staff_page(Capability.ALARMS_VIEW)
def alarm_stats(request: HttpRequest) -> HttpResponse:
    form = StatsForm(request.GET)
    rows = []
    if form.is_valid():
        data = form.cleaned_data
        rows = stats.alarm_response_stats(user=request.user, start=data["start"], end=data["end"],
                                          kind=data.get("kind", ""))
    return render(request, "alarms/alarm_stats.html", {
        "form": form, "rows": rows, "steps": [step for step, _field in stats.STEPS],
        "start": form.cleaned_data.get("start") if form.is_valid() else None,
        "end": form.cleaned_data.get("end") if form.is_valid() else None,
        "links": _console_links(request.user),
    })

