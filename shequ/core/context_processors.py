"""Navigation for the base template: modules the user may open."""

from __future__ import annotations

from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_can": {
            "registry": user_can(user, Capability.VIEW),
            "import": user_can(user, Capability.IMPORT),
            "export": user_can(user, Capability.EXPORT),
            "audit": user_can(user, Capability.READ_AUDIT),
            "grants": user_can(user, Capability.MANAGE_GRANTS),
            "visitors": user_can(user, Capability.VISITORS_GUARD),
            "mailbox": user_can(user, Capability.MAILBOX_HANDLE),
            "police": user_can(user, Capability.ALARMS_POLICE),
        }
    }
