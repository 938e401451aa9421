"""Figures reads: from the rollup for the pages and exports, and straight from the
case rows (``figures_direct``) for the proof that both agree.

Everything is scoped by the ``cases.view`` capability: the area is fetched
through ``Area.objects.visible_to``, its children likewise, the rollup rows
through ``AreaDay.objects.visible_to`` and the cases through
``Case.objects.visible_to``. Figures exist for complexes and the levels above.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import QuerySet, Sum

from shequ.accounts.models import User
from shequ.accounts.roles import Capability
from shequ.accounts.scope import grant_paths, user_can
from shequ.analytics.counters import Breakdown, ChildRow, Counters, MonthPoint
from shequ.analytics.models import COUNTER_FIELDS, AreaDay, AreaDayCount, Dimension
from shequ.analytics.periods import Period, add_months
from shequ.analytics.services import day_start, local_day
from shequ.cases.models import Case, Category, CategoryGroup, Channel, Level, Status
from shequ.core.scoping import subtree_q
from shequ.meetings.models import MeetingKind
from shequ.meetings.selectors import meetings_held_counts, visits_made_counts
from shequ.registry.models import Area
from shequ.registry.models.area import AreaLevel

VIEW = Capability.CASES_VIEW
FIGURE_LEVELS = (AreaLevel.CITY, AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY, AreaLevel.COMPLEX)


@dataclass
class Figures:
    area: Area
    period: Period
    total: Counters
    children: list[ChildRow] = field(default_factory=list)
    categories: list[Breakdown] = field(default_factory=list)
    channels: list[Breakdown] = field(default_factory=list)
    trend: list[MonthPoint] = field(default_factory=list)


# --- areas --------------------------------------------------------------------------------------------------------

def _figure_areas(user: User) -> QuerySet:
    return Area.objects.visible_to(user, VIEW).filter(level__in=FIGURE_LEVELS)


def figures_areas(*, user: User) -> list[Area]:
    """The highest areas the user sees whole (their grants' nodes), complex level or above."""
    ids = [int(path.strip("/").split("/")[-1]) for path in grant_paths(user, VIEW)]
    return list(_figure_areas(user).filter(pk__in=ids).order_by("depth", "path"))


def figures_area_get(*, user: User, pk: int) -> Area:
    """An area whose figures the user may read; ``Area.DoesNotExist`` otherwise (a 404)."""
    return _figure_areas(user).get(pk=pk)


def figures_children(*, user: User, area: Area) -> list[Area]:
    """The drill-down rows: the area's children the user may see, complex level or above.
    Retired children stay: their old cases are still in the period's figures."""
    return list(_figure_areas(user).filter(parent=area).order_by("retired_on", "code", "pk"))


def figures_breadcrumb(*, user: User, area: Area) -> list[tuple[Area, bool]]:
    """The area's ancestors from the top, each with whether the user may open its figures."""
    ancestors = Area.objects.filter(pk__in=area.ancestor_ids[:-1]).order_by("depth")
    return [(ancestor, user_can(user, VIEW, ancestor)) for ancestor in ancestors]


# --- labels -------------------------------------------------------------------------------------------------------

def _category_labels() -> dict[str, str]:
    categories = {category.pk: category for category in Category.objects.select_related("parent")}
    return {str(pk): f"{category.parent.name} / {category.name}" if category.parent_id else category.name
            for pk, category in categories.items()}


def _breakdowns(counts: dict[str, int], labels: dict[str, str], total: int) -> list[Breakdown]:
    rows = [Breakdown(key, str(labels.get(key, key)), received, received / total if total else None)
            for key, received in counts.items() if received]
    return sorted(rows, key=lambda row: (-row.received, row.label))


def _without_empty_retired(rows: list[ChildRow]) -> list[ChildRow]:
    """A retired child stays in the table only while the period holds cases of it."""
    return [row for row in rows if row.area.retired_on is None or row.counters.received]


def _trend(points: dict[date, MonthPoint], months: list[date]) -> list[MonthPoint]:
    return [points.get(month) or MonthPoint(month) for month in months]


# --- meetings and visits (the same for both computations) -------------------------------------------------------

def _meetings_and_visits(area: Area, period: Period, total: Counters, children: list[ChildRow]) -> None:
    """Meetings held (weekly "2+4", street joint, district group) and household
    visits made in the period, added to the total and to each child's row."""
    held: dict[int, int] = defaultdict(int)
    for kind in MeetingKind.values:
        for area_id, count in meetings_held_counts(area=area, start=period.start, end=period.end, kind=kind).items():
            held[area_id] += count
    visits = visits_made_counts(area=area, start=period.start, end=period.end)
    total.meetings, total.visits = sum(held.values()), sum(visits.values())
    if not children:
        return
    paths = dict(Area.objects.filter(pk__in=set(held) | set(visits)).values_list("pk", "path"))
    for row in children:
        inside = [area_id for area_id, path in paths.items() if path.startswith(row.area.path)]
        row.counters.meetings = sum(held.get(area_id, 0) for area_id in inside)
        row.counters.visits = sum(visits.get(area_id, 0) for area_id in inside)


# --- from the rollup ------------------------------------------------------------------------------------------------

_SUMS = {name: Sum(name) for name in COUNTER_FIELDS}


def figures_get(*, user: User, area: Area, period: Period, children: list[Area] | None = None,
                trend_months: int = 12) -> Figures:
    """The figures of ``area`` for ``period``, from the rollup: a handful of
    queries over at most (days x children) rows, whatever the number of cases."""
    days = AreaDay.objects.visible_to(user, VIEW).filter(day__gte=period.start, day__lte=period.end)
    total = Counters.from_row(days.filter(area=area).aggregate(**_SUMS))
    rows = [ChildRow(child) for child in (children or [])]
    if rows:
        by_id = {row["area_id"]: row for row in days.filter(area_id__in=[row.area.pk for row in rows])
                 .values("area_id").annotate(**_SUMS)}
        for row in rows:
            row.counters = Counters.from_row(by_id.get(row.area.pk, {}))
    counts: dict[str, dict[str, int]] = {Dimension.CATEGORY: {}, Dimension.CHANNEL: {}}
    for dimension, key, received in (AreaDayCount.objects.visible_to(user, VIEW)
                                     .filter(area=area, day__gte=period.start, day__lte=period.end)
                                     .values("dimension", "key").annotate(n=Sum("received"))
                                     .values_list("dimension", "key", "n")):
        counts[dimension][key] = int(received)
    months = period.trend_months(trend_months)
    points: dict[date, MonthPoint] = {}
    for day, received, resolved, on_time in (AreaDay.objects.visible_to(user, VIEW)
                                             .filter(area=area, day__gte=months[0],
                                                     day__lt=add_months(months[-1], 1))
                                             .values_list("day", "received", "resolved", "resolved_on_time")):
        point = points.setdefault(day.replace(day=1), MonthPoint(day.replace(day=1)))
        point.received += received
        point.resolved += resolved
        point.resolved_on_time += on_time
    _meetings_and_visits(area, period, total, rows)
    return Figures(
        area=area, period=period, total=total, children=_without_empty_retired(rows),
        categories=_breakdowns(counts[Dimension.CATEGORY], _category_labels(), total.received),
        channels=_breakdowns(counts[Dimension.CHANNEL], dict(Channel.choices), total.received),
        trend=_trend(points, months),
    )


# --- straight from the cases ---------------------------------------------------------------------------------------

_DIRECT_FIELDS = ("received_at", "resolved_at", "due_at", "satisfaction", "level", "category_id", "category__group",
                  "channel", "complex__path")


def _epoch(moment) -> int:
    return int(moment.timestamp() // 1)


def _count_case(counters: Counters, case: dict) -> None:
    """What one case adds to a row: the rules of ``services.case_aggregates``, in Python."""
    counters.received += 1
    group = case["category__group"]
    counters.received_sanitation += group == CategoryGroup.SANITATION
    counters.received_property += group == CategoryGroup.PROPERTY
    counters.received_utilities += group == CategoryGroup.UTILITIES
    if case["resolved_at"] is not None:
        counters.resolved += 1
        counters.resolved_on_time += case["due_at"] is None or case["resolved_at"] <= case["due_at"]
        counters.handling_seconds += max(0, _epoch(case["resolved_at"]) - _epoch(case["received_at"]))
    if case["satisfaction"] is not None:
        counters.satisfaction_sum += case["satisfaction"]
        counters.satisfaction_count += 1
        counters.satisfied += case["satisfaction"] >= 4
    counters.escalated_street += case["level"] in (Level.STREET, Level.DISTRICT)
    counters.escalated_district += case["level"] == Level.DISTRICT


def figures_direct(*, user: User, area: Area, period: Period, children: list[Area] | None = None,
                   trend_months: int = 12) -> Figures:
    """The same figures computed from the case rows one by one: slow, and the
    yardstick the rollup is tested against."""
    months = period.trend_months(trend_months)
    first = min(period.start, months[0])
    last = max(period.end, add_months(months[-1], 1) - timedelta(days=1))
    cases = (Case.objects.visible_to(user, VIEW).filter(subtree_q("area__path", area.path))
             .exclude(status=Status.MERGED)
             .filter(received_at__gte=day_start(first), received_at__lt=day_start(last + timedelta(days=1)))
             .values(*_DIRECT_FIELDS))
    total = Counters()
    rows = [ChildRow(child) for child in (children or [])]
    categories: dict[str, int] = defaultdict(int)
    channels: dict[str, int] = defaultdict(int)
    points: dict[date, MonthPoint] = {}
    for case in cases:
        day = local_day(case["received_at"])
        if months[0] <= day < add_months(months[-1], 1):
            point = points.setdefault(day.replace(day=1), MonthPoint(day.replace(day=1)))
            point.received += 1
            if case["resolved_at"] is not None:
                point.resolved += 1
                point.resolved_on_time += case["due_at"] is None or case["resolved_at"] <= case["due_at"]
        if not period.start <= day <= period.end:
            continue
        _count_case(total, case)
        categories[str(case["category_id"])] += 1
        channels[case["channel"]] += 1
        for row in rows:
            if case["complex__path"].startswith(row.area.path):
                _count_case(row.counters, case)
    _meetings_and_visits(area, period, total, rows)
    return Figures(
        area=area, period=period, total=total, children=_without_empty_retired(rows),
        categories=_breakdowns(dict(categories), _category_labels(), total.received),
        channels=_breakdowns(dict(channels), dict(Channel.choices), total.received),
        trend=_trend(points, months),
    )
