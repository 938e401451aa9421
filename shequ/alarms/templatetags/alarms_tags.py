"""Template helpers of the alarms pages."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can

register = template.Library()


@register.simple_tag(takes_context=True)
def alarms_nav(context) -> bool:
    """Whether the top nav offers the guard-room console to this user."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated and user_can(user, Capability.ALARMS_VIEW)


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key)


@register.filter
def duration_label(seconds: float | None) -> str:
    """'45 秒', '3 分 20 秒', '2 小时 5 分'; '—' when there is nothing to measure."""
    if seconds is None:
        return "—"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d 分 %(s)d 秒") % {"m": minutes, "s": secs}
    return _("%(s)d 秒") % {"s": secs}
