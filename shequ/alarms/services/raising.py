"""Raising alarms: from stored device events (forced entry, door held, SOS), from an
SOS button (a resident's phone, a terminal's kiosk page), and from the platform
itself (a device gone silent); and the stream of ordinary events to the consoles.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.access.models import AccessEvent, Device, DeviceKind, EventKind
from shequ.accounts.audit import Actor, AuditEntry, audit_append, audit_append_many
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.alarms import broadcast, payloads
from shequ.alarms.models import Alarm, AlarmAction, AlarmActionKind, AlarmKind, AlarmSource, AlarmStatus
from shequ.alarms.services.common import NOTE_MAX, gateway_actor, push
from shequ.registry.models import Area, Person

#: device events that raise an alarm, and which kind
ALARM_OF_EVENT = {
    EventKind.FORCED: AlarmKind.FORCED_ENTRY,
    EventKind.HELD_OPEN: AlarmKind.DOOR_HELD,
    EventKind.SOS: AlarmKind.SOS,  # a terminal's one-click alarm button
}
#: events already this old when stored (an edge emptying its outbox after an outage)
#: are history for the event search, not news for the live console; alarms are raised regardless
LIVE_WINDOW = timedelta(minutes=10)
#: the console shows the latest events only: at most this many per message
EVENTS_PER_MESSAGE = 50
DETAIL_MAX = 200

#: the sources an SOS may come from, and the terminal kind each terminal source needs
SOS_SOURCES = (AlarmSource.RESIDENT_APP, AlarmSource.INDOOR_TERMINAL, AlarmSource.OUTDOOR_TERMINAL)
_TERMINAL_KIND = {AlarmSource.INDOOR_TERMINAL: DeviceKind.INDOOR_TERMINAL,
                  AlarmSource.OUTDOOR_TERMINAL: DeviceKind.OUTDOOR_TERMINAL}
_SOURCE_OF_DEVICE_KIND = {kind: source for source, kind in _TERMINAL_KIND.items()}


def source_of_device(device: Device | None) -> str:
    """An alarm raised at a terminal comes from that terminal; at any other device, from a device."""
    if device is None:
        return AlarmSource.SYSTEM
    return _SOURCE_OF_DEVICE_KIND.get(device.kind, AlarmSource.DEVICE)


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
                        occurred_at=occurred_at, actor=actor or gateway_actor(), source=source_of_device(device))
        push([alarm])
    return alarm


def _create(*, actor: Actor, **fields) -> Alarm:
    """Raise one alarm (``fields``: see :func:`_new_alarm`): saved, its first timeline line, audited."""
    now = timezone.now()
    alarm = _new_alarm(now=now, **fields)
    alarm.save(force_insert=True)
    _timeline_line(alarm, AlarmActionKind.RAISED, actor=actor, at=now, note=fields.get("detail", ""),
                   event=alarm.event).save(force_insert=True)
    audit_append_many([_raise_audited(alarm, actor)])
    return alarm


def _new_alarm(*, kind: str, area: Area, device: Device | None, event: AccessEvent | None, detail: str,
               occurred_at: datetime | None, source: str, now: datetime, raised_by=None,
               reporter_phone_masked: str = "", latitude: Decimal | None = None,
               longitude: Decimal | None = None) -> Alarm:
    occurred = occurred_at or (event.occurred_at if event is not None else now)
    return Alarm(kind=kind, area=area, device=device, event=event, detail=detail[:DETAIL_MAX], occurred_at=occurred,
                 last_occurred_at=occurred, raised_at=now, source=source, raised_by=raised_by,
                 reporter_phone_masked=reporter_phone_masked, latitude=latitude, longitude=longitude)


def _timeline_line(alarm: Alarm, action: str, *, actor: Actor, at: datetime, note: str,
                   event: AccessEvent | None) -> AlarmAction:
    return AlarmAction(alarm=alarm, action=action, at=at, by=actor.user, by_name=actor.name, note=note[:NOTE_MAX],
                       event=event)


def _raise_audited(alarm: Alarm, actor: Actor) -> AuditEntry:
    return AuditEntry(actor=actor, action="alarm.raise", obj=alarm,
                      detail={"kind": alarm.kind, "source": alarm.source,
                              "device": alarm.device.device_id if alarm.device is not None else "",
                              "event": alarm.event_id})


def _repeat(alarm: Alarm, *, occurred_at: datetime, note: str, actor: Actor, event: AccessEvent | None = None) -> None:
    """Another event of the same kind at the same place before anyone acknowledged the alarm."""
    alarm.repeat_count += 1
    alarm.last_occurred_at = max(alarm.last_occurred_at, occurred_at)
    alarm.save(update_fields=["repeat_count", "last_occurred_at", "updated_at"])
    _timeline_line(alarm, AlarmActionKind.REPEATED, actor=actor, at=timezone.now(), note=note,
                   event=event).save(force_insert=True)


# --- SOS buttons ------------------------------------------------------------------------------------------------

def sos_raise(
    *,
    actor: Actor,
    area: Area,
    source: str,
    device: Device | None = None,
    detail: str = "",
    latitude=None,
    longitude=None,
) -> Alarm:
    """Someone pressed a one-click alarm (SOS) button: raise an SOS alarm at ``area``.

    ``source`` "resident_app": a resident's phone; ``actor.user`` must hold
    ``alarms.raise`` at ``area`` (their own household), no device. "indoor_terminal" /
    "outdoor_terminal": a terminal's kiosk page; ``device`` is that terminal (active,
    of that kind) and ``area`` its place; ``actor`` is the device as a system actor
    (its caller has authenticated it) or a user holding ``alarms.raise`` there.
    Pressing again while the alarm is unacknowledged counts as a repeat of it, as
    for a door's forced entry. Latitude and longitude, if a phone sends them, go
    with the alarm to the police platform.
    """
    if source not in SOS_SOURCES:
        raise ValidationError({"source": ValidationError(_("未知的报警来源。"), code="invalid")})
    if actor.user is not None and not user_can(actor.user, Capability.ALARMS_RAISE, area):
        raise PermissionDenied
    if source == AlarmSource.RESIDENT_APP:
        if actor.user is None:
            raise PermissionDenied
        if device is not None:
            raise ValidationError({"device": ValidationError(_("手机一键报警不关联设备。"), code="invalid")})
    else:
        _check_terminal(device, source, area)
    detail = (detail or "").strip()
    if len(detail) > DETAIL_MAX:
        raise ValidationError({"detail": ValidationError(_("说明最多 %(max)d 个字。") % {"max": DETAIL_MAX},
                                                         code="max_length")})
    latitude, longitude = _coordinates(latitude, longitude)
    with transaction.atomic():
        same_place = Q(device=device) if device is not None else Q(area=area, device__isnull=True, source=source)
        waiting = (Alarm.objects.select_for_update(of=("self",)).select_related(*payloads.ALARM_RELATED)
                   .filter(same_place, kind=AlarmKind.SOS, status=AlarmStatus.RAISED).order_by("raised_at").first())
        if waiting is not None:
            _repeat(waiting, occurred_at=timezone.now(), note=detail, actor=actor)
            audit_append(actor=actor, action="alarm.repeat", obj=waiting, detail={"kind": waiting.kind,
                                                                                   "source": source})
            alarm = waiting
        else:
            user = actor.user if source == AlarmSource.RESIDENT_APP else None
            alarm = _create(kind=AlarmKind.SOS, area=area, device=device, event=None, detail=detail,
                            occurred_at=None, actor=actor, source=source, raised_by=user,
                            reporter_phone_masked=_phone_of(user), latitude=latitude, longitude=longitude)
        push([alarm])
    return alarm


def _check_terminal(device: Device | None, source: str, area: Area) -> None:
    if device is None:
        raise ValidationError({"device": ValidationError(_("终端报警须指明报警的终端。"), code="required")})
    if device.kind != _TERMINAL_KIND[source] or not device.is_active:
        raise ValidationError({"device": ValidationError(
            _("设备“%(name)s”不是启用中的%(kind)s。") % {"name": device.name,
                                                     "kind": DeviceKind(_TERMINAL_KIND[source]).label},
            code="invalid")})
    if device.area_id != area.pk:
        raise ValidationError({"area": ValidationError(_("终端报警的位置须是终端的安装位置。"), code="invalid")})


def _coordinates(latitude, longitude) -> tuple[Decimal | None, Decimal | None]:
    if latitude in (None, "") and longitude in (None, ""):
        return None, None
    values = []
    for name, value, bound in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        try:
            number = Decimal(str(value)).quantize(Decimal("0.000001"))
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite() or abs(number) > bound:
            raise ValidationError({name: ValidationError(_("坐标无效。"), code="invalid")})
        values.append(number)
    return values[0], values[1]


def _phone_of(user) -> str:
    if user is None or not user.person_id:
        return ""
    return Person.objects.filter(pk=user.person_id).values_list("phone_masked", flat=True).first() or ""


# --- device events ----------------------------------------------------------------------------------------------

def alarms_from_events(events: Iterable[AccessEvent], *, stream: bool = True) -> list[Alarm]:
    """Call once after storing new device events and before acknowledging them to the
    device (the gateway's ingest does).

    Forced-entry, door-held and SOS events raise alarms (or count as repeats of the
    device's unacknowledged alarm of that kind), pushed to the consoles after the
    commit. With ``stream`` every live event also goes to the consoles; a caller
    that streams separately (:func:`events_stream`) passes ``stream=False``. An
    event already behind an alarm is skipped, so calling twice with the same
    events changes nothing. ``events``: stored rows (the ingest builds them without a
    query, see ``shequ.access.services.ingest``). Returns the alarms raised or repeated.
    """
    events = list(events)
    if not events:
        return []
    devices = Device.objects.select_related("area").in_bulk({event.device_id for event in events})
    alarming = [event for event in events if event.kind in ALARM_OF_EVENT]
    alarms = _alarms_for(alarming, devices) if alarming else []
    if stream:
        _stream(events, devices)
    return alarms


def events_stream(events: Iterable[AccessEvent]) -> None:
    """Push stored events (passes, refusals, everything) to the consoles of their
    complexes: display only, no writes. Events already this old (an edge's outbox)
    and all but the latest few per complex are left out."""
    events = list(events)
    if events:
        _stream(events, Device.objects.select_related("area").in_bulk({event.device_id for event in events}))


def _alarms_for(events: list[AccessEvent], devices: dict[int, Device]) -> list[Alarm]:
    """Raise or repeat the alarms of alarming events, in a few statements however many: the
    ingest calls this for each batch, so its cost is per batch, not per alarm."""
    with transaction.atomic():
        _ensure_pks(events)
        # Two gateway writers can hold the same event (a device resends what was not yet
        # acknowledged): the second waits here for the first to commit, then sees its alarm
        # as counted below. Locked in pk order, so two batches cannot deadlock on them.
        list(AccessEvent.objects.select_for_update().filter(pk__in=[event.pk for event in events])
             .order_by("pk").values_list("pk", flat=True))
        counted = set(AlarmAction.objects.filter(event_id__in=[event.pk for event in events])
                      .values_list("event_id", flat=True))
        waiting = {
            (alarm.device_id, alarm.kind): alarm
            for alarm in Alarm.objects.select_for_update().filter(
                device_id__in={event.device_id for event in events},
                kind__in={ALARM_OF_EVENT[event.kind] for event in events}, status=AlarmStatus.RAISED,
            ).order_by("raised_at")
        }
        actor, now = gateway_actor(), timezone.now()
        created: list[Alarm] = []
        repeated: dict[int, Alarm] = {}  # alarms raised before this batch, by pk
        lines: list[tuple[Alarm, str, AccessEvent]] = []
        touched: dict[int, Alarm] = {}  # by id(): new alarms have no pk yet
        for event in sorted(events, key=lambda event: event.occurred_at):
            if event.pk in counted:
                continue
            device, kind = devices[event.device_id], ALARM_OF_EVENT[event.kind]
            alarm = waiting.get((device.pk, kind))
            if alarm is None:
                alarm = _new_alarm(kind=kind, area=device.area, device=device, event=event, detail=event.reason,
                                   occurred_at=event.occurred_at, source=source_of_device(device), now=now)
                waiting[(device.pk, kind)] = alarm
                created.append(alarm)
                lines.append((alarm, AlarmActionKind.RAISED, event))
            else:
                alarm.repeat_count += 1
                alarm.last_occurred_at = max(alarm.last_occurred_at, event.occurred_at)
                if alarm.pk is not None:
                    repeated[alarm.pk] = alarm
                lines.append((alarm, AlarmActionKind.REPEATED, event))
            alarm.device, alarm.area = device, device.area
            touched[id(alarm)] = alarm
        Alarm.objects.bulk_create(created)
        for alarm in repeated.values():
            alarm.updated_at = now  # bulk_update leaves auto_now alone
        Alarm.objects.bulk_update(repeated.values(), ["repeat_count", "last_occurred_at", "updated_at"])
        AlarmAction.objects.bulk_create([_timeline_line(alarm, action, actor=actor, at=now, note=event.reason,
                                                        event=event) for alarm, action, event in lines])
        audit_append_many([_raise_audited(alarm, actor) for alarm in created])
        push(touched.values())
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


def _stream(events: list[AccessEvent], devices: dict[int, Device]) -> None:
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


# --- device faults ----------------------------------------------------------------------------------------------
# The access app notices silent devices (``devices_mark_offline``, run by the gateway) and
# raises their device-offline alarms through :func:`alarm_raise`.

def alarms_device_back_online(*, device: Device) -> int:
    """Heartbeats are back: note it on the device's open offline alarms (a guard still
    closes them: someone should know the door was unwatched). Returns how many."""
    with transaction.atomic():
        alarms = list(Alarm.objects.open().filter(device=device, kind=AlarmKind.DEVICE_OFFLINE)
                      .select_related(*payloads.ALARM_RELATED))
        for alarm in alarms:
            AlarmAction.objects.create(alarm=alarm, action=AlarmActionKind.NOTE, by_name=gateway_actor().name,
                                       note=_("设备已恢复在线"))
            alarm.save(update_fields=["updated_at"])
        push(alarms)
    return len(alarms)
