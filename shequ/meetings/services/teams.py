"""The "2+4" team of a complex and its roster.

A seat is a period: appointing opens one, replacing ends the old seat on the day
the new holder starts, ending vacates it. Rows are never deleted, so the roster on
any past day can be read back. Single-holder roles (all but the self-governance
organization) may not have two seats overlapping in time.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor
from shequ.accounts.models import User
from shequ.meetings.models import MULTI_HOLDER_ROLES, Team, TeamMember, TeamRole
from shequ.meetings.services.common import audit, field_error, require_manage
from shequ.registry.models import Area, Organization
from shequ.registry.models.area import AreaLevel


_ROLE_ORDER = {role: index for index, role in enumerate(TeamRole.values)}


def sort_by_role(members) -> list[TeamMember]:
    """Seats in the order the roster lists roles (the "2" first, then the "4")."""
    return sorted(members, key=lambda member: (_ROLE_ORDER.get(member.role, 99), member.start_date, member.pk))


def team_get_or_create(*, complex: Area) -> Team:
    """The team of ``complex``, created on first use (every complex has one)."""
    if complex.level != AreaLevel.COMPLEX:
        raise field_error("complex", _("2+4团队只能设在小区。"), "not_a_complex")
    team, _created = Team.objects.get_or_create(complex=complex)
    return team


def _check_no_overlap(team: Team, role: str, start_date: date, exclude_pk: int | None = None) -> None:
    if role in MULTI_HOLDER_ROLES:
        return
    # the new seat is open-ended: any seat still running on or after its start overlaps
    clash = TeamMember.objects.filter(team=team, role=role).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=start_date))
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    holder = clash.order_by("start_date").first()
    if holder is not None:
        raise field_error("role", _("该岗位已由%(name)s担任（%(start)s起），请使用“更换”。")
                          % {"name": holder.name, "start": holder.start_date}, "seat_taken")


def _open_seat(*, team: Team, role: str, name: str, start_date: date, title: str, user: User | None,
               organization: Organization | None) -> TeamMember:
    if role not in TeamRole.values:
        raise field_error("role", _("请选择岗位。"), "invalid_role")
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("请填写姓名。"), "required")
    if start_date is None:
        raise field_error("start_date", _("请填写任职开始日期。"), "required")
    _check_no_overlap(team, role, start_date)
    member = TeamMember(team=team, role=role, name=name, title=(title or "").strip(), user=user,
                        organization=organization, start_date=start_date)
    member.full_clean(exclude=["team"])
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:  # a concurrent appointment took the seat first
        raise field_error("role", _("该岗位已有在任人员。"), "seat_taken") from exc
    return member


@transaction.atomic
def team_member_appoint(*, actor: Actor, complex: Area, role: str, name: str, start_date: date, title: str = "",
                        user: User | None = None, organization: Organization | None = None) -> TeamMember:
    """Open a seat on the complex's team (the team is created if it is the first)."""
    require_manage(actor, complex)
    team = team_get_or_create(complex=complex)
    member = _open_seat(team=team, role=role, name=name, start_date=start_date, title=title, user=user,
                        organization=organization)
    audit(actor, "teammember.appointed", member, complex, role=role, name=member.name,
          start_date=start_date.isoformat())
    return member


@transaction.atomic
def team_member_replace(*, actor: Actor, member: TeamMember, name: str, start_date: date, title: str = "",
                        user: User | None = None, organization: Organization | None = None) -> TeamMember:
    """End ``member``'s seat on ``start_date`` and give the role to someone new from that day."""
    complex = member.team.complex
    require_manage(actor, complex)
    member = TeamMember.objects.select_for_update().get(pk=member.pk)
    if member.end_date is not None:
        raise field_error("start_date", _("该任职已于%(day)s结束，不能再更换。") % {"day": member.end_date},
                          "seat_ended")
    if start_date is None or start_date <= member.start_date:
        raise field_error("start_date", _("接任日期须晚于原任职开始日期（%(day)s）。") % {"day": member.start_date},
                          "start_too_early")
    member.end_date = start_date
    member.save(update_fields=["end_date"])
    successor = _open_seat(team=member.team, role=member.role, name=name, start_date=start_date, title=title,
                           user=user, organization=organization)
    audit(actor, "teammember.replaced", successor, complex, role=member.role, previous=member.pk,
          previous_name=member.name, name=successor.name, start_date=start_date.isoformat())
    return successor


@transaction.atomic
def team_member_end(*, actor: Actor, member: TeamMember, end_date: date) -> TeamMember:
    """Vacate a seat from ``end_date`` on, leaving the role empty until someone is appointed."""
    complex = member.team.complex
    require_manage(actor, complex)
    if member.end_date is not None:
        raise field_error("end_date", _("该任职已结束。"), "seat_ended")
    if end_date is None or end_date < member.start_date:
        raise field_error("end_date", _("结束日期不能早于任职开始日期（%(day)s）。") % {"day": member.start_date},
                          "end_before_start")
    member.end_date = end_date
    member.save(update_fields=["end_date"])
    audit(actor, "teammember.ended", member, complex, role=member.role, name=member.name,
          end_date=end_date.isoformat())
    return member
