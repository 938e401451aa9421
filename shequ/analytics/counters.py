"""The numbers of one row of the figures table, and the ratios drawn from them.

The rollup and the direct computation (``selectors.figures_direct``) both fill
:class:`Counters`, so a page, an export and the equality test read one shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from shequ.analytics.models import COUNTER_FIELDS


@dataclass
class Counters:
    received: int = 0
    received_sanitation: int = 0
    received_property: int = 0
    received_utilities: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    handling_seconds: int = 0
    satisfaction_sum: int = 0
    satisfaction_count: int = 0
    satisfied: int = 0
    escalated_street: int = 0
    escalated_district: int = 0
    # not from cases: the meetings and household visits of the period
    meetings: int = 0
    visits: int = 0

    @classmethod
    def from_row(cls, row: dict) -> Counters:
        return cls(**{name: int(row.get(name) or 0) for name in COUNTER_FIELDS})

    def add(self, other: Counters) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def as_dict(self) -> dict[str, int]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    # --- ratios (None when there is nothing to divide by: the page shows a dash, not 0 %)

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def three_groups(self) -> int:
        """Sanitation, property and utilities together: the mission's "55 %" figure."""
        return self.received_sanitation + self.received_property + self.received_utilities

    @property
    def three_groups_share(self) -> float | None:
        return self._share(self.three_groups, self.received)

    @property
    def sanitation_share(self) -> float | None:
        return self._share(self.received_sanitation, self.received)

    @property
    def property_share(self) -> float | None:
        return self._share(self.received_property, self.received)

    @property
    def utilities_share(self) -> float | None:
        return self._share(self.received_utilities, self.received)

    @property
    def resolved_rate(self) -> float | None:
        return self._share(self.resolved, self.received)

    @property
    def on_time_rate(self) -> float | None:
        """Resolved by the deadline, of the resolved (the deadline moves by pauses)."""
        return self._share(self.resolved_on_time, self.resolved)

    @property
    def handling_hours(self) -> float | None:
        """Average time from receipt to resolution, in hours."""
        return self.handling_seconds / self.resolved / 3600 if self.resolved else None

    @property
    def satisfaction_average(self) -> float | None:
        return self.satisfaction_sum / self.satisfaction_count if self.satisfaction_count else None

    @property
    def satisfied_share(self) -> float | None:
        """Rated 4 or 5, of the rated."""
        return self._share(self.satisfied, self.satisfaction_count)


@dataclass
class Breakdown:
    """Received cases by one key (a category or a channel)."""

    key: str
    label: str
    received: int
    share: float | None = None


@dataclass
class MonthPoint:
    month: object  # date, the first of the month
    received: int = 0
    resolved: int = 0
    resolved_on_time: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.resolved_on_time / self.resolved if self.resolved else None


@dataclass
class ChildRow:
    area: object  # registry Area
    counters: Counters = field(default_factory=Counters)
