"""What the console receives: alarms and events as plain JSON.

Codes, not labels: the console page carries the labels in its user's language,
while these dicts are built once in whatever process raised the alarm.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.urls import reverse

from shequ.access.models import AccessEvent, Device
from shequ.alarms.models import Alarm
from shequ.registry.selectors import address_labels

#: what to select with alarms before building their items (no query per alarm)
ALARM_RELATED = ("area", "device", "acknowledged_by", "dispatched_by", "on_scene_by", "closed_by")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _who(user) -> str:
    return str(user) if user is not None else ""


def alarm_item(alarm: Alarm, place: str = "") -> dict:
    """One alarm as the console shows it. ``rev`` orders two states of the same alarm."""
    return {
        "id": alarm.pk,
        "kind": alarm.kind,
        "status": alarm.status,
        "rev": int(alarm.updated_at.timestamp() * 1_000_000),
        "area_path": alarm.area.path,
        "place": place or alarm.area.name,
        "device": alarm.device.name if alarm.device_id else "",
        "source": alarm.source,
        "reporter_phone": alarm.reporter_phone_masked,
        "detail": alarm.detail,
        "occurred_at": _iso(alarm.occurred_at),
        "last_occurred_at": _iso(alarm.last_occurred_at),
        "repeat_count": alarm.repeat_count,
        "raised_at": _iso(alarm.raised_at),
        "acknowledged_at": _iso(alarm.acknowledged_at),
        "acknowledged_by": _who(alarm.acknowledged_by),
        "dispatched_at": _iso(alarm.dispatched_at),
        "dispatched_by": _who(alarm.dispatched_by),
        "on_scene_at": _iso(alarm.on_scene_at),
        "on_scene_by": _who(alarm.on_scene_by),
        "closed_at": _iso(alarm.closed_at),
        "closed_by": _who(alarm.closed_by),
        "escalation_level": alarm.escalation_level,
        "escalated_police_at": _iso(alarm.escalated_police_at),
        "escalated_street_at": _iso(alarm.escalated_street_at),
        "police_status": alarm.police_status,
        "url": reverse("alarms:alarm_detail", args=[alarm.pk]),
    }


def alarm_items(alarms: Iterable[Alarm]) -> list[dict]:
    """Alarms with their place labels (one query for all of them); select the
    relations of :data:`ALARM_RELATED` beforehand."""
    alarms = list(alarms)
    labels = address_labels([alarm.area for alarm in alarms])
    return [alarm_item(alarm, labels.get(alarm.area_id, "")) for alarm in alarms]


def event_item(event: AccessEvent, device: Device, person_name: str = "") -> dict:
    """A pass, refusal or other device event: lighter than an alarm, no actions."""
    return {
        "key": f"{event.device_id}:{event.event_id}",
        "kind": event.kind,
        "area_path": device.area.path,
        "device": device.name,
        "occurred_at": _iso(event.occurred_at),
        "person": person_name,
        "credential_kind": event.credential_kind,
        "direction": event.direction,
        "plate": event.plate,
        "reason": event.reason,
    }
