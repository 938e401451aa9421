"""Helpers the access views share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest

from shequ.registry.views.common import actor_of, change_required, require_change, submit


def fetch_or_404(selector: Callable[..., Any], request: HttpRequest, pk: int) -> Any:
    """One scoped fetch: rows outside the user's areas do not exist for them."""
    try:
        return selector(user=request.user, pk=pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


__all__ = ["actor_of", "change_required", "fetch_or_404", "require_change", "submit"]
