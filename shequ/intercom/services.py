"""Call lifecycle and remote unlock. Every state change goes through here."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.access.models import AccessEvent, Device, DeviceKind
from shequ.access.services.outbound import outbound_command
from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Role
from shequ.accounts.scope import _grants
from shequ.intercom.models import CallStatus, IntercomCall
from shequ.registry.models import Area, House

RING_TIMEOUT = timedelta(seconds=45)
CALLER_KINDS = {DeviceKind.OUTDOOR_TERMINAL, DeviceKind.UNIT_DOOR, DeviceKind.GATE}


def complex_of(area: Area) -> Area:
    """The complex an area lies in (the guard room's scope)."""
    if area.level == Area.Level.COMPLEX:
        return area
    ids = [int(part) for part in area.path.strip("/").split("/") if part]
    found = Area.objects.filter(pk__in=ids, level=Area.Level.COMPLEX).first()
    if found is None:
        raise ValidationError({"device": _("该设备不在任何小区内。")})
    return found


def _paths(user, role: str) -> list[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    return [path for grant_role, path in _grants(user) if grant_role == role]


def user_is_callee(*, user, call: IntercomCall) -> bool:
    """Residents of the called house, or guards of the terminal's complex."""
    complex_path = complex_of(call.caller_device.area).path
    if any(complex_path.startswith(path) for path in _paths(user, Role.GUARD)):
        return True
    if call.to_guard_room:
        return False
    return any(call.callee_area.path.startswith(path) for path in _paths(user, Role.RESIDENT))


def _user_near(user, call: IntercomCall) -> bool:
    """Any grant overlapping the call's complex: such users learn the call exists (403), others get 404."""
    complex_path = complex_of(call.caller_device.area).path
    return any(path.startswith(complex_path) or complex_path.startswith(path) for _r, path in _grants(user)) \
        if user is not None and user.is_authenticated else False


def call_get_for_user(*, user, call_id: int) -> IntercomCall:
    """The call if the user may take part in it; 404 for outsiders, 403 for neighbours."""
    call = IntercomCall.objects.select_related("caller_device__area", "callee_area").filter(pk=call_id).first()
    if call is None or not _user_near(user, call):
        raise Http404
    if not user_is_callee(user=user, call=call):
        raise PermissionDenied(_("您无权处理此呼叫。"))
    return call


def call_start(*, device: Device, house_number: str = "", guard_room: bool = False) -> IntercomCall:
    """A visitor dials a house number (in the terminal's complex) or the guard room."""
    if device.kind not in CALLER_KINDS or not device.is_active:
        raise ValidationError({"device": _("该设备不能发起对讲。")})
    complex_area = complex_of(device.area)
    if guard_room:
        callee = complex_area
    else:
        house_number = (house_number or "").strip()
        houses = House.objects.select_related("area").filter(
            area__path__startswith=device.area.path if device.kind == DeviceKind.UNIT_DOOR else complex_area.path,
            number=house_number)
        houses = list(houses[:2])
        if len(houses) != 1:
            raise ValidationError({"house_number": _("找不到该房号。")})
        callee = houses[0].area
    call = IntercomCall.objects.create(caller_device=device, callee_area=callee, to_guard_room=guard_room,
                                       started_at=timezone.now())
    audit_append(actor=Actor.system(via="intercom"), action="intercom.call", obj=call, area_path=callee.path,
                 detail={"device": device.device_id, "guard_room": guard_room})
    return call


def calls_expire(*, now=None) -> int:
    """Ringing calls past the ring timeout become missed."""
    now = now or timezone.now()
    return IntercomCall.objects.filter(status=CallStatus.RINGING, started_at__lte=now - RING_TIMEOUT).update(
        status=CallStatus.MISSED, ended_at=now)


def call_answer(*, call: IntercomCall, actor: Actor) -> IntercomCall:
    """The callee takes the call (first answer wins)."""
    calls_expire()  # committed even when the answer below is refused
    with transaction.atomic():
        return _call_answer(call=call, actor=actor)


def _call_answer(*, call: IntercomCall, actor: Actor) -> IntercomCall:
    call = IntercomCall.objects.select_for_update().select_related("caller_device__area", "callee_area").get(pk=call.pk)
    if not user_is_callee(user=actor.user, call=call):
        raise PermissionDenied(_("您无权接听此呼叫。"))
    if call.status != CallStatus.RINGING:
        raise ValidationError({"status": _("呼叫已结束。")})
    call.status = CallStatus.ANSWERED
    call.answered_at = timezone.now()
    call.answered_by = actor.user
    call.save(update_fields=["status", "answered_at", "answered_by"])
    return call


@transaction.atomic
def call_reject(*, call: IntercomCall, actor: Actor) -> IntercomCall:
    call = IntercomCall.objects.select_for_update().select_related("caller_device__area", "callee_area").get(pk=call.pk)
    if not user_is_callee(user=actor.user, call=call):
        raise PermissionDenied(_("您无权处理此呼叫。"))
    if call.status == CallStatus.RINGING:
        call.status = CallStatus.REJECTED
        call.ended_at = timezone.now()
        call.save(update_fields=["status", "ended_at"])
    return call


@transaction.atomic
def call_end(*, call: IntercomCall) -> IntercomCall:
    """Either side hangs up; a call nobody answered counts as missed."""
    call = IntercomCall.objects.select_for_update().get(pk=call.pk)
    if call.ended_at is None:
        call.status = CallStatus.ENDED if call.status == CallStatus.ANSWERED else (
            CallStatus.MISSED if call.status == CallStatus.RINGING else call.status)
        call.ended_at = timezone.now()
        call.save(update_fields=["status", "ended_at"])
    return call


#: seconds the door stays unlocked after a remote "open"
UNLOCK_SECONDS = 5


@transaction.atomic
def call_unlock(*, call: IntercomCall, actor: Actor) -> AccessEvent:
    """Open the calling door: recorded as an access event, audited, and queued as an "open" command."""
    call = IntercomCall.objects.select_for_update().select_related("caller_device__area", "callee_area").get(pk=call.pk)
    if not user_is_callee(user=actor.user, call=call):
        raise PermissionDenied(_("您无权开门。"))
    if call.status not in (CallStatus.ANSWERED, CallStatus.RINGING) or call.ended_at is not None:
        raise ValidationError({"status": _("呼叫已结束,无法开门。")})
    now = timezone.now()
    call.unlocked_at = now
    call.unlocked_by = actor.user
    # the gateway publishes it to the door within a poll; a command not out in time is dropped
    call.unlock_cmd_id = outbound_command(device=call.caller_device, cmd="open", params={"seconds": UNLOCK_SECONDS})
    call.save(update_fields=["unlocked_at", "unlocked_by", "unlock_cmd_id"])
    event = AccessEvent.objects.create(
        device=call.caller_device, event_id=f"intercom-{call.pk}-{call.unlock_cmd_id[:8]}",
        kind=AccessEvent.Kind.REMOTE_UNLOCK, occurred_at=now, received_at=now, reason="intercom",
        payload={"intercom_call": call.pk, "opened_by": actor.user.pk, "opened_by_name": str(actor.user),
                 "cmd_id": call.unlock_cmd_id})
    audit_append(actor=actor, action="intercom.unlock", obj=call, area_path=call.caller_device.area.path,
                 detail={"device": call.caller_device.device_id, "event": event.event_id})
    return event


def missed_calls_for_user(*, user):
    """Missed calls of the user's households and guard rooms."""
    calls = IntercomCall.objects.select_related("caller_device", "callee_area").filter(status=CallStatus.MISSED)
    q = Q(pk__in=[])
    for path in _paths(user, Role.RESIDENT):
        q |= Q(callee_area__path__startswith=path, to_guard_room=False)
    for path in _paths(user, Role.GUARD):
        q |= Q(caller_device__area__path__startswith=path)
    return calls.filter(q)[:50]


def ringing_calls_for_user(*, user):
    calls_expire()
    calls = IntercomCall.objects.select_related("caller_device", "callee_area").filter(status=CallStatus.RINGING)
    return [call for call in calls if user_is_callee(user=user, call=call)]
