"""Alarm writes: raise (or count a repeat), acknowledge, note, close; the bridge
from stored device events to alarms and the live consoles; device-offline notes.

Every write checks rights where a person acts, appends to the alarm's timeline,
writes the audit log, and pushes the new state to the consoles after commit.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.access.models import AccessEvent, Device, EventKind
from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.alarms import broadcast, payloads
from shequ.alarms.models import Alarm, AlarmAction, AlarmActionKind, AlarmKind, AlarmStatus
from shequ.registry.models import Area, Person

#: device events that raise an alarm, and which kind
ALARM_OF_EVENT = {EventKind.FORCED: AlarmKind.FORCED_ENTRY, EventKind.HELD_OPEN: AlarmKind.DOOR_HELD}
#: events already this old when stored (an edge emptying its outbox after an outage)
#: are history for the event search, not news for the live console; alarms are raised regardless
LIVE_WINDOW = timedelta(minutes=10)
#: the console shows the latest events only: at most this many per message
EVENTS_PER_MESSAGE = 50
NOTE_MAX = 500

#: step -> (statuses it may start from, status it leads to); issue 5 adds dispatch and on-scene
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    AlarmActionKind.ACKNOWLEDGED: (frozenset({AlarmStatus.RAISED}), AlarmStatus.ACKNOWLEDGED),
    AlarmActionKind.CLOSED: (frozenset({AlarmStatus.ACKNOWLEDGED, AlarmStatus.DISPATCHED, AlarmStatus.ON_SCENE}),
                             AlarmStatus.CLOSED),
}


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A device event just stored, with its primary key: what :func:`alarms_from_events`
    and :func:`events_stream` need, without building a model instance per event
    (about 40 µs each, most of the cost at thousands of events a second)."""

    pk: int
    device_id: int
    event_id: str
    kind: str
    occurred_at: datetime
    credential_kind: str = ""
    person_id: int | None = None
    plate: str = ""
    direction: str = ""
    reason: str = ""


def gateway_actor() -> Actor:
    return Actor.system(via="gateway")


# --- raising ----------------------------------------------------------------------------------------------------

def alarm_raise(
    *,
    kind: str,
    area: Area,
    device: Device | None = None,
    event: AccessEvent | None = None,
    detail: str = "",
    occurred_at: datetime | None = None,
    actor: Actor | None = None,
) -> Alarm:
    """Raise an alarm at ``area`` (audited) and push it to the consoles of its complex."""
    if kind not in AlarmKind.values:
        raise ValidationError({"kind": ValidationError(_("未知的报警类型。"), code="invalid")})
    with transaction.atomic():
        alarm = _create(kind=kind, area=area, device=device, event=event, detail=detail,
                        occurred_at=occurred_at, actor=actor or gateway_actor())
        _push([alarm])
    return alarm


def _create(*, kind: str, area: Area, device: Device | None, event: AccessEvent | None, detail: str,
            occurred_at: datetime | None, actor: Actor) -> Alarm:
    now = timezone.now()
    occurred = occurred_at or (event.occurred_at if event is not None else now)
    alarm = Alarm.objects.create(kind=kind, area=area, device=device, event=event, detail=detail[:200],
                                 occurred_at=occurred, last_occurred_at=occurred, raised_at=now)
    AlarmAction.objects.create(alarm=alarm, action=AlarmActionKind.RAISED, at=now, by=actor.user, by_name=actor.name,
                               note=detail[:NOTE_MAX], event=event)
    audit_append(actor=actor, action="alarm.raise", obj=alarm,
                 detail={"kind": kind, "device": device.device_id if device is not None else "",
                         "event": event.pk if event is not None else None})
    return alarm


def _repeat(alarm: Alarm, event: AccessEvent) -> None:
    """Another event of the same kind at the same door before anyone acknowledged the alarm."""
    alarm.repeat_count += 1
    alarm.last_occurred_at = max(alarm.last_occurred_at, event.occurred_at)
    alarm.save(update_fields=["repeat_count", "last_occurred_at", "updated_at"])
    AlarmAction.objects.create(alarm=alarm, action=AlarmActionKind.REPEATED, by_name=gateway_actor().name,
                               note=event.reason, event=event)


def alarms_from_events(events: Iterable, *, stream: bool = True) -> list[Alarm]:
    """Call once after storing new device events, in the storing transaction (the
    gateway's ingest does).

    Forced-entry and door-held events raise alarms (or count as repeats of the
    door's unacknowledged alarm of that kind), pushed to the consoles after the
    commit. With ``stream`` every live event also goes to the consoles; a caller
    that streams separately (:func:`events_stream`) passes ``stream=False``. An
    event already behind an alarm is skipped, so calling twice with the same
    events changes nothing. ``events``: see :func:`_record`. Returns the alarms
    raised or repeated.
    """
    events = [_record(event) for event in events]
    if not events:
        return []
    devices = Device.objects.select_related("area").in_bulk({event.device_id for event in events})
    alarming = [_as_model(event) for event in events if event.kind in ALARM_OF_EVENT]
    alarms = _alarms_for(alarming, devices) if alarming else []
    if stream:
        _stream(events, devices)
    return alarms


def events_stream(events: Iterable) -> None:
    """Push stored events (passes, refusals, everything) to the consoles of their
    complexes: display only, no writes. Events already this old (an edge's outbox)
    and all but the latest few per complex are left out."""
    events = [_record(event) for event in events]
    if events:
        _stream(events, Device.objects.select_related("area").in_bulk({event.device_id for event in events}))


def _record(event) -> EventRecord | AccessEvent:
    """Events come as saved ``AccessEvent`` rows, as :class:`EventRecord`, or as the
    ingest's ``StoredEvent`` (``pk`` plus the ``row`` it stored)."""
    row = getattr(event, "row", None)
    if row is None:
        return event
    return EventRecord(pk=event.pk, device_id=row.device_pk, event_id=row.event_id, kind=row.kind,
                       occurred_at=row.occurred_at, credential_kind=row.credential_kind, person_id=row.person_id,
                       plate=row.plate, direction=row.direction, reason=row.reason)


def _as_model(event: EventRecord | AccessEvent) -> AccessEvent:
    """Alarms point at their event: a model instance (unsaved is fine, the row exists)."""
    if isinstance(event, AccessEvent):
        return event
    return AccessEvent(pk=event.pk, device_id=event.device_id, event_id=event.event_id, kind=event.kind,
                       occurred_at=event.occurred_at, credential_kind=event.credential_kind,
                       person_id=event.person_id, plate=event.plate, direction=event.direction, reason=event.reason)


def _alarms_for(events: list[AccessEvent], devices: dict[int, Device]) -> list[Alarm]:
    with transaction.atomic():
        _ensure_pks(events)
        counted = set(AlarmAction.objects.filter(event_id__in=[event.pk for event in events])
                      .values_list("event_id", flat=True))
        waiting = {
            (alarm.device_id, alarm.kind): alarm
            for alarm in Alarm.objects.select_for_update().filter(
                device_id__in={event.device_id for event in events},
                kind__in={ALARM_OF_EVENT[event.kind] for event in events}, status=AlarmStatus.RAISED,
            ).order_by("raised_at")
        }
        touched: dict[int, Alarm] = {}
        for event in sorted(events, key=lambda event: event.occurred_at):
            if event.pk in counted:
                continue
            device, kind = devices[event.device_id], ALARM_OF_EVENT[event.kind]
            alarm = waiting.get((device.pk, kind))
            if alarm is None:
                alarm = _create(kind=kind, area=device.area, device=device, event=event, detail=event.reason,
                                occurred_at=event.occurred_at, actor=gateway_actor())
                waiting[(device.pk, kind)] = alarm
            else:
                _repeat(alarm, event)
            alarm.device, alarm.area = device, device.area
            touched[alarm.pk] = alarm
        _push(touched.values())
    return list(touched.values())


def _ensure_pks(events: list[AccessEvent]) -> None:
    """Rows stored with ``bulk_create(ignore_conflicts=True)`` come back without ids."""
    missing = [event for event in events if event.pk is None]
    if not missing:
        return
    condition = Q()
    for event in missing:
        condition |= Q(device_id=event.device_id, event_id=event.event_id)
    ids = {(row[0], row[1]): row[2] for row in AccessEvent.objects.filter(condition)
           .values_list("device_id", "event_id", "pk")}
    for event in missing:
        event.pk = ids[(event.device_id, event.event_id)]


def _stream(events: list[EventRecord | AccessEvent], devices: dict[int, Device]) -> None:
    cutoff = timezone.now() - LIVE_WINDOW
    group_of = {pk: broadcast.home_group(device.area) for pk, device in devices.items()}
    by_group: dict[str, list] = defaultdict(list)
    for event in events:
        if event.occurred_at >= cutoff:
            by_group[group_of[event.device_id]].append(event)
    if not by_group:
        return
    latest = {group: heapq.nlargest(EVENTS_PER_MESSAGE, group_events, key=lambda event: event.occurred_at)[::-1]
              for group, group_events in by_group.items()}
    person_ids = {event.person_id for shown in latest.values() for event in shown if event.person_id}
    names = dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "name")) if person_ids else {}
    broadcast.publish(
        (group, broadcast.message("events", [payloads.event_item(event, devices[event.device_id],
                                                                 names.get(event.person_id, ""))
                                             for event in shown]))
        for group, shown in latest.items()
    )


def _push(alarms: Iterable[Alarm]) -> None:
    """Queue the alarms' current state for their consoles (sent after commit)."""
    by_group: dict[str, list[dict]] = defaultdict(list)
    alarms = list(alarms)
    for alarm, item in zip(alarms, payloads.alarm_items(alarms)):
        by_group[broadcast.home_group(alarm.area)].append(item)
    broadcast.publish((group, broadcast.message("alarms", items)) for group, items in by_group.items())


# --- handling ---------------------------------------------------------------------------------------------------

def alarm_acknowledge(*, alarm: Alarm, actor: Actor, note: str = "") -> Alarm:
    """Someone on watch has seen the alarm: it stops sounding on every console."""
    return _step(alarm=alarm, actor=actor, step=AlarmActionKind.ACKNOWLEDGED, note=note)


def alarm_close(*, alarm: Alarm, actor: Actor, note: str = "") -> Alarm:
    """The alarm is dealt with. Only an acknowledged alarm can be closed."""
    return _step(alarm=alarm, actor=actor, step=AlarmActionKind.CLOSED, note=note)


def alarm_note(*, alarm: Alarm, actor: Actor, note: str) -> Alarm:
    """Add a line to an open alarm's timeline (what was found, who was called)."""
    if not note.strip():
        raise ValidationError({"note": ValidationError(_("请填写备注。"), code="required")})
    return _step(alarm=alarm, actor=actor, step=AlarmActionKind.NOTE, note=note)


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
                  .select_related("area", "device", "acknowledged_by", "closed_by").get(pk=alarm.pk))
        now = timezone.now()
        if step == AlarmActionKind.NOTE:
            if not locked.is_open:
                raise _illegal(locked)
        else:
            allowed_from, status = TRANSITIONS[step]
            if locked.status not in allowed_from:
                raise _illegal(locked)
            locked.status = status
            if step == AlarmActionKind.ACKNOWLEDGED:
                locked.acknowledged_at, locked.acknowledged_by = now, actor.user
            elif step == AlarmActionKind.CLOSED:
                locked.closed_at, locked.closed_by = now, actor.user
            locked.save()
        AlarmAction.objects.create(alarm=locked, action=step, at=now, by=actor.user, by_name=actor.name, note=note)
        audit_append(actor=actor, action=f"alarm.{_AUDIT_VERB[step]}", obj=locked,
                     detail={"kind": locked.kind, "note": note})
        _push([locked])
    return locked


_AUDIT_VERB = {AlarmActionKind.ACKNOWLEDGED: "acknowledge", AlarmActionKind.CLOSED: "close",
               AlarmActionKind.NOTE: "note"}


def _illegal(alarm: Alarm) -> ValidationError:
    return ValidationError(
        {"status": ValidationError(_("报警当前状态为“%(status)s”，不能进行此操作。") % {"status": alarm.get_status_display()},
                                   code="illegal_transition")}
    )


# --- device faults ----------------------------------------------------------------------------------------------
# The access app notices silent devices (``devices_mark_offline``, run by the gateway) and
# raises their device-offline alarms through :func:`alarm_raise`.

def alarms_device_back_online(*, device: Device) -> int:
    """Heartbeats are back: note it on the device's open offline alarms (a guard still
    closes them: someone should know the door was unwatched). Returns how many."""
    with transaction.atomic():
        alarms = list(Alarm.objects.open().filter(device=device, kind=AlarmKind.DEVICE_OFFLINE)
                      .select_related("area", "device", "acknowledged_by", "closed_by"))
        for alarm in alarms:
            AlarmAction.objects.create(alarm=alarm, action=AlarmActionKind.NOTE, by_name=gateway_actor().name,
                                       note=_("设备已恢复在线"))
            alarm.save(update_fields=["updated_at"])
        _push(alarms)
    return len(alarms)
