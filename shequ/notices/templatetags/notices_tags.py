"""Template helpers other pages use to link to notices."""

from __future__ import annotations

from django import template

from shequ.notices import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def notices_nav(context) -> dict:
    """What the top nav offers this user: ``manage`` (the staff notice pages) and
    ``board`` (live notices sent to staff of their areas exist)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"manage": False, "board": False}
    if selectors.can_manage(user):
        return {"manage": True, "board": False}  # the board's question costs a query: managers get the list instead
    return {"manage": False, "board": selectors.staff_board(user=user).exists()}


@register.simple_tag(takes_context=True)
def notices_unread(context) -> int:
    """The resident's unread notices, for a badge: ``{% notices_unread as n %}``."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return selectors.unread_count_for(user)
