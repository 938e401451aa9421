"""Helpers shared by the meetings views."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from shequ.meetings import selectors
from shequ.registry.models import Area
from shequ.registry.views.common import actor_of, error_messages, fetch_or_404, is_htmx, submit

__all__ = ["actor_of", "error_messages", "fetch_or_404", "is_htmx", "require_manage", "submit"]


def require_manage(request: HttpRequest, area: Area) -> None:
    """Viewers who may not manage the area get a 403 before any form is shown or saved."""
    if not selectors.can_manage(request.user, area):
        raise PermissionDenied
