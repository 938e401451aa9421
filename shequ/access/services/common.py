"""Helpers the access services share: rights, time, the audit trail's area."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.registry.models import Area
from shequ.registry.services.common import field_error, require


def require_change(actor: Actor, area: Area) -> None:
    require(actor, Capability.CHANGE, area)


def local_midnight(day: date) -> datetime:
    """The aware instant a local calendar day begins (an exclusive end for the day before)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def day_after(day: date) -> date:
    return day + timedelta(days=1)


def iso(moment: datetime | None) -> str | None:
    """One textual form for times in compiled entries (local offset), so equal
    instants always compare equal when entries are diffed."""
    return timezone.localtime(moment).isoformat() if moment is not None else None


def audit(actor: Actor, action: str, *, obj, area: Area, detail: dict | None = None) -> None:
    audit_append(actor=actor, action=action, obj=obj, area_path=area.path, detail=detail or {})


__all__ = ["ValidationError", "audit", "day_after", "field_error", "iso", "local_midnight", "require", "require_change"]
