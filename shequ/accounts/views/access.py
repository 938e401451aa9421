"""Access checks for the accounts pages.

The second-factor middleware lets everything under /accounts/ through (the login
and enrolment pages live there), so the pages here that show or change anything
check the second factor themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from shequ.accounts.scope import user_can
from shequ.accounts.services import user_needs_second_factor

SECOND_FACTOR_OK = "second_factor_ok"


def second_factor_passed(request: HttpRequest) -> bool:
    """Has this session passed the second factor, or does its user not need one?"""
    return bool(request.session.get(SECOND_FACTOR_OK)) or not user_needs_second_factor(request.user)


def staff_page(capability: str) -> Callable:
    """Logged in, past the second factor, and holding ``capability`` somewhere (else 403)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not second_factor_passed(request):
                return redirect("accounts:totp_enroll")
            if not user_can(request.user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request for part of a page (history restores after a cache miss need the whole page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request
