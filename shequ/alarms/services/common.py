"""Pieces every alarm write shares: the system actors, the push to the consoles, the note limit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from shequ.accounts.audit import Actor
from shequ.alarms import broadcast, payloads
from shequ.alarms.models import Alarm

NOTE_MAX = 500


def gateway_actor() -> Actor:
    return Actor.system(via="gateway")


def escalation_actor() -> Actor:
    return Actor.system(via="escalation")


def push(alarms: Iterable[Alarm]) -> None:
    """Queue the alarms' current state for their consoles (sent after commit).

    Select the relations of :data:`payloads.ALARM_RELATED` beforehand."""
    by_group: dict[str, list[dict]] = defaultdict(list)
    alarms = list(alarms)
    for alarm, item in zip(alarms, payloads.alarm_items(alarms)):
        by_group[broadcast.home_group(alarm.area)].append(item)
    broadcast.publish((group, broadcast.message("alarms", items)) for group, items in by_group.items())
