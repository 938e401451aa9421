"""Meetings reads: scoped querysets with their relations joined, so templates run
no queries. Everything starts from ``visible_to(user, "cases.view")``; a row
outside the user's areas raises DoesNotExist (the views turn it into a 404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from shequ.accounts.models import User
from shequ.accounts.scope import user_can
from shequ.cases.models import Case
from shequ.core.scoping import subtree_q
from shequ.meetings.models import (
    AgendaItem, Attendance, CommonProblem, Decision, Meeting, MeetingKind, TeamMember, TeamRole, Visit,
)
from shequ.meetings.services.common import MANAGE, VIEW
from shequ.meetings.services.teams import sort_by_role
from shequ.registry.models import Area, House
from shequ.registry.models.area import AreaLevel

_ROLE_ORDER = {role: index for index, role in enumerate(TeamRole.values)}


def can_manage(user: User, area: Area) -> bool:
    return user_can(user, MANAGE, area)


# --- teams --------------------------------------------------------------------------------------------------------

def complex_list(*, user: User, query: str = "") -> QuerySet:
    """Complexes whose teams the user may see, with the number of roles filled today."""
    today = timezone.localdate()
    current = Q(team__members__start_date__lte=today) & (
        Q(team__members__end_date__isnull=True) | Q(team__members__end_date__gt=today))
    complexes = Area.objects.visible_to(user, VIEW).active().filter(level=AreaLevel.COMPLEX)
    if query:
        complexes = complexes.filter(name__contains=query)
    return complexes.annotate(roles_filled=Count("team__members__role", filter=current, distinct=True)).order_by("path")


def complex_get(*, user: User, pk: int) -> Area:
    return Area.objects.visible_to(user, VIEW).get(pk=pk, level=AreaLevel.COMPLEX)


@dataclass(frozen=True)
class Seat:
    """A role on the roster with whoever holds it today (several for multi-holder roles)."""

    role: str
    label: str
    holders: list[TeamMember]


def team_roster(*, complex: Area, on: date | None = None) -> list[Seat]:
    """Every role of the team with its current holders, empty roles included."""
    members = list(TeamMember.objects.filter(team__complex=complex).current(on=on)
                   .select_related("organization", "user"))
    return [Seat(role, label, sort_by_role(member for member in members if member.role == role))
            for role, label in TeamRole.choices]


def team_history(*, complex: Area) -> list[TeamMember]:
    """Every seat the team has had, by role, newest first within a role."""
    members = TeamMember.objects.filter(team__complex=complex).select_related("organization")
    return sorted(members, key=lambda member: (_ROLE_ORDER.get(member.role, 99), -member.start_date.toordinal(),
                                               -member.pk))


def team_member_get(*, user: User, pk: int) -> TeamMember:
    return TeamMember.objects.visible_to(user, VIEW).select_related("team__complex").get(pk=pk)


# --- meetings -----------------------------------------------------------------------------------------------------

def meeting_list(*, user: User, kind: str = "", area: Area | None = None) -> QuerySet:
    meetings = Meeting.objects.visible_to(user, VIEW).select_related("area")
    if kind:
        meetings = meetings.filter(kind=kind)
    if area is not None:
        meetings = meetings.filter(subtree_q("area__path", area.path))
    return meetings.order_by("-held_on", "-pk")


def meeting_get(*, user: User, pk: int) -> Meeting:
    return Meeting.objects.visible_to(user, VIEW).select_related("area").get(pk=pk)


def meeting_agenda(*, meeting: Meeting) -> list[AgendaItem]:
    return list(meeting.agenda.select_related("case", "common_problem").order_by("order", "pk"))


def meeting_attendance(*, meeting: Meeting) -> list[Attendance]:
    return list(meeting.attendance.order_by("pk"))


def meeting_decisions(*, meeting: Meeting) -> list[Decision]:
    return list(meeting.decisions.select_related("owner", "case").order_by("pk"))


def meeting_agenda_cases(*, meeting: Meeting) -> list[Case]:
    """Cases a decision of the meeting may be about: those on its agenda."""
    return list(Case.objects.filter(agenda_items__meeting=meeting).order_by("agenda_items__order"))


def meeting_areas_managed(*, user: User) -> list[Area]:
    """Streets and districts where the user may call a joint meeting or a leading group session."""
    return list(Area.objects.visible_to(user, MANAGE).active()
                .filter(level__in=[AreaLevel.STREET, AreaLevel.DISTRICT]).order_by("path")[:50])


def meetings_held_counts(*, area: Area, start: date, end: date, kind: str = MeetingKind.WEEKLY) -> dict[int, int]:
    """{area id: meetings held} in ``area``'s subtree between two days (inclusive).
    One grouped query on ``meeting_area_kind_day_idx``: cheap enough for the figures."""
    rows = (Meeting.objects.filter(subtree_q("area__path", area.path), kind=kind, is_held=True,
                                   held_on__gte=start, held_on__lte=end)
            .values("area_id").annotate(count=Count("pk")).values_list("area_id", "count"))
    return dict(rows)


def visits_made_counts(*, area: Area, start: date, end: date) -> dict[int, int]:
    """{complex id: visits made} in ``area``'s subtree between two days (inclusive),
    one grouped query: a house's complex is three levels up (unit, building, complex)."""
    rows = (Visit.objects.filter(subtree_q("house__area__path", area.path), visited_on__gte=start,
                                 visited_on__lte=end)
            .values("house__area__parent__parent__parent_id").annotate(count=Count("pk"))
            .values_list("house__area__parent__parent__parent_id", "count"))
    return dict(rows)


# --- visits -------------------------------------------------------------------------------------------------------

def visit_list(*, user: User, complex: Area | None = None, start: date | None = None,
               end: date | None = None) -> QuerySet:
    visits = Visit.objects.visible_to(user, VIEW).select_related("house__area", "member")
    if complex is not None:
        visits = visits.filter(subtree_q("house__area__path", complex.path))
    if start is not None:
        visits = visits.filter(visited_on__gte=start)
    if end is not None:
        visits = visits.filter(visited_on__lte=end)
    return visits.order_by("-visited_on", "-pk")


def visit_get(*, user: User, pk: int) -> Visit:
    return (Visit.objects.visible_to(user, VIEW).select_related("house__area", "member")
            .prefetch_related(Prefetch("cases", queryset=Case.objects.order_by("pk"))).get(pk=pk))


@dataclass(frozen=True)
class BuildingCoverage:
    building: Area
    houses: int
    visited: int

    @property
    def share(self) -> float:
        """Visited houses over all houses; 0 for a building without houses."""
        return self.visited / self.houses if self.houses else 0.0

    @property
    def percent(self) -> int:
        return round(self.share * 100)


def building_coverage(*, complex: Area, start: date, end: date) -> list[BuildingCoverage]:
    """For each building of the complex: its houses, and how many were visited at
    least once between ``start`` and ``end`` (inclusive). Two queries."""
    in_period = Q(visits__visited_on__gte=start, visits__visited_on__lte=end)
    counts = {
        row["area__parent__parent_id"]: row
        for row in House.objects.filter(subtree_q("area__path", complex.path), area__retired_on__isnull=True)
        .values("area__parent__parent_id")
        .annotate(houses=Count("pk", distinct=True), visited=Count("pk", filter=in_period, distinct=True))
    }
    buildings = Area.objects.filter(parent=complex, level=AreaLevel.BUILDING, retired_on__isnull=True)
    return [
        BuildingCoverage(building, counts.get(building.pk, {}).get("houses", 0),
                         counts.get(building.pk, {}).get("visited", 0))
        for building in sorted(buildings, key=lambda area: (len(area.name), area.name))
    ]


# --- common problems ----------------------------------------------------------------------------------------------

def common_problem_list(*, user: User, status: str = "") -> QuerySet:
    problems = CommonProblem.objects.visible_to(user, VIEW).select_related("area", "category")
    if status:
        problems = problems.filter(status=status)
    return problems.order_by("-period_end", "-pk")


def common_problem_get(*, user: User, pk: int) -> CommonProblem:
    cases = Case.objects.select_related("complex").order_by("complex__path", "received_at")
    return (CommonProblem.objects.visible_to(user, VIEW).select_related("area", "category")
            .prefetch_related(Prefetch("cases", queryset=cases)).get(pk=pk))
