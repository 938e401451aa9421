"""Household visits (走访): recorded by a team member of the house's complex; each
problem found becomes a case (channel "visit") linked to the visit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor
from shequ.cases.models import Case, Category, Urgency
from shequ.meetings.models import TeamMember, Visit
from shequ.meetings.services.case_bridge import case_from_visit
from shequ.meetings.services.common import audit, field_error, require_manage
from shequ.registry.models import Area, House
from shequ.registry.models.area import AreaLevel


@dataclass(frozen=True)
class FoundProblem:
    """A problem noted on a visit, to become a case."""

    title: str
    description: str
    category: Category
    urgency: str = Urgency.NORMAL


def complex_of(area: Area) -> Area | None:
    """The complex ``area`` lies in (itself if it is one)."""
    if area.level == AreaLevel.COMPLEX:
        return area
    return Area.objects.filter(pk__in=area.ancestor_ids, level=AreaLevel.COMPLEX).first()


def _seat_of(user, complex: Area, on: date) -> TeamMember | None:
    if user is None:
        return None
    return (TeamMember.objects.filter(team__complex=complex, user=user).current(on=on)
            .order_by("start_date").first())


def _check_member(member: TeamMember, complex: Area, on: date) -> None:
    if member.team.complex_id != complex.pk:
        raise field_error("member", _("走访人须是该小区2+4团队的成员。"), "member_outside_complex")
    if member.start_date > on or (member.end_date is not None and member.end_date <= on):
        raise field_error("member", _("走访人在走访当日不在任。"), "member_not_current")


@transaction.atomic
def visit_record(*, actor: Actor, house: House, visited_on: date, member: TeamMember | None = None,
                 visitor_name: str = "", people_met: int = 1, notes: str = "",
                 problems: Iterable[FoundProblem] = ()) -> Visit:
    """Record a visit to ``house``; each problem found is opened as a case linked to it.

    The visitor defaults to the acting user's seat on the complex's team."""
    require_manage(actor, house.area)
    complex = complex_of(house.area)
    if complex is None:
        raise field_error("house", _("该房屋不在任何小区内。"), "no_complex")
    if visited_on is None:
        raise field_error("visited_on", _("请填写走访日期。"), "required")
    if visited_on > timezone.localdate():
        raise field_error("visited_on", _("走访日期不能晚于今天。"), "in_future")
    if people_met is None or people_met < 0:
        raise field_error("people_met", _("接触人数不能为负数。"), "negative")
    member = member or _seat_of(actor.user, complex, visited_on)
    if member is not None:
        _check_member(member, complex, visited_on)
    visitor_name = (visitor_name or "").strip() or (member.name if member else "")
    if not visitor_name and actor.user is not None:
        visitor_name = getattr(actor.user, "display_name", "") or actor.user.get_username()
    if not visitor_name:
        raise field_error("visitor_name", _("请填写走访人。"), "required")
    visit = Visit(house=house, visited_on=visited_on, member=member, visitor_name=visitor_name[:50],
                  people_met=people_met, notes=(notes or "").strip(), created_by=actor.user)
    visit.full_clean()
    visit.save()
    audit(actor, "visit.recorded", visit, house.area, house=house.pk, visited_on=visited_on.isoformat())
    for problem in problems:
        _open_case(actor, visit, complex, problem)
    return visit


def _open_case(actor: Actor, visit: Visit, complex: Area, problem: FoundProblem) -> Case:
    if not (problem.title or "").strip():
        raise field_error("problem_title", _("请填写问题标题。"), "required")
    if problem.category is None:
        raise field_error("problem_category", _("请选择问题分类。"), "required")
    case = case_from_visit(actor=actor, visit=visit, complex=complex, title=problem.title.strip(),
                           description=(problem.description or "").strip() or problem.title.strip(),
                           category=problem.category, urgency=problem.urgency)
    visit.cases.add(case)
    return case


@transaction.atomic
def visit_problem_add(*, actor: Actor, visit: Visit, problem: FoundProblem) -> Case:
    """A problem found on an already recorded visit, opened as a case linked to it."""
    require_manage(actor, visit.house.area)
    complex = complex_of(visit.house.area)
    if complex is None:
        raise field_error("house", _("该房屋不在任何小区内。"), "no_complex")
    return _open_case(actor, visit, complex, problem)
