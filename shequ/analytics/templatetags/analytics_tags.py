"""Template helpers of the figures pages."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template

from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can

register = template.Library()


@register.simple_tag
def cell(counters, column) -> str:
    """One number of the figures table, formatted for its column."""
    return column.display(counters)


@register.filter
def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@register.simple_tag
def period_query(period) -> str:
    """``?kind=…`` giving ``period`` back, for drill-down links and the export."""
    return "?" + urlencode(period.as_query())


@register.simple_tag(takes_context=True)
def analytics_nav(context) -> bool:
    """Does the top navigation show the figures link to this user?"""
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user_can(user, Capability.CASES_VIEW))
