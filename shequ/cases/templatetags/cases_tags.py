"""Template helpers for the case pages."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.cases.models import Level, Status

register = template.Library()

EVENT_LABELS = {
    "created": _("登记"),
    "accepted": _("受理"),
    "assigned": _("派单"),
    "started": _("开始办理"),
    "waiting": _("待居民补充"),
    "resumed": _("恢复办理"),
    "resolved": _("办结"),
    "confirmed": _("居民确认"),
    "closed": _("关闭"),
    "reopened": _("重新打开"),
    "merged": _("合并到其他事件"),
    "merge_received": _("合并重复件"),
    "escalated": _("升级"),
    "warned": _("临期预警"),
}
#: what a resident's timeline shows: internal steps (warnings, merges received) stay with staff
RESIDENT_EVENTS = frozenset({"created", "accepted", "assigned", "started", "waiting", "resumed", "resolved",
                             "confirmed", "closed", "reopened", "merged", "escalated"})


@register.simple_tag(takes_context=True)
def cases_nav(context) -> dict:
    """Which case links the top navigation shows this user."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"staff": user_can(user, Capability.CASES_VIEW), "handle": user_can(user, Capability.CASES_HANDLE),
            "resident": user_can(user, Capability.CASES_REPORT)}


@register.filter
def event_label(action: str) -> str:
    return EVENT_LABELS.get(action, action)


@register.filter
def for_resident(events) -> list:
    return [event for event in events if event.action in RESIDENT_EVENTS]


@register.filter
def level_label(value: str) -> str:
    try:
        return Level(value).label
    except ValueError:
        return value


@register.filter
def status_label(value: str) -> str:
    try:
        return Status(value).label
    except ValueError:
        return value


@register.filter
def stars(score) -> str:
    try:
        score = int(score)
    except (TypeError, ValueError):
        return ""
    return "★" * score + "☆" * (5 - score)
