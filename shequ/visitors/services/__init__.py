"""Visitor services: every write of the visitors app goes through these functions,
which check the actor's rights, validate, save, audit and tell the doors."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from shequ.visitors.services.passes import pass_events_record, pass_issue, pass_revoke, passes_expire
from shequ.visitors.services.visits import (
    overstay_grace, visit_check_in, visit_check_out, visit_walk_in, visits_overstay_check,
)


def visitors_tick(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic work (``visitors_tick``): expire passes, raise overstay alarms."""
    now = now or timezone.now()
    expired = passes_expire(now=now)
    alarms = visits_overstay_check(now)
    return {"expired": expired, "overstays": len(alarms)}


__all__ = [
    "overstay_grace", "pass_events_record", "pass_issue", "pass_revoke", "passes_expire", "visit_check_in",
    "visit_check_out", "visit_walk_in", "visitors_tick", "visits_overstay_check",
]
