"""Mailbox figures: letters by kind, time to the first reply (median and 90th
percentile), letters answered late or still unanswered past their deadline, and
satisfaction, for the user's communities over a range of days.

Reply times are natural hours from receipt to the first reply. Percentiles need
every value, so the letters of the range are read once (a few columns each) and
counted here; a community receives a few hundred letters a year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from shequ.accounts.models import User
from shequ.accounts.roles import Capability
from shequ.cases.deadlines import TZ
from shequ.mailbox.models import Kind, Letter, Status
from shequ.registry.models import Area


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (``share`` in 0..1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@dataclass
class Figures:
    """The figures of one community (or of all of them: ``community`` None)."""

    community: Area | None
    total: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: {kind: 0 for kind in Kind.values})
    anonymous: int = 0
    replied: int = 0
    overdue: int = 0
    reply_hours: list[float] = field(default_factory=list, repr=False)
    ratings: list[int] = field(default_factory=list, repr=False)

    @property
    def kinds(self) -> list[tuple[str, int]]:
        """(label, count) in the order of the kinds, for templates."""
        return [(Kind(kind).label, count) for kind, count in self.by_kind.items()]

    @property
    def reply_median_hours(self) -> float | None:
        value = median(self.reply_hours)
        return None if value is None else round(value, 1)

    @property
    def reply_p90_hours(self) -> float | None:
        value = percentile(self.reply_hours, 0.9)
        return None if value is None else round(value, 1)

    @property
    def rated(self) -> int:
        return len(self.ratings)

    @property
    def satisfaction(self) -> float | None:
        return round(sum(self.ratings) / len(self.ratings), 2) if self.ratings else None

    def add(self, row: dict, now: datetime) -> None:
        self.total += 1
        self.by_kind[row["kind"]] += 1
        self.anonymous += row["anonymous"]
        replied = row["first_replied_at"]
        if replied is not None:
            self.replied += 1
            self.reply_hours.append((replied - row["received_at"]).total_seconds() / 3600)
        # late: the first reply came after the deadline, or none came and the deadline has passed
        answered_or_now = replied or (row["closed_at"] if row["status"] == Status.CLOSED else now)
        if answered_or_now > row["reply_due_at"]:
            self.overdue += 1
        if row["rating"] is not None:
            self.ratings.append(row["rating"])


@dataclass
class Report:
    date_from: date
    date_to: date
    total: Figures
    communities: list[Figures]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ)


def mailbox_figures(*, user: User, date_from: date, date_to: date, community: Area | None = None,
                    now: datetime | None = None) -> Report:
    """Figures of the letters received from ``date_from`` to ``date_to`` (local days,
    inclusive) in the communities whose letters ``user`` handles."""
    now = now or timezone.now()
    letters = Letter.objects.visible_to(user, Capability.MAILBOX_HANDLE).filter(
        received_at__gte=_day_start(date_from), received_at__lt=_day_start(date_to + timedelta(days=1)))
    if community is not None:
        letters = letters.filter(community=community)
    rows = letters.values("community_id", "kind", "anonymous", "status", "received_at", "reply_due_at",
                          "first_replied_at", "closed_at", "rating")
    total = Figures(community=None)
    per_community: dict[int, Figures] = {}
    for row in rows.iterator(chunk_size=2000):
        total.add(row, now)
        per_community.setdefault(row["community_id"], Figures(community=None)).add(row, now)
    names = {area.pk: area for area in Area.objects.filter(pk__in=per_community)}
    for pk, figures in per_community.items():
        figures.community = names[pk]
    ordered = sorted(per_community.values(), key=lambda figures: figures.community.path)
    return Report(date_from=date_from, date_to=date_to, total=total, communities=ordered)
