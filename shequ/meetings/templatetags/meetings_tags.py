"""Template helpers of the meetings pages."""

from __future__ import annotations

from django import template

from shequ.accounts.scope import user_can
from shequ.meetings.services.common import VIEW

register = template.Library()

#: top-nav entries of the meetings app: (url name, label); prefixes mark the active one
NAV_PREFIXES = {
    "meetings:team_list": ("team_", "seat_", "visit_create", "coverage"),
    "meetings:meeting_list": ("meeting_", "agenda_", "attendance_", "minutes_", "decision_"),
    "meetings:visit_list": ("visit_list", "visit_detail", "visit_problem"),
    "meetings:common_problem_list": ("common_problem_",),
}


@register.inclusion_tag("meetings/nav_fragment.html", takes_context=True)
def meetings_nav(context) -> dict:
    """The meetings links of the top nav, for users who may see cases."""
    request = context.get("request")
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    active = ""
    if match is not None and match.namespace == "meetings":
        active = next((name for name, prefixes in NAV_PREFIXES.items() if match.url_name.startswith(prefixes)), "")
    return {"show": user is not None and user_can(user, VIEW), "active": active}

