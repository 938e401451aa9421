"""Working-time arithmetic on the holiday calendar kept as data.

A day is a working day when it is Monday–Friday and not a public holiday, or when
it is a weekend day the State Council made a working day (调休). Working hours are
09:00–12:00 and 13:00–18:00 in Asia/Shanghai, eight hours a day.

Units (``DeadlineUnit``):
- ``hours`` / ``days``: natural time, the calendar does not matter;
- ``working_hours``: the clock runs only inside working hours; a case received
  at night starts counting at 09:00 of the next working day;
- ``working_days``: whole working days; the day of receipt does not count, and
  the case is due at 18:00 of the N-th working day after it (the usual 从受理次日起算).

The calendar is loaded with one query by :meth:`WorkCalendar.load` and passed in
by the caller, so a bulk import computes thousands of deadlines on one copy and
no module keeps a mutable cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from shequ.cases.models import DayKind, DeadlineClass, DeadlineUnit

TZ = ZoneInfo("Asia/Shanghai")
#: the working periods of a working day, local time
WORK_PERIODS: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13), time(18)))
WORKDAY_SECONDS = sum((end.hour - start.hour) * 3600 for start, end in WORK_PERIODS)
_DAY_END = WORK_PERIODS[-1][1]

#: used when an administrator has deleted a policy row: the issue's defaults
DEFAULT_POLICIES: dict[str, tuple[int, str, int]] = {
    DeadlineClass.URGENT: (2, DeadlineUnit.HOURS, 1),
    DeadlineClass.UTILITIES: (24, DeadlineUnit.HOURS, 4),
    DeadlineClass.ORDINARY: (7, DeadlineUnit.WORKING_DAYS, 24),
    DeadlineClass.COMPLEX: (15, DeadlineUnit.WORKING_DAYS, 48),
}
WORKING_UNITS = frozenset({DeadlineUnit.WORKING_HOURS, DeadlineUnit.WORKING_DAYS})


@dataclass(frozen=True)
class WorkCalendar:
    """Holidays and worked weekend days; any other day follows the Mon–Fri rule."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def load(cls, year_from: int, year_to: int) -> WorkCalendar:
        """The calendar rows of ``year_from``..``year_to`` (inclusive), in one query."""
        from shequ.cases.models import CalendarDay

        rows = CalendarDay.objects.filter(date__gte=date(year_from, 1, 1), date__lte=date(year_to, 12, 31))
        return cls.from_rows(rows.values_list("date", "kind"))

    @classmethod
    def around(cls, moment: datetime) -> WorkCalendar:
        """Enough calendar for deadlines that start at ``moment`` (a 15-working-day
        deadline begun in December ends next year)."""
        year = local(moment).year
        return cls.load(year, year + 1)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[date, str]]) -> WorkCalendar:
        holidays, workdays = set(), set()
        for day, kind in rows:
            (holidays if kind == DayKind.HOLIDAY else workdays).add(day)
        return cls(frozenset(holidays), frozenset(workdays))

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day


def local(moment: datetime) -> datetime:
    if timezone.is_naive(moment):
        raise ValueError("deadline arithmetic needs aware datetimes")
    return moment.astimezone(TZ)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=TZ)


def _periods_from(moment: datetime, calendar: WorkCalendar):
    """Working periods (start, end) from ``moment`` on, the first one clipped to it."""
    day = moment.date()
    if not calendar.is_working_day(day):
        day = calendar.next_working_day(day)
    while True:
        for start_clock, end_clock in WORK_PERIODS:
            start, end = _at(day, start_clock), _at(day, end_clock)
            if end <= moment:
                continue
            yield max(start, moment), end
        day = calendar.next_working_day(day)


def add_working_seconds(start: datetime, seconds: float, calendar: WorkCalendar) -> datetime:
    """``start`` moved forward by ``seconds`` of working time.

    When the time runs out exactly at the end of a period the result is that end
    (18:00), not the start of the next one: a deadline reads "today 18:00".
    """
    moment = local(start)
    remaining = timedelta(seconds=seconds)
    if remaining <= timedelta(0):
        return moment
    for period_start, period_end in _periods_from(moment, calendar):
        available = period_end - period_start
        if remaining <= available:
            return period_start + remaining
        remaining -= available
    raise AssertionError("unreachable: the working periods never end")


def working_seconds_between(start: datetime, end: datetime, calendar: WorkCalendar) -> float:
    """Working time between two instants, in seconds (0 when ``end`` <= ``start``)."""
    begin, finish = local(start), local(end)
    if finish <= begin:
        return 0.0
    total = timedelta(0)
    for period_start, period_end in _periods_from(begin, calendar):
        if period_start >= finish:
            break
        total += min(period_end, finish) - period_start
    return total.total_seconds()


def due_at(start: datetime, *, amount: int, unit: str, calendar: WorkCalendar) -> datetime:
    """When something begun at ``start`` is due, ``amount`` ``unit`` later."""
    if amount < 0:
        raise ValueError("a deadline cannot be negative")
    if unit == DeadlineUnit.HOURS:
        return local(start) + timedelta(hours=amount)
    if unit == DeadlineUnit.DAYS:
        return local(start) + timedelta(days=amount)
    if unit == DeadlineUnit.WORKING_HOURS:
        return add_working_seconds(start, amount * 3600, calendar)
    if unit == DeadlineUnit.WORKING_DAYS:
        day = local(start).date()
        for _ in range(amount):
            day = calendar.next_working_day(day)
        return _at(day, _DAY_END)
    raise ValueError(f"unknown deadline unit {unit!r}")


def shift_for_pause(
    due: datetime, paused_from: datetime, paused_to: datetime, *, unit: str, calendar: WorkCalendar,
) -> datetime:
    """The deadline after a pause: the clock stood still from ``paused_from`` to
    ``paused_to``. For working units only the working time inside the pause moves
    the deadline (a pause over a weekend costs nothing), for natural units all of it."""
    if paused_to <= paused_from:
        return local(due)
    if unit in WORKING_UNITS:
        return add_working_seconds(due, working_seconds_between(paused_from, paused_to, calendar), calendar)
    return local(due) + (paused_to - paused_from)


@dataclass(frozen=True)
class Policy:
    """A deadline rule as plain values (from a DeadlinePolicy row or the defaults)."""

    deadline_class: str
    amount: int
    unit: str
    warn_before_hours: int

    @property
    def warn_before(self) -> timedelta:
        return timedelta(hours=self.warn_before_hours)


def deadline_class_for(category, urgency: str) -> str:
    """Urgent cases take the urgent policy whatever their category."""
    from shequ.cases.models import Urgency

    if urgency == Urgency.URGENT:
        return DeadlineClass.URGENT
    return category.deadline_class


def policies() -> dict[str, Policy]:
    """Every deadline policy by class, one query, defaults filling gaps."""
    from shequ.cases.models import DeadlinePolicy

    found = {
        row.deadline_class: Policy(row.deadline_class, row.amount, row.unit, row.warn_before_hours)
        for row in DeadlinePolicy.objects.all()
    }
    for cls, (amount, unit, warn) in DEFAULT_POLICIES.items():
        found.setdefault(cls, Policy(cls, amount, unit, warn))
    return found


def policy_for(category, urgency: str, *, table: dict[str, Policy] | None = None) -> Policy:
    """The policy a case of ``category`` and ``urgency`` follows (pass ``table``
    from :func:`policies` when computing many)."""
    return (table or policies())[deadline_class_for(category, urgency)]


def deadline_for(category, urgency: str, start: datetime, calendar: WorkCalendar | None = None,
                 *, table: dict[str, Policy] | None = None) -> datetime:
    """When a case of ``category`` and ``urgency`` received at ``start`` is due."""
    policy = policy_for(category, urgency, table=table)
    if calendar is None:
        calendar = WorkCalendar.around(start)
    return due_at(start, amount=policy.amount, unit=policy.unit, calendar=calendar)
