"""Reads of the visitors app: a resident's passes, the guard's day, the log, figures.

Every read that a page shows goes through ``visible_to``: a resident holds
``VISITORS_ISSUE`` on their house only, a guard ``VISITORS_GUARD`` on their complex.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from shequ.access.models import Device, DeviceKind
from shequ.accounts.roles import Capability
from shequ.core.scoping import subtree_q
from shequ.registry.models import Area
from shequ.registry.models.area import LEVEL_DEPTH, AreaLevel
from shequ.visitors.models import REFUSED_STATUSES, PassStatus, Visit, VisitKind, VisitorPass


def ancestor_id(area: Area, level: str) -> int:
    """The id of ``area``'s ancestor at ``level`` (levels never skip, so the path alone finds it)."""
    ids = area.ancestor_ids
    steps_up = LEVEL_DEPTH[AreaLevel(area.level)] - LEVEL_DEPTH[AreaLevel(level)]
    if steps_up < 0 or steps_up >= len(ids):
        raise ValueError(f"{area.level} {area.pk} has no {level} above it")
    return ids[-1 - steps_up]


def _ancestor_path(area: Area, level: str) -> str:
    ids = area.ancestor_ids
    steps_up = LEVEL_DEPTH[AreaLevel(area.level)] - LEVEL_DEPTH[AreaLevel(level)]
    return "/" + "/".join(str(i) for i in ids[: len(ids) - steps_up]) + "/"


# --- residents ---------------------------------------------------------------------------------------------------

def my_households(*, user) -> list[Area]:
    """The houses ``user`` may issue visitor passes for."""
    return list(Area.objects.visible_to(user, Capability.VISITORS_ISSUE).filter(level=AreaLevel.HOUSE)
                .order_by("path"))


def household_doors(*, house: Area) -> QuerySet[Device]:
    """Doors a pass of ``house`` may open: its building's unit doors and its complex's gates
    (the doors its residents open, ``access.services.compile``)."""
    building = subtree_q("area__path", _ancestor_path(house, AreaLevel.BUILDING))
    gates = Q(kind=DeviceKind.GATE, area_id=ancestor_id(house, AreaLevel.COMPLEX))
    return (Device.objects.filter(is_active=True).filter((Q(kind=DeviceKind.UNIT_DOOR) & building) | gates)
            .select_related("area").order_by("kind", "name", "pk"))


def my_passes(*, user) -> QuerySet[VisitorPass]:
    return VisitorPass.objects.visible_to(user, Capability.VISITORS_ISSUE).select_related("area")


def my_pass_get(*, user, pk: int) -> VisitorPass:
    """Raises VisitorPass.DoesNotExist for another household's pass."""
    return my_passes(user=user).prefetch_related("doors").get(pk=pk)


def pass_by_share_key(*, key: str) -> VisitorPass:
    """The pass behind a share link (no login: the key is the secret)."""
    return VisitorPass.objects.select_related("area").get(share_key=key)


# --- the doors (``access`` compiles these into REVOKED_PASS entries) ---------------------------------------------

def passes_refused_on(*, device_pks: list[int], now: datetime) -> list[tuple[int, int, str, datetime]]:
    """(device pk, pass pk, pass id, pass end) of each revoked or used-up pass naming these doors."""
    through = VisitorPass.doors.through
    return list(through.objects.filter(
        device_id__in=device_pks, visitorpass__status__in=REFUSED_STATUSES, visitorpass__valid_until__gt=now,
    ).values_list("device_id", "visitorpass_id", "visitorpass__pass_id", "visitorpass__valid_until"))


# --- the guard ---------------------------------------------------------------------------------------------------

def guard_complexes(*, user) -> list[Area]:
    return list(Area.objects.visible_to(user, Capability.VISITORS_GUARD).filter(level=AreaLevel.COMPLEX)
                .order_by("path"))


def guard_passes(*, user) -> QuerySet[VisitorPass]:
    return VisitorPass.objects.visible_to(user, Capability.VISITORS_GUARD).select_related("area")


def guard_visits(*, user) -> QuerySet[Visit]:
    return Visit.objects.visible_to(user, Capability.VISITORS_GUARD).select_related("area", "visitor_pass")


def guard_pass_get(*, user, pk: int) -> VisitorPass:
    return guard_passes(user=user).get(pk=pk)


def guard_visit_get(*, user, pk: int) -> Visit:
    return guard_visits(user=user).get(pk=pk)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()))


def expected_today(*, user, now: datetime) -> list[VisitorPass]:
    """Issued passes whose window meets today and whose visitor is not inside now."""
    start, end = _day_bounds(timezone.localdate(now))
    inside = Visit.objects.inside().filter(visitor_pass__isnull=False).values("visitor_pass_id")
    passes = guard_passes(user=user).filter(status=PassStatus.ISSUED, valid_from__lt=end, valid_until__gt=max(start, now))
    return list(passes.exclude(pk__in=inside).order_by("valid_from", "pk")[:200])


def inside_now(*, user) -> list[Visit]:
    return list(guard_visits(user=user).inside().order_by("-arrived_at", "-pk")[:200])


def overstays(*, user, now: datetime) -> list[Visit]:
    return list(guard_visits(user=user).inside().filter(expected_leave_at__lt=now).order_by("expected_leave_at")[:200])


def visit_log(*, user, day_from: date | None = None, day_to: date | None = None, kind: str = "",
              complex_id: int | None = None, name: str = "", inside: bool = False) -> QuerySet[Visit]:
    visits = guard_visits(user=user)
    if day_from:
        visits = visits.filter(arrived_at__gte=_day_bounds(day_from)[0])
    if day_to:
        visits = visits.filter(arrived_at__lt=_day_bounds(day_to)[1])
    if kind:
        visits = visits.filter(kind=kind)
    if complex_id:
        visits = visits.filter(complex_id=complex_id)
    if name:
        visits = visits.filter(visitor_name__startswith=name)
    if inside:
        visits = visits.inside()
    return visits.order_by("-arrived_at", "-pk")


# --- figures -----------------------------------------------------------------------------------------------------

@dataclass
class DayFigures:
    day: date
    passes_issued: int = 0
    visits: int = 0
    walk_ins: int = 0
    stays: int = 0  # visits with a departure, for the average
    stay_seconds: float = 0.0

    @property
    def average_stay_minutes(self) -> int | None:
        return round(self.stay_seconds / self.stays / 60) if self.stays else None


@dataclass
class ComplexFigures:
    complex: Area
    days: list[DayFigures]

    @property
    def total(self) -> DayFigures:
        total = DayFigures(day=self.days[0].day)
        for day in self.days:
            total.passes_issued += day.passes_issued
            total.visits += day.visits
            total.walk_ins += day.walk_ins
            total.stays += day.stays
            total.stay_seconds += day.stay_seconds
        return total


def visitor_figures(*, user, day_from: date, day_to: date) -> list[ComplexFigures]:
    """Per complex the user guards, per day from ``day_from`` to ``day_to`` (inclusive):
    passes issued, visits, walk-ins and the average stay of visits that ended."""
    complexes = guard_complexes(user=user)
    if not complexes:
        return []
    start, end = _day_bounds(day_from)[0], _day_bounds(day_to)[1]
    days = [day_from + timedelta(days=n) for n in range((day_to - day_from).days + 1)]
    table: dict[int, dict[date, DayFigures]] = {c.pk: {d: DayFigures(d) for d in days} for c in complexes}
    ids = list(table)

    issued = guard_passes(user=user).filter(complex_id__in=ids, created_at__gte=start, created_at__lt=end)
    for complex_id, created in issued.values_list("complex_id", "created_at"):
        table[complex_id][timezone.localdate(created)].passes_issued += 1
    visits = guard_visits(user=user).filter(complex_id__in=ids, arrived_at__gte=start, arrived_at__lt=end)
    for complex_id, kind, arrived, departed in visits.values_list("complex_id", "kind", "arrived_at", "departed_at"):
        figures = table[complex_id][timezone.localdate(arrived)]
        figures.visits += 1
        figures.walk_ins += kind == VisitKind.WALK_IN
        if departed is not None:
            figures.stays += 1
            figures.stay_seconds += (departed - arrived).total_seconds()
    return [ComplexFigures(c, list(table[c.pk].values())) for c in complexes]


__all__ = [
    "DayFigures", "ComplexFigures", "ancestor_id", "expected_today", "guard_complexes", "guard_pass_get",
    "guard_passes", "guard_visit_get", "guard_visits", "household_doors", "inside_now", "my_households",
    "my_pass_get", "my_passes", "overstays", "pass_by_share_key", "passes_refused_on", "visit_log",
    "visitor_figures",
]
