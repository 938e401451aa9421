"""How API callers authenticate: API keys for machines, the session for browsers.

Each resolves to a User and sets ``request.user`` to it, so routes scope with
``visible_to(request.user)`` and services get ``Actor.from_request(request,
via="api")`` whichever way the caller came in. Order matters: keys are tried
before the session, because the session check enforces CSRF on writes and a
machine has no CSRF token.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import APIKeyHeader, HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from shequ.accounts.models import User
from shequ.accounts.services import user_needs_second_factor
from shequ.exchange.services import apikey_authenticate


def _login_with_key(request: HttpRequest, raw: str | None) -> User | None:
    key = apikey_authenticate(raw or "")
    if key is None:
        return None
    request.user = key.user
    request.api_key = key  # type: ignore[attr-defined]
    return key.user


class ApiKeyBearer(HttpBearer):
    """``Authorization: Bearer shq_<prefix>_<secret>``."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return _login_with_key(request, token)


class ApiKeyHeader(APIKeyHeader):
    """``X-API-Key: shq_<prefix>_<secret>``, for clients that cannot set Authorization."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        return _login_with_key(request, key)


class BrowserSession(APIKeyCookie):
    """The logged-in Django session, with CSRF on unsafe methods (like ninja's
    ``django_auth``) and with the staff second factor passed.

    Unlike ``django_auth`` it checks CSRF only when there is a logged-in user:
    a machine whose key was refused then gets 401 rather than a CSRF 403.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if user_needs_second_factor(user) and not request.session.get("second_factor_ok"):
            return None  # half-logged-in staff (password only) may not use the API
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF check Failed")
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:  # pragma: no cover - __call__ decides
        return None


#: what every route of the API accepts, in the order tried
API_AUTH = [ApiKeyBearer(), ApiKeyHeader(), BrowserSession()]
