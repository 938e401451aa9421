"""Template helpers of the alarms pages."""

from __future__ import annotations

from django import template

from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can

register = template.Library()


@register.simple_tag(takes_context=True)
def alarms_nav(context) -> bool:
    """Whether the top nav offers the guard-room console to this user."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated and user_can(user, Capability.ALARMS_VIEW)
