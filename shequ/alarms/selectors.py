"""Alarm reads: lists, one alarm with its timeline, the consoles' snapshots and groups.

Three consoles share one push channel (:mod:`shequ.alarms.broadcast`) and differ
by what they show (:class:`ConsoleMode`): the guard room sees every alarm and
event of its areas; the community police console the SOS alarms and those
escalated to the police; the street console those escalated to the street.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from shequ.access.models import AccessEvent
from shequ.accounts.roles import Capability
from shequ.accounts.scope import grant_paths
from shequ.alarms import broadcast, payloads
from shequ.alarms.models import Alarm, AlarmAction, AlarmKind, EscalationLevel, PoliceForward
from shequ.registry.models import Area
from shequ.registry.models.area import LEVEL_DEPTH, AreaLevel

if TYPE_CHECKING:
    from shequ.accounts.models import User

VIEW = Capability.ALARMS_VIEW
#: the console opens with at most this many open alarms and recent events
SNAPSHOT_ALARMS = 200
SNAPSHOT_EVENTS = 30
#: levels at or above a complex: their own groups carry what happens at their doors
_HOME_LEVELS = [level for level in AreaLevel if LEVEL_DEPTH[level] <= LEVEL_DEPTH[AreaLevel.COMPLEX]]


@dataclass(frozen=True)
class ConsoleMode:
    """What one kind of console shows: ``alarms`` filters rows, ``shows`` pushed items alike."""

    name: str
    capability: str
    events: bool
    alarms: Q
    shows: Callable[[dict], bool]


GUARD = ConsoleMode("guard", VIEW, True, Q(), lambda item: True)
POLICE = ConsoleMode(
    "police", Capability.ALARMS_POLICE, False,
    Q(kind=AlarmKind.SOS) | Q(escalation_level__gte=EscalationLevel.POLICE),
    lambda item: item["kind"] == AlarmKind.SOS or item["escalation_level"] >= EscalationLevel.POLICE,
)
STREET = ConsoleMode("street", VIEW, False, Q(escalation_level__gte=EscalationLevel.STREET),
                     lambda item: item["escalation_level"] >= EscalationLevel.STREET)


def _alarm_rows(queryset: QuerySet) -> QuerySet:
    return queryset.select_related(*payloads.ALARM_RELATED)


def alarm_list(*, user: User, status: str = "", kind: str = "", open_only: bool = False,
               mode: ConsoleMode = GUARD, escalation: int | None = None, source: str = "") -> QuerySet:
    """Alarms in the user's areas that ``mode``'s console shows, newest first."""
    alarms = Alarm.objects.visible_to(user, mode.capability).filter(mode.alarms)
    if open_only:
        alarms = alarms.open()
    if status:
        alarms = alarms.filter(status=status)
    if kind:
        alarms = alarms.filter(kind=kind)
    if escalation is not None:
        alarms = alarms.filter(escalation_level__gte=escalation)
    if source:
        alarms = alarms.filter(source=source)
    return _alarm_rows(alarms).order_by("-raised_at", "-pk")


def alarm_get(*, user: User, pk: int) -> Alarm:
    """One alarm in the user's areas (DoesNotExist otherwise)."""
    return _alarm_rows(Alarm.objects.visible_to(user, VIEW)).get(pk=pk)


def alarm_timeline(*, alarm: Alarm) -> list[AlarmAction]:
    return list(alarm.actions.select_related("by").order_by("at", "pk"))


def alarm_police_forwards(*, alarm: Alarm) -> list[PoliceForward]:
    """The alarm's forwards to the police platform, each with its tries."""
    return list(alarm.police_forwards.select_related("requested_by").prefetch_related("attempts")
                .order_by("requested_at", "pk"))


def recent_events(*, user: User, limit: int = SNAPSHOT_EVENTS, after_pk: int | None = None) -> list[AccessEvent]:
    """The latest device events in the user's areas (newest first), or those stored after ``after_pk``."""
    events = AccessEvent.objects.visible_to(user, VIEW).select_related("device__area", "person")
    if after_pk is not None:
        return list(events.filter(pk__gt=after_pk).order_by("-pk")[:limit])
    return list(events.order_by("-occurred_at", "-pk")[:limit])


def event_items(events: list[AccessEvent]) -> list[dict]:
    return [payloads.event_item(event, event.device, event.person.name if event.person_id else "")
            for event in events]


def console_snapshot(*, user: User, mode: ConsoleMode = GUARD) -> dict:
    """What a console shows when it (re)connects: open alarms and (guard room) the latest events."""
    alarms = list(alarm_list(user=user, open_only=True, mode=mode)[:SNAPSHOT_ALARMS])
    return {"alarms": payloads.alarm_items(alarms),
            "events": event_items(recent_events(user=user)) if mode.events else []}


def console_paths(*, user: User, capability: str = VIEW) -> list[str]:
    """Area paths the user's console may show; empty when it may show nothing."""
    return grant_paths(user, capability)


def console_groups(*, user: User, capability: str = VIEW) -> list[str]:
    """The channel-layer groups a console of ``user`` joins.

    A grant at or below a complex: that complex's group (items outside the grant
    are dropped by the consumer). A grant above: every complex and every node
    above complex level inside it, since devices may hang on those nodes too.
    """
    paths = console_paths(user=user, capability=capability)
    if not paths:
        return []
    groups = {broadcast.home_group(area) for area in Area.objects.filter(path__in=paths).only("path", "level")}
    above = Area.objects.visible_to(user, capability).filter(level__in=_HOME_LEVELS).values_list("pk", flat=True)
    groups.update(broadcast.group_name(pk) for pk in above)
    return sorted(groups)
