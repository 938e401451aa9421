"""Handling an alarm, step by step: acknowledge, dispatch, on scene, close; notes on the way.

Steps go in order only (:data:`TRANSITIONS`); each stamps its time and who took
it on the alarm, appends to the timeline, writes the audit log and pushes the new
state to every console. Closing straight after acknowledging stays allowed: a
false alarm needs nobody dispatched.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.alarms import payloads
from shequ.alarms.models import Alarm, AlarmAction, AlarmActionKind, AlarmStatus
from shequ.alarms.services.common import NOTE_MAX, push

#: step -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    AlarmActionKind.ACKNOWLEDGED: (frozenset({AlarmStatus.RAISED}), AlarmStatus.ACKNOWLEDGED),
    AlarmActionKind.DISPATCHED: (frozenset({AlarmStatus.ACKNOWLEDGED}), AlarmStatus.DISPATCHED),
    AlarmActionKind.ON_SCENE: (frozenset({AlarmStatus.DISPATCHED}), AlarmStatus.ON_SCENE),
    AlarmActionKind.CLOSED: (frozenset({AlarmStatus.ACKNOWLEDGED, AlarmStatus.DISPATCHED, AlarmStatus.ON_SCENE}),
                             AlarmStatus.CLOSED),
}

#: the alarm's fields each step stamps: (time, who)
_STAMPS = {
    AlarmActionKind.ACKNOWLEDGED: ("acknowledged_at", "acknowledged_by"),
    AlarmActionKind.DISPATCHED: ("dispatched_at", "dispatched_by"),
    AlarmActionKind.ON_SCENE: ("on_scene_at", "on_scene_by"),
    AlarmActionKind.CLOSED: ("closed_at", "closed_by"),
}

_AUDIT_VERB = {AlarmActionKind.ACKNOWLEDGED: "acknowledge", AlarmActionKind.DISPATCHED: "dispatch",
               AlarmActionKind.ON_SCENE: "on_scene", AlarmActionKind.CLOSED: "close", AlarmActionKind.NOTE: "note"}


def alarm_acknowledge(*, alarm: Alarm, actor: Actor, note: str = "") -> Alarm:
    """Someone on watch has seen the alarm: it stops sounding (and escalating) everywhere."""
    return _step(alarm=alarm, actor=actor, step=AlarmActionKind.ACKNOWLEDGED, note=note)


def alarm_dispatch(*, alarm: Alarm, actor: Actor, note: str = "") -> Alarm:
    """Someone (a guard, an officer) has been sent. Only an acknowledged alarm is dispatched."""
    return _step(alarm=alarm, actor=actor, step=AlarmActionKind.DISPATCHED, note=note)


def alarm_on_scene(*, alarm: Alarm, actor: Actor, note: str = "") -> Alarm:
    """Whoever was sent has arrived. Only a dispatched alarm can be on scene."""
    return _step(alarm=alarm, actor=actor, step=AlarmActionKind.ON_SCENE, note=note)


def alarm_close(*, alarm: Alarm, actor: Actor, note: str = "") -> Alarm:
    """The alarm is dealt with. Only an acknowledged alarm can be closed."""
    return _step(alarm=alarm, actor=actor, step=AlarmActionKind.CLOSED, note=note)


def alarm_note(*, alarm: Alarm, actor: Actor, note: str) -> Alarm:
    """Add a line to an open alarm's timeline (what was found, who was called)."""
    if not note.strip():
        raise ValidationError({"note": ValidationError(_("请填写备注。"), code="required")})
    return _step(alarm=alarm, actor=actor, step=AlarmActionKind.NOTE, note=note)


def offered_steps(alarm: Alarm) -> list[str]:
    """The steps the alarm's status allows now (a note while it is open)."""
    steps = [step for step, (allowed_from, _to) in TRANSITIONS.items() if alarm.status in allowed_from]
    return steps + ([AlarmActionKind.NOTE] if alarm.is_open else [])


def _step(*, alarm: Alarm, actor: Actor, step: str, note: str) -> Alarm:
    if actor.user is None or not user_can(actor.user, Capability.ALARMS_HANDLE, alarm.area):
        raise PermissionDenied
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": ValidationError(_("备注最多 %(max)d 个字。") % {"max": NOTE_MAX},
                                                       code="max_length")})
    with transaction.atomic():
        # locked: two guards pressing at once must not both acknowledge
        locked = (Alarm.objects.select_for_update(of=("self",))
                  .select_related(*payloads.ALARM_RELATED).get(pk=alarm.pk))
        now = timezone.now()
        if step == AlarmActionKind.NOTE:
            if not locked.is_open:
                raise _illegal(locked, step)
        else:
            allowed_from, status = TRANSITIONS[step]
            if locked.status not in allowed_from:
                raise _illegal(locked, step)
            locked.status = status
            at_field, by_field = _STAMPS[step]
            setattr(locked, at_field, now)
            setattr(locked, by_field, actor.user)
            locked.save()
        AlarmAction.objects.create(alarm=locked, action=step, at=now, by=actor.user, by_name=actor.name, note=note)
        audit_append(actor=actor, action=f"alarm.{_AUDIT_VERB[step]}", obj=locked,
                     detail={"kind": locked.kind, "note": note})
        push([locked])
    return locked


#: what must happen before a step, said when the step comes too early
_NEEDS = {
    AlarmActionKind.DISPATCHED: {AlarmStatus.RAISED: gettext_noop("须先确认报警。")},
    AlarmActionKind.ON_SCENE: {AlarmStatus.RAISED: gettext_noop("须先确认并派警。"),
                               AlarmStatus.ACKNOWLEDGED: gettext_noop("须先派警。")},
    AlarmActionKind.CLOSED: {AlarmStatus.RAISED: gettext_noop("须先确认报警。")},
}


def _illegal(alarm: Alarm, step: str) -> ValidationError:
    message = _("报警当前状态为“%(status)s”，不能进行此操作（%(step)s）。") % {
        "status": alarm.get_status_display(), "step": AlarmActionKind(step).label}
    need = _NEEDS.get(step, {}).get(alarm.status)
    if need:
        message += _(need)
    return ValidationError({"status": ValidationError(message, code="illegal_transition")})
