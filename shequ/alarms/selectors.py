"""Alarm reads: lists, one alarm with its timeline, the console's snapshot and groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from shequ.access.models import AccessEvent
from shequ.accounts.roles import Capability
from shequ.accounts.scope import grant_paths
from shequ.alarms import broadcast, payloads
from shequ.alarms.models import Alarm, AlarmAction
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


def _alarm_rows(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("area", "device", "acknowledged_by", "closed_by")


def alarm_list(*, user: User, status: str = "", kind: str = "", open_only: bool = False) -> QuerySet:
    """Alarms in the user's areas, newest first."""
    alarms = Alarm.objects.visible_to(user, VIEW)
    if open_only:
        alarms = alarms.open()
    if status:
        alarms = alarms.filter(status=status)
    if kind:
        alarms = alarms.filter(kind=kind)
    return _alarm_rows(alarms).order_by("-raised_at", "-pk")


def alarm_get(*, user: User, pk: int) -> Alarm:
    """One alarm in the user's areas (DoesNotExist otherwise)."""
    return _alarm_rows(Alarm.objects.visible_to(user, VIEW)).get(pk=pk)


def alarm_timeline(*, alarm: Alarm) -> list[AlarmAction]:
    return list(alarm.actions.select_related("by").order_by("at", "pk"))


def recent_events(*, user: User, limit: int = SNAPSHOT_EVENTS, after_pk: int | None = None) -> list[AccessEvent]:
    """The latest device events in the user's areas (newest first), or those stored after ``after_pk``."""
    events = AccessEvent.objects.visible_to(user, VIEW).select_related("device__area", "person")
    if after_pk is not None:
        return list(events.filter(pk__gt=after_pk).order_by("-pk")[:limit])
    return list(events.order_by("-occurred_at", "-pk")[:limit])


def event_items(events: list[AccessEvent]) -> list[dict]:
    return [payloads.event_item(event, event.device, event.person.name if event.person_id else "")
            for event in events]


def console_snapshot(*, user: User) -> dict:
    """What a console shows when it (re)connects: open alarms and the latest events."""
    alarms = list(alarm_list(user=user, open_only=True)[:SNAPSHOT_ALARMS])
    return {"alarms": payloads.alarm_items(alarms), "events": event_items(recent_events(user=user))}


def console_paths(*, user: User) -> list[str]:
    """Area paths the user's console may show; empty when it may show nothing."""
    return grant_paths(user, VIEW)


def console_groups(*, user: User) -> list[str]:
    """The channel-layer groups a console of ``user`` joins.

    A grant at or below a complex: that complex's group (items outside the grant
    are dropped by the consumer). A grant above: every complex and every node
    above complex level inside it, since devices may hang on those nodes too.
    """
    paths = console_paths(user=user)
    if not paths:
        return []
    groups = {broadcast.home_group(area) for area in Area.objects.filter(path__in=paths).only("path", "level")}
    above = Area.objects.visible_to(user, VIEW).filter(level__in=_HOME_LEVELS).values_list("pk", flat=True)
    groups.update(broadcast.group_name(pk) for pk in above)
    return sorted(groups)
