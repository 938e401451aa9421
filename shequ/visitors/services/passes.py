"""Visitor passes: issue, revoke, count uses from door events, expire.

A pass reaches the doors without any sync: its QR token is signed with the
platform key and carries everything a door checks. Only refusals travel: a pass
revoked or used up is compiled into the lists of the doors it names
(``access_passes_changed``) and stays there until its own end.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.access.models import AccessEvent, Device, EventKind
from shequ.access.services import access_passes_changed
from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.core.signing import platform_private_key
from shequ.registry.models import Area
from shequ.registry.models.area import AreaLevel
from shequ.visitors.models import (
    MAX_DOORS, MAX_ENTRIES, MAX_WINDOW_DAYS, REFUSED_STATUSES, PassStatus, PassUse, Visit, VisitKind, VisitorPass,
)
from shequ.visitors.selectors import ancestor_id, household_doors
from shequ.visitors.services.common import clean_name, clean_phone, clean_plate, error, require_any, set_phone
from shequ.visitors.token import PassPayload, token_issue

logger = logging.getLogger(__name__)


def _clean_window(valid_from: datetime | None, valid_until: datetime | None, now: datetime, errors: dict) -> None:
    if valid_from is None:
        errors["valid_from"] = error(_("请填写开始时间。"), "required")
    if valid_until is None:
        errors["valid_until"] = error(_("请填写结束时间。"), "required")
    if valid_from is None or valid_until is None:
        return
    if valid_until <= valid_from:
        errors["valid_until"] = error(_("结束时间必须晚于开始时间。"), "window_order")
    elif valid_until <= now:
        errors["valid_until"] = error(_("结束时间已过，请重新选择。"), "window_past")
    elif valid_until - valid_from > timedelta(days=MAX_WINDOW_DAYS):
        errors["valid_until"] = error(_("通行证有效期最长30天。"), "window_too_long")
    if valid_from > now + timedelta(days=MAX_WINDOW_DAYS):
        errors["valid_from"] = error(_("开始时间最多可选30天以内。"), "window_too_far")


def _clean_entries(max_entries, errors: dict) -> int:
    if isinstance(max_entries, bool) or not isinstance(max_entries, int) or not 1 <= max_entries <= MAX_ENTRIES:
        errors["max_entries"] = error(_("可通行次数应为1至20次。"), "entries_range")
        return 0
    return max_entries


def _clean_doors(house: Area, doors: Iterable[Device], errors: dict) -> list[Device]:
    doors = list({door.pk: door for door in doors}.values())
    if not doors:
        errors["doors"] = error(_("请至少选择一个门禁。"), "required")
    elif len(doors) > MAX_DOORS:
        errors["doors"] = error(_("最多选择8个门禁。"), "too_many_doors")
    else:
        allowed = set(household_doors(house=house).values_list("pk", flat=True))
        if any(door.pk not in allowed for door in doors):
            errors["doors"] = error(_("只能选择本户所在楼栋的单元门和本小区的出入口。"), "door_not_allowed")
    return doors


def pass_issue(
    *, actor: Actor, house: Area, visitor_name: str, valid_from: datetime | None, valid_until: datetime | None,
    doors: Iterable[Device], max_entries: int, phone: str = "", plate: str = "", now: datetime | None = None,
) -> VisitorPass:
    """A resident authorises a visitor to their household: a signed pass for the chosen doors."""
    require_any(actor, (Capability.VISITORS_ISSUE,), house)
    now = now or timezone.now()
    errors: dict = {}
    if house.level != AreaLevel.HOUSE:
        raise ValidationError({"house": error(_("请选择一户住房。"), "not_a_house")})
    name = clean_name(visitor_name, errors)
    phone = clean_phone(phone, errors)
    plate = clean_plate(plate, errors)
    # whole seconds: the token carries epoch seconds, and the record must say what the token says
    valid_from = valid_from.replace(microsecond=0) if valid_from else None
    valid_until = valid_until.replace(microsecond=0) if valid_until else None
    _clean_window(valid_from, valid_until, now, errors)
    entries = _clean_entries(max_entries, errors)
    doors = _clean_doors(house, doors, errors)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        visitor_pass = VisitorPass(
            pass_id=secrets.token_urlsafe(9), area=house, complex_id=ancestor_id(house, AreaLevel.COMPLEX),
            issued_by=actor.user, visitor_name=name, plate=plate, valid_from=valid_from, valid_until=valid_until,
            max_entries=entries, share_key=secrets.token_urlsafe(24),
        )
        set_phone(visitor_pass, phone)
        device_ids = sorted(door.device_id for door in doors)
        visitor_pass.token = token_issue(PassPayload(
            pass_id=visitor_pass.pass_id, doors=tuple(device_ids), valid_from=int(valid_from.timestamp()),
            valid_until=int(valid_until.timestamp()), max_entries=entries, area_id=house.pk,
        ), platform_private_key())
        visitor_pass.save()
        visitor_pass.doors.set(doors)
        audit_append(actor=actor, action="visitors.pass_issue", obj=visitor_pass, detail={
            "pass_id": visitor_pass.pass_id, "visitor_name": name, "phone": visitor_pass.phone_masked, "plate": plate,
            "valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat(), "max_entries": entries,
            "doors": device_ids,
        })
    return visitor_pass


def pass_revoke(*, actor: Actor, visitor_pass: VisitorPass, now: datetime | None = None) -> VisitorPass:
    """The resident (or the guard) withdraws a pass: every door it names refuses it from its next sync."""
    require_any(actor, (Capability.VISITORS_ISSUE, Capability.VISITORS_GUARD), visitor_pass.area)
    now = now or timezone.now()
    with transaction.atomic():
        # the audit record before the pass's row lock (a refusal below rolls it back): the ingest
        # holds the audit chain's lock when it counts uses, so every writer takes them in that order
        audit_append(actor=actor, action="visitors.pass_revoke", obj=visitor_pass,
                     detail={"pass_id": visitor_pass.pass_id})
        locked = VisitorPass.objects.select_for_update().select_related("area").get(pk=visitor_pass.pk)
        if locked.status != PassStatus.ISSUED or locked.valid_until <= now:
            raise ValidationError({"status": error(_("该通行证已失效，无需撤销。"), "not_revocable")})
        locked.status, locked.revoked_at, locked.revoked_by = PassStatus.REVOKED, now, actor.user
        locked.save(update_fields=["status", "revoked_at", "revoked_by"])
        access_passes_changed(devices=locked.doors.all(), now=now)
    return locked


def pass_events_record(events: Iterable[AccessEvent]) -> list[VisitorPass]:
    """Count the uses of visitor passes from stored door events and log the visits.

    Called by the gateway's ingest inside its transaction with the new events whose
    ``credential_kind`` is "pass". Each let-through event counts one use, once:
    an event already counted (the same events twice) changes nothing. An event at
    an "out" door ends the visitor's open visit; any other starts one unless the
    visitor is already inside (the gate, then the unit door). A pass whose uses
    reach its entries is used up: every door it names refuses it from its next
    sync (each door also stops at the limit by its own count). Returns the passes
    whose uses changed."""
    events = {event.pk: event for event in events
              if event.kind == EventKind.PASS and event.credential_kind == "pass" and event.pass_id}
    if not events:
        return []
    with transaction.atomic():
        passes = {p.pass_id: p for p in VisitorPass.objects.select_for_update().filter(
            pass_id__in={event.pass_id for event in events.values()})}
        counted = set(PassUse.objects.filter(event_id__in=list(events)).values_list("event_id", flat=True))
        fresh = sorted((event for pk, event in events.items() if pk not in counted and event.pass_id in passes),
                       key=lambda event: (event.occurred_at, event.pk))
        unknown = {event.pass_id for event in events.values()} - set(passes)
        if unknown:
            logger.warning("pass events name passes this platform never issued: %s", sorted(unknown)[:10])
        if not fresh:
            return []
        PassUse.objects.bulk_create([PassUse(visitor_pass=passes[event.pass_id], event_id=event.pk,
                                             occurred_at=event.occurred_at) for event in fresh])
        _visits_follow(fresh, passes)
        uses: dict[str, int] = defaultdict(int)
        for event in fresh:
            uses[event.pass_id] += 1
        touched, exhausted = [], []
        for pass_id, count in uses.items():
            visitor_pass = passes[pass_id]
            visitor_pass.uses += count
            fields = ["uses"]
            if visitor_pass.uses >= visitor_pass.max_entries and visitor_pass.status == PassStatus.ISSUED:
                visitor_pass.status, visitor_pass.exhausted_at = PassStatus.EXHAUSTED, timezone.now()
                fields += ["status", "exhausted_at"]
                exhausted.append(visitor_pass)
            visitor_pass.save(update_fields=fields)
            touched.append(visitor_pass)
        actor = Actor.system(via="gateway")
        for visitor_pass in exhausted:
            audit_append(actor=actor, action="visitors.pass_exhaust", obj=visitor_pass,
                         detail={"pass_id": visitor_pass.pass_id, "uses": visitor_pass.uses})
        if exhausted:
            access_passes_changed(devices=Device.objects.filter(visitor_passes__in=exhausted).distinct())
    return touched


def _visits_follow(events: list[AccessEvent], passes: dict[str, VisitorPass]) -> None:
    """Arrivals and departures of pass visitors, from the events in time order."""
    inside: dict[int, Visit] = {}
    for visit in Visit.objects.inside().filter(visitor_pass__in=list(passes.values())).order_by("arrived_at"):
        inside[visit.visitor_pass_id] = visit  # the latest open visit of each pass
    for event in events:
        visitor_pass = passes[event.pass_id]
        open_visit = inside.get(visitor_pass.pk)
        if event.direction == "out":
            if open_visit is not None:
                open_visit.departed_at = max(event.occurred_at, open_visit.arrived_at)
                open_visit.save(update_fields=["departed_at"])
                del inside[visitor_pass.pk]
            continue
        if open_visit is not None:
            continue  # the next door of the same arrival
        inside[visitor_pass.pk] = Visit.objects.create(
            kind=VisitKind.PASS, area_id=visitor_pass.area_id, complex_id=visitor_pass.complex_id,
            visitor_pass=visitor_pass, visitor_name=visitor_pass.visitor_name,
            phone_cipher=visitor_pass.phone_cipher, phone_digest=visitor_pass.phone_digest,
            phone_masked=visitor_pass.phone_masked, plate=visitor_pass.plate, arrived_at=event.occurred_at,
            expected_leave_at=max(visitor_pass.valid_until, event.occurred_at), arrival_event_id=event.pk,
        )


def passes_expire(*, now: datetime | None = None) -> int:
    """Mark issued passes past their end expired, and have the doors forget refused
    passes that have ended (they refuse them by their window anyway). Returns how
    many passes expired."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = VisitorPass.objects.filter(status=PassStatus.ISSUED, valid_until__lte=now).update(
            status=PassStatus.EXPIRED)
        ended = list(VisitorPass.objects.select_for_update().filter(
            status__in=REFUSED_STATUSES, valid_until__lte=now, edges_cleared=False).values_list("pk", flat=True))
        if ended:
            access_passes_changed(devices=Device.objects.filter(visitor_passes__in=ended).distinct(), now=now)
            VisitorPass.objects.filter(pk__in=ended).update(edges_cleared=True)
    return expired
