"""Access rules: staff and property workers at the doors under an area, by role and weekly window."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.access.models import AccessRule, Device
from shequ.access.services.common import audit, field_error, require_change
from shequ.access.services.compile import PROPERTY_MEMBER, access_recompile
from shequ.accounts.audit import Actor
from shequ.accounts.roles import Role
from shequ.core.scoping import subtree_q
from shequ.registry.models import Area

#: roles a rule may name: staff roles of accounts, plus members of a property company
RULE_ROLES = {PROPERTY_MEMBER: _("物业公司成员"), **{
    role.value: role.label for role in (Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.PROPERTY_STAFF, Role.POLICE,
                                        Role.GUARD, Role.TEAM_MEMBER, Role.STREET_STAFF, Role.DISTRICT_STAFF)}}


def _clean(role: str, weekdays: str, start_time: time | None, end_time: time | None) -> str:
    if role not in RULE_ROLES:
        raise field_error("role", _("该角色不能设置通行规则。"), "rule_role")
    days = "".join(sorted(set(weekdays or "")))
    if not days or not set(days) <= set("1234567"):
        raise field_error("weekdays", _("请选择星期（1-7）。"), "rule_weekdays")
    if (start_time is None) != (end_time is None):
        raise field_error("end_time", _("开始和结束时间须同时填写或同时留空。"), "rule_window")
    if start_time is not None and start_time >= end_time:
        raise field_error("end_time", _("结束时间必须晚于开始时间。"), "rule_window")
    return days


def _recompile_under(area: Area, now: datetime | None) -> None:
    devices = Device.objects.filter(subtree_q("area__path", area.path))
    access_recompile(devices=list(devices), now=now)


@transaction.atomic
def access_rule_create(
    *, actor: Actor, area: Area, role: str, weekdays: str = "1234567", start_time: time | None = None,
    end_time: time | None = None, valid_until: date | None = None, now: datetime | None = None,
) -> AccessRule:
    """Let holders of ``role`` through the doors under ``area`` in a weekly window."""
    require_change(actor, area)
    days = _clean(role, weekdays, start_time, end_time)
    rule = AccessRule.objects.create(area=area, role=role, weekdays=days, start_time=start_time, end_time=end_time,
                                     valid_until=valid_until)
    audit(actor, "access.rule_created", obj=rule, area=area, detail={
        "role": role, "weekdays": days, "start": start_time, "end": end_time, "valid_until": valid_until})
    _recompile_under(area, now)
    return rule


@transaction.atomic
def access_rule_update(
    *, actor: Actor, rule: AccessRule, weekdays: str | None = None, start_time: time | None = None,
    end_time: time | None = None, valid_until: date | None = None, now: datetime | None = None,
) -> AccessRule:
    """Change a rule's window or end date (times: pass both, or neither for all day)."""
    require_change(actor, rule.area)
    rule.weekdays = _clean(rule.role, weekdays if weekdays is not None else rule.weekdays, start_time, end_time)
    rule.start_time, rule.end_time, rule.valid_until = start_time, end_time, valid_until
    rule.save()
    audit(actor, "access.rule_updated", obj=rule, area=rule.area, detail={
        "weekdays": rule.weekdays, "start": start_time, "end": end_time, "valid_until": valid_until})
    _recompile_under(rule.area, now)
    return rule


@transaction.atomic
def access_rule_delete(*, actor: Actor, rule: AccessRule, now: datetime | None = None) -> None:
    require_change(actor, rule.area)
    area = rule.area
    audit(actor, "access.rule_deleted", obj=rule, area=area, detail={"role": rule.role, "weekdays": rule.weekdays})
    rule.delete()
    _recompile_under(area, now or timezone.now())
