"""Response-time figures per complex: how long after an alarm was raised it was
acknowledged, dispatched, reached and closed.

Per complex and alarm kind, over the alarms raised in a date range: for each step
the number of alarms that reached it, the median and the 90th percentile of the
seconds from raising to that step. The 90th percentile is the nearest-rank one
(the smallest value with at least 90% of the values at or below it): it is always
a time that really happened. Computed in Python from one scoped query: a complex's
alarms over months are thousands of rows, and the same code runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from shequ.accounts.roles import Capability
from shequ.alarms.broadcast import home_area_id
from shequ.alarms.models import Alarm, AlarmKind
from shequ.registry.models import Area

if TYPE_CHECKING:
    from shequ.accounts.models import User

#: the steps measured, each as (name, the alarm's field stamping it)
STEPS = (("acknowledge", "acknowledged_at"), ("dispatch", "dispatched_at"), ("on_scene", "on_scene_at"),
         ("close", "closed_at"))


@dataclass(frozen=True)
class Figure:
    """Seconds from raising to one step, over the alarms that reached it."""

    count: int
    median: float | None
    p90: float | None


@dataclass
class KindStats:
    kind: str
    raised: int
    steps: dict[str, Figure] = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return str(AlarmKind(self.kind).label) if self.kind in AlarmKind.values else self.kind


@dataclass
class ComplexStats:
    area_id: int
    name: str
    kinds: list[KindStats]

    @property
    def raised(self) -> int:
        return sum(kind.raised for kind in self.kinds)


def figure(seconds: list[float]) -> Figure:
    """Count, median and nearest-rank 90th percentile of ``seconds``."""
    if not seconds:
        return Figure(0, None, None)
    ordered = sorted(seconds)
    rank = max(1, math.ceil(0.9 * len(ordered)))
    return Figure(len(ordered), statistics.median(ordered), ordered[rank - 1])


def day_range(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the current time zone."""
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(start, time.min), tz),
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz))


def alarm_response_stats(*, user: User, start: date, end: date, kind: str = "") -> list[ComplexStats]:
    """Response-time figures of the alarms raised from ``start`` to ``end`` (days, both
    included) in the user's areas, per complex (by name) and kind."""
    since, until = day_range(start, end)
    alarms = Alarm.objects.visible_to(user, Capability.ALARMS_VIEW).filter(raised_at__gte=since, raised_at__lt=until)
    if kind:
        alarms = alarms.filter(kind=kind)
    rows = alarms.values_list("area__path", "area__level", "kind", "raised_at", *(name for _step, name in STEPS))
    waits: dict[tuple[int, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    raised: dict[tuple[int, str], int] = defaultdict(int)
    for path, level, alarm_kind, raised_at, *stamps in rows.iterator(chunk_size=2000):
        key = (home_area_id(path, level), alarm_kind)
        raised[key] += 1
        for (step, _field), stamp in zip(STEPS, stamps):
            if stamp is not None:
                waits[key][step].append((stamp - raised_at).total_seconds())
    names = dict(Area.objects.filter(pk__in={area_id for area_id, _kind in raised}).values_list("pk", "name"))
    by_complex: dict[int, list[KindStats]] = defaultdict(list)
    for (area_id, alarm_kind), count in raised.items():
        by_complex[area_id].append(KindStats(alarm_kind, count, {
            step: figure(waits[(area_id, alarm_kind)][step]) for step, _field in STEPS}))
    result = [ComplexStats(area_id, names.get(area_id, ""), sorted(kinds, key=lambda item: item.kind))
              for area_id, kinds in by_complex.items()]
    return sorted(result, key=lambda item: (item.name, item.area_id))
