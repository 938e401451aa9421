"""Keeping the figures rollup equal to the cases.

Three entries:

- ``rollup_mark(cases=...)``: case services call it after saving a change (one
  INSERT, inside their transaction; nothing is recomputed there, so a busy
  intake never queues on a shared counter row).
- ``rollup_refresh()``: recomputes the marked (complex, day) buckets from the
  case rows, then every ancestor's rows for those days from its children's
  rows, and deletes exactly the marks it read. The figures page calls it with a
  small ``limit`` before reading; ``analytics_rollup`` calls it without one.
- ``rollup_rebuild(since=...)``: recomputes everything from a day on
  (``analytics_rollup --since DATE``; the benchmark's initial build).

Every recomputation is "delete the buckets' rows, INSERT … SELECT … GROUP BY":
the SELECT is built with the ORM (so SQLite and PostgreSQL share it) and run
inside the database, never row by row in Python. One advisory lock (PostgreSQL)
keeps two refreshes from summing children while the other rewrites them; SQLite
serialises writers by itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BigIntegerField, CharField, Count, F, Func, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce, Greatest, TruncDate
from django.utils import timezone

from shequ.analytics.models import COUNTER_FIELDS, AreaDay, AreaDayCount, Dimension, RollupMark, RollupState
from shequ.cases.models import Case, CategoryGroup, Level, Status
from shequ.registry.models import Area
from shequ.registry.models.area import CHILD_LEVEL, LEVEL_DEPTH, AreaLevel

TZ = ZoneInfo(settings.TIME_ZONE)

#: levels that get rows of their own, bottom-up: a level's rows are summed from the level below
PARENT_LEVELS = (AreaLevel.COMMUNITY, AreaLevel.STREET, AreaLevel.DISTRICT, AreaLevel.CITY)

#: a change touching more buckets than this (a bulk import) asks for a rebuild from its first day instead
MARKS_PER_CALL = 5000

#: names the rollup among PostgreSQL advisory locks (any constant the project uses nowhere else)
_LOCK_KEY = 0x5348_4551_0001


def local_day(moment: datetime) -> date:
    """The calendar day (in the platform's time zone) a case was received on."""
    return moment.astimezone(TZ).date()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TZ)


# --- what one case contributes ------------------------------------------------------------------------------------

class EpochSeconds(Func):
    """Whole seconds since 1970 (rounded down): exact integer arithmetic on both
    databases, so the rollup's handling time adds up to the direct one exactly."""

    output_field = BigIntegerField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint",
                           **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # '%%%%s' survives the template's and the cursor's %-formatting as a literal %s. The
        # fraction is cut off first: SQLite keeps times in whole milliseconds, so it would round
        # "…:12.999900" up to second 13 where Python (and PostgreSQL's FLOOR) say 12.
        return self.as_sql(compiler, connection,
                           template="CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER)", **extra)


RESOLVED = Q(resolved_at__isnull=False)
#: resolved by the deadline; pauses are in due_at already (the cases services move it)
ON_TIME = RESOLVED & (Q(due_at__isnull=True) | Q(resolved_at__lte=F("due_at")))
HANDLING = Greatest(EpochSeconds("resolved_at") - EpochSeconds("received_at"), Value(0))
#: merged duplicates are folded into the case that carries on: counted once, there
LIVE = ~Q(status=Status.MERGED)


def case_aggregates() -> dict[str, object]:
    """What the cases of one group add up to, as SQL aggregates (the rollup's rules)."""
    return {
        "received": Count("pk"),
        "received_sanitation": Count("pk", filter=Q(category__group=CategoryGroup.SANITATION)),
        "received_property": Count("pk", filter=Q(category__group=CategoryGroup.PROPERTY)),
        "received_utilities": Count("pk", filter=Q(category__group=CategoryGroup.UTILITIES)),
        "resolved": Count("pk", filter=RESOLVED),
        "resolved_on_time": Count("pk", filter=ON_TIME),
        "handling_seconds": Coalesce(Sum(HANDLING, filter=RESOLVED), Value(0), output_field=BigIntegerField()),
        "satisfaction_sum": Coalesce(Sum("satisfaction"), Value(0)),
        "satisfaction_count": Count("satisfaction"),
        "satisfied": Count("pk", filter=Q(satisfaction__gte=4)),
        "escalated_street": Count("pk", filter=Q(level__in=[Level.STREET, Level.DISTRICT])),
        "escalated_district": Count("pk", filter=Q(level=Level.DISTRICT)),
    }


# --- INSERT … SELECT ----------------------------------------------------------------------------------------------

def _insert_select(model, queryset: QuerySet, group: dict[str, object], aggregates: dict[str, object]) -> None:
    """INSERT INTO model's table the rows of ``queryset`` grouped by ``group`` with
    ``aggregates``; keys are the model's field names, in any order."""
    group_aliases = {f"g{index}": expression for index, expression in enumerate(group.values())}
    aggregate_aliases = {f"a{index}": expression for index, expression in enumerate(aggregates.values())}
    grouped = queryset.values(**group_aliases).annotate(**aggregate_aliases).order_by()
    selected = [*grouped.query.values_select, *grouped.query.annotation_select]
    if selected != [*group_aliases, *aggregate_aliases]:  # the column order the INSERT relies on
        raise RuntimeError(f"unexpected SELECT order {selected}")
    sql, params = grouped.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in [*group, *aggregates])
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {sql}", params)


def _insert_complexes(cases: QuerySet) -> None:
    """Rows of complexes from their cases (the cases' filter says which buckets)."""
    live = cases.filter(LIVE)
    keys = {"area": F("complex_id"), "day": TruncDate("received_at", tzinfo=TZ)}
    _insert_select(AreaDay, live, keys, case_aggregates())
    _insert_select(AreaDayCount, live, {**keys, "dimension": Value(Dimension.CATEGORY.value),
                                        "key": Cast("category_id", CharField(max_length=40))},
                   {"received": Count("pk")})
    _insert_select(AreaDayCount, live, {**keys, "dimension": Value(Dimension.CHANNEL.value), "key": F("channel")},
                   {"received": Count("pk")})


def _insert_parents(level: str, rows: Q) -> None:
    """Rows of areas at ``level`` summed from their children's rows matching ``rows``."""
    child = CHILD_LEVEL[AreaLevel(level)]
    keys = {"area": F("area__parent_id"), "day": F("day")}
    _insert_select(AreaDay, AreaDay.objects.filter(rows, area__level=child), keys,
                   {name: Sum(name) for name in COUNTER_FIELDS})
    _insert_select(AreaDayCount, AreaDayCount.objects.filter(rows, area__level=child),
                   {**keys, "dimension": F("dimension"), "key": F("key")}, {"received": Sum("received")})


def _delete(rows: Q) -> None:
    AreaDay.objects.filter(rows).delete()
    AreaDayCount.objects.filter(rows).delete()


def _rebuild(since: date | None) -> None:
    days = Q(day__gte=since) if since else Q()
    _delete(days)
    cases = Case.objects.filter(received_at__gte=day_start(since)) if since else Case.objects.all()
    _insert_complexes(cases)
    for level in PARENT_LEVELS:
        _insert_parents(level, days)


def _recompute(buckets: set[tuple[int, date]]) -> None:
    by_day: dict[date, set[int]] = defaultdict(set)
    for complex_id, day in buckets:
        by_day[day].add(complex_id)
    for day, complexes in sorted(by_day.items()):
        _delete(Q(area_id__in=complexes, day=day))
        _insert_complexes(Case.objects.filter(complex_id__in=complexes, received_at__gte=day_start(day),
                                              received_at__lt=day_start(day + timedelta(days=1))))
    # ancestors: every (ancestor, day) pair of the batch, summed again from children that are all current now
    ancestors: dict[int, set[int]] = defaultdict(set)
    for path in Area.objects.filter(pk__in={complex_id for complex_id, _ in buckets}).values_list("path", flat=True):
        for depth, area_id in enumerate(int(part) for part in path.strip("/").split("/")):
            ancestors[depth].add(area_id)
    days = set(by_day)
    for level in PARENT_LEVELS:
        ids = ancestors.get(LEVEL_DEPTH[level])
        if ids:
            _delete(Q(area_id__in=ids, day__in=days))
            _insert_parents(level, Q(area__parent_id__in=ids, day__in=days))


# --- locking and the entries ------------------------------------------------------------------------------------

def _lock(*, wait: bool) -> bool:
    """Take the rollup's lock for this transaction; False if busy and not waiting."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
        return bool(cursor.fetchone()[0])


@dataclass(frozen=True)
class RefreshReport:
    marks: int = 0
    buckets: int = 0
    rebuilt_since: date | None = None
    full: bool = False
    skipped: bool = False  # another refresh holds the lock
    deferred: bool = False  # more work than the caller's limit: left for analytics_rollup


def rollup_mark(*, cases: Iterable[Case]) -> None:
    """Note that these cases changed: their (complex, day) buckets are recomputed on the next refresh."""
    buckets = {(case.complex_id, local_day(case.received_at)) for case in cases
               if case.complex_id is not None and case.received_at is not None}
    if len(buckets) > MARKS_PER_CALL:
        RollupMark.objects.create(complex=None, day=min(day for _complex, day in buckets))
    elif buckets:
        RollupMark.objects.bulk_create([RollupMark(complex_id=complex_id, day=day) for complex_id, day in buckets])


def _run(*, since: date | None, full: bool, limit: int | None, wait: bool) -> RefreshReport:
    with transaction.atomic():
        if not _lock(wait=wait):
            return RefreshReport(skipped=True)
        started = timezone.now()
        marks = RollupMark.objects.order_by("pk").values_list("pk", "complex_id", "day")
        marks = list(marks[: limit + 1]) if limit is not None else list(marks)
        rebuild_days = [day for _pk, complex_id, day in marks if complex_id is None]
        if limit is not None and (len(marks) > limit or rebuild_days):
            return RefreshReport(marks=len(marks), deferred=True)
        if rebuild_days and not full:
            since = min([*rebuild_days, *([since] if since else [])])
        rebuilding = full or since is not None
        if rebuilding:
            _rebuild(None if full else since)
        buckets = {(complex_id, day) for _pk, complex_id, day in marks
                   if complex_id is not None and not full and (since is None or day < since)}
        if buckets:
            _recompute(buckets)
        ids = [pk for pk, _complex_id, _day in marks]
        for offset in range(0, len(ids), 5000):
            RollupMark.objects.filter(pk__in=ids[offset:offset + 5000]).delete()
        state = RollupState.objects.select_for_update().first() or RollupState()
        state.refreshed_at = started
        if rebuilding:
            state.rebuilt_at = started
        state.save()
    return RefreshReport(marks=len(marks), buckets=len(buckets), rebuilt_since=since if not full else None,
                         full=full)


def rollup_refresh(*, limit: int | None = None, wait: bool = True) -> RefreshReport:
    """Recompute the buckets marked since the last refresh. With ``limit``, do
    nothing when more are waiting (or a rebuild is asked for): a page must not
    stall on a bulk import's backlog. With ``wait=False``, do nothing when
    another refresh runs."""
    return _run(since=None, full=False, limit=limit, wait=wait)


def rollup_rebuild(*, since: date | None = None) -> RefreshReport:
    """Recompute every row from ``since`` on (everything when None), and any
    marked bucket before it."""
    return _run(since=since, full=since is None, limit=None, wait=True)


def rollup_pending() -> int:
    """How many marks wait to be counted (0 almost always: pages refresh first)."""
    return RollupMark.objects.count()


def rollup_status() -> tuple[datetime | None, int]:
    """(until when the figures are known complete, marks still waiting). With
    nothing waiting, every change committed so far is counted: complete until now."""
    pending = rollup_pending()
    if not pending:
        return timezone.now(), 0
    return RollupState.objects.values_list("refreshed_at", flat=True).first(), pending
