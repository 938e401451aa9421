"""Reporting periods: a month, a quarter, a year, or any run of days.

Figures count the cases *received* in the period (their later resolution,
rating and escalation included), so a period's figures settle as its cases
close rather than shifting with every day's work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _


class Kind:
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"

    choices = (MONTH, QUARTER, YEAR, CUSTOM)


#: a custom period may span at most this many days (the page reads one row per day)
MAX_CUSTOM_DAYS = 3 * 366


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = date(year, month, 1)
        return cls(Kind.MONTH, start, add_months(start, 1) - timedelta(days=1))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        start = date(year, 3 * (quarter - 1) + 1, 1)
        return cls(Kind.QUARTER, start, add_months(start, 3) - timedelta(days=1))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(Kind.YEAR, date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def custom(cls, start: date, end: date) -> Period:
        return cls(Kind.CUSTOM, start, end)

    @classmethod
    def containing(cls, kind: str, day: date) -> Period:
        if kind == Kind.MONTH:
            return cls.month(day.year, day.month)
        if kind == Kind.QUARTER:
            return cls.quarter(day.year, (day.month - 1) // 3 + 1)
        return cls.year(day.year)

    @property
    def quarter_number(self) -> int:
        return (self.start.month - 1) // 3 + 1

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.kind == Kind.MONTH:
            return _("%(year)d年%(month)d月") % {"year": self.start.year, "month": self.start.month}
        if self.kind == Kind.QUARTER:
            return _("%(year)d年第%(quarter)d季度") % {"year": self.start.year,
                                                      "quarter": (self.start.month - 1) // 3 + 1}
        if self.kind == Kind.YEAR:
            return _("%(year)d年") % {"year": self.start.year}
        return f"{self.start:%Y-%m-%d} — {self.end:%Y-%m-%d}"

    def shifted(self, steps: int) -> Period:
        """The period ``steps`` before (negative) or after this one, of the same kind."""
        if self.kind == Kind.MONTH:
            start = add_months(self.start, steps)
            return Period.month(start.year, start.month)
        if self.kind == Kind.QUARTER:
            start = add_months(self.start, 3 * steps)
            return Period.quarter(start.year, (start.month - 1) // 3 + 1)
        if self.kind == Kind.YEAR:
            return Period.year(self.start.year + steps)
        span = timedelta(days=self.days * steps)
        return Period.custom(self.start + span, self.end + span)

    def trend_months(self, count: int = 12) -> list[date]:
        """First days of the ``count`` months ending with the period's last month."""
        last = month_start(self.end)
        return [add_months(last, offset) for offset in range(1 - count, 1)]

    def as_query(self) -> dict[str, str]:
        """GET parameters that give this period back (links, the export)."""
        if self.kind == Kind.MONTH:
            return {"kind": self.kind, "year": str(self.start.year), "month": str(self.start.month)}
        if self.kind == Kind.QUARTER:
            return {"kind": self.kind, "year": str(self.start.year), "quarter": str((self.start.month - 1) // 3 + 1)}
        if self.kind == Kind.YEAR:
            return {"kind": self.kind, "year": str(self.start.year)}
        return {"kind": self.kind, "start": self.start.isoformat(), "end": self.end.isoformat()}
