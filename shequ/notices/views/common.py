"""Helpers the notice views share."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from shequ.notices import selectors
from shequ.registry.views.common import actor_of, fetch_or_404, is_htmx

__all__ = ["actor_of", "fetch_or_404", "is_htmx", "staff_required"]


def staff_required(view: Callable) -> Callable:
    """Staff notice pages: only for users who may draft or approve notices somewhere (403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not selectors.can_manage(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
