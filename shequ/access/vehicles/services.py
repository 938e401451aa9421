"""Plate decisions at the car gate, the guard's call on held vehicles, occupancy.

Every plate a gate camera reports becomes an ``AccessEvent`` of kind "plate"
whose ``reason`` says what the platform decided: a resident's car or a car with
a live plate credential passes, a car leaving always passes (holding a visitor
inside helps no one), any other car is held for the guard. A held event keeps
its pending decision in ``payload["decision"]`` until the guard allows or
refuses it; who and when are stored with it and in the audit log.

The occupancy of a complex is recounted from this log, never kept as a running
number that could drift: from the latest reset marker (an event of reason
"occupancy_reset" carrying the counted baseline), cars in minus cars out, with
an out that would go below zero counted as zero (the car came in before the
reset or while a camera was down).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.access.models import AccessEvent, Credential, CredentialKind, Device, DeviceEntry, EntryKind, EventKind
from shequ.access.services.common import audit
from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.alarms import broadcast, payloads
from shequ.registry.models import Area, Residence, Vehicle
from shequ.registry.models.area import AreaLevel
from shequ.registry.validators import validate_plate

REASON_RESIDENT = "resident_vehicle"
REASON_REGISTERED = "registered_plate"
REASON_EXIT = "exit"
REASON_HELD = "held_for_guard"
REASON_RESET = "occupancy_reset"

DECISION_PENDING = "pending"
DECISION_ALLOWED = "allowed"
DECISION_REFUSED = "refused"


@dataclass(frozen=True)
class PlateDecision:
    """What the platform makes of one plate read: the fields of the event to store."""

    plate: str  # normalised, "" when the camera's text is not a plate
    reason: str
    person_id: int | None
    payload: dict


@dataclass(frozen=True)
class Occupancy:
    complex: Area
    count: int
    since: datetime | None
    entered: int
    left: int


def plate_normalise(text: str) -> str:
    """The plate as stored (``validate_plate``), from what a camera reports: spaces,
    lower case, "·" or "-" separators are tolerated; "" if it is no plate."""
    compact = "".join((text or "").split()).upper()
    try:
        return validate_plate(compact)
    except ValidationError:
        return ""


def complex_of(area: Area) -> Area:
    """The complex a device's area belongs to (the area itself above complex level)."""
    return Area.objects.get(pk=broadcast.home_area_id(area.path, area.level))


def _resident_owner(plate: str, complex_area: Area, day) -> int | None:
    """The owner of a registry vehicle of the complex who lives in the complex today."""
    living = Residence.objects.current(day).filter(house__area__path__startswith=complex_area.path)
    return (Vehicle.objects.filter(plate=plate, area__path__startswith=complex_area.path, owner__isnull=False,
                                   owner__residences__in=living)
            .values_list("owner_id", flat=True).first())


def _registered_holder(plate: str, device: Device, complex_area: Area, now: datetime) -> int | None:
    """The holder of a live plate credential meant for this gate: either compiled
    into the device's list, or held by a person of the complex."""
    credentials = Credential.objects.valid_at(now).filter(kind=CredentialKind.PLATE, label=plate)
    compiled = DeviceEntry.objects.filter(device=device, kind=EntryKind.CREDENTIAL, deleted=False).values("ref_id")
    return (credentials.filter(Q(pk__in=compiled) | Q(person__area__path__startswith=complex_area.path))
            .values_list("person_id", flat=True).first())


def plate_decide(*, device: Device, plate_text: str, direction: str, now: datetime | None = None,
                 complex_area: Area | None = None) -> PlateDecision:
    """Decide a plate read at ``device``: pass a resident's or registered car, let
    any car out, hold the rest for the guard."""
    now = now or timezone.now()
    complex_area = complex_area or complex_of(device.area)
    plate = plate_normalise(plate_text)
    payload = {"plate_text": (plate_text or "")[:40]}
    person_id = None
    if plate:
        person_id = _resident_owner(plate, complex_area, timezone.localdate(now))
        if person_id is not None:
            return PlateDecision(plate, REASON_RESIDENT, person_id, payload)
        person_id = _registered_holder(plate, device, complex_area, now)
        if person_id is not None:
            return PlateDecision(plate, REASON_REGISTERED, person_id, payload)
    if direction == "out":
        return PlateDecision(plate, REASON_EXIT, None, payload)
    return PlateDecision(plate, REASON_HELD, None, {**payload, "decision": DECISION_PENDING})


def _require_guard(actor: Actor, area: Area) -> None:
    if actor.user is not None and not user_can(actor.user, Capability.ALARMS_HANDLE, area):
        raise PermissionDenied(_("您无权在该区域执行此操作。"))


@transaction.atomic
def vehicle_held_decide(*, actor: Actor, event: AccessEvent, allow: bool, now: datetime | None = None) -> AccessEvent:
    """The guard lets a held vehicle in or turns it away; decided once, recorded with who and when."""
    now = now or timezone.now()
    event = AccessEvent.objects.select_for_update().select_related("device__area").get(pk=event.pk)
    _require_guard(actor, event.device.area)
    if event.reason != REASON_HELD or event.payload.get("decision") != DECISION_PENDING:
        raise ValidationError({"decision": ValidationError(_("该车辆已处理。"), code="already_decided")})
    decision = DECISION_ALLOWED if allow else DECISION_REFUSED
    user = actor.user
    event.payload = {**event.payload, "decision": decision, "decided_at": now.isoformat(),
                     "decided_by_id": user.pk if user else None, "decided_by": str(user) if user else "system"}
    event.save(update_fields=["payload"])
    audit(actor, "access.vehicle_" + decision, obj=event, area=event.device.area,
          detail={"plate": event.plate, "device": event.device.device_id, "event_id": event.event_id})
    item = payloads.event_item(event, event.device)
    item["reason"] = "guard_" + decision
    broadcast.publish([(broadcast.home_group(event.device.area), broadcast.message("events", [item]))])
    return event


def _complex_events(complex_area: Area):
    return AccessEvent.objects.filter(kind=EventKind.PLATE, device__area__path__startswith=complex_area.path)


def _counts(event: dict) -> int:
    """+1 for a car in, -1 for a car out, 0 for what moved no car (held, refused, unread direction)."""
    if event["direction"] not in ("in", "out") or event["reason"] == REASON_RESET:
        return 0
    if event["reason"] == REASON_HELD and (event["payload"] or {}).get("decision") != DECISION_ALLOWED:
        return 0
    return 1 if event["direction"] == "in" else -1


def vehicle_occupancy(*, complex_area: Area, at: datetime | None = None) -> Occupancy:
    """Vehicles inside ``complex_area`` at ``at``, recounted from the log since the latest reset."""
    events = _complex_events(complex_area)
    if at is not None:
        events = events.filter(occurred_at__lte=at)
    reset = events.filter(reason=REASON_RESET).order_by("-occurred_at", "-pk").values("occurred_at", "payload").first()
    count, since = 0, None
    if reset is not None:
        count, since = int((reset["payload"] or {}).get("count", 0)), reset["occurred_at"]
        events = events.filter(occurred_at__gt=since)
    entered = left = 0
    for event in events.order_by("occurred_at", "pk").values("direction", "reason", "payload").iterator():
        step = _counts(event)
        if step > 0:
            entered += 1
            count += 1
        elif step < 0:
            left += 1
            count = max(0, count - 1)
    return Occupancy(complex=complex_area, count=count, since=since, entered=entered, left=left)


@transaction.atomic
def vehicle_occupancy_reset(*, actor: Actor, complex_area: Area, count: int = 0,
                            now: datetime | None = None) -> AccessEvent:
    """Start counting afresh from ``count`` cars (a guard's walk through the car park).

    The reset point is itself an entry of the log, on one of the complex's devices,
    so a recount always finds it and it is scoped like the events it resets.
    """
    now = now or timezone.now()
    _require_guard(actor, complex_area)
    if complex_area.level != AreaLevel.COMPLEX:
        raise ValidationError({"complex": ValidationError(_("请选择小区。"), code="not_a_complex")})
    if count < 0:
        raise ValidationError({"count": ValidationError(_("车辆数不能为负数。"), code="count_negative")})
    device = (Device.objects.filter(area__path__startswith=complex_area.path)
              .order_by("-kind", "pk").filter(kind=Device.Kind.VEHICLE_BARRIER).first()
              or Device.objects.filter(area__path__startswith=complex_area.path).order_by("pk").first())
    if device is None:
        raise ValidationError({"complex": ValidationError(_("该小区没有设备。"), code="no_device")})
    user = actor.user
    event = AccessEvent.objects.create(
        device=device, event_id=f"occupancy-reset-{now.timestamp():.6f}", kind=EventKind.PLATE, occurred_at=now,
        received_at=now, reason=REASON_RESET,
        payload={"count": count, "decided_by_id": user.pk if user else None,
                 "decided_by": str(user) if user else "system"})
    audit(actor, "access.vehicle_occupancy_reset", obj=event, area=complex_area, detail={"count": count})
    return event
