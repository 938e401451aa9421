"""Login in two steps (password, then TOTP for staff), logout, TOTP enrolment.

Between the two steps the user is *not* logged in: the session only holds the
pending user id (PENDING_USER) for a few minutes, and ``login()`` runs after the
code checks out.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlparse

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from shequ.accounts import services
from shequ.accounts.audit import Actor
from shequ.accounts.forms import LoginForm, TotpCodeForm
from shequ.accounts.models import User
from shequ.accounts.views.access import SECOND_FACTOR_OK, second_factor_passed

PENDING_USER = "login_pending_user"
PENDING_SINCE = "login_pending_since"
PENDING_NEXT = "login_pending_next"
#: how long the code step waits after a correct password
PENDING_SECONDS = 300


def _next_url(request: HttpRequest) -> str:
    return request.POST.get("next") or request.GET.get("next", "")


def _safe_next(request: HttpRequest, candidate: str) -> str:
    """``candidate`` if it points into this site, else the default page (no open redirect)."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, next_url: str) -> str:
    url = reverse(url_name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _clear_pending(request: HttpRequest) -> None:
    for key in (PENDING_USER, PENDING_SINCE, PENDING_NEXT):
        request.session.pop(key, None)


def _pending_user(request: HttpRequest) -> User | None:
    user_id, since = request.session.get(PENDING_USER), request.session.get(PENDING_SINCE, 0)
    if user_id is None or time.time() - since > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.user.is_authenticated and second_factor_passed(request):
        return redirect(_safe_next(request, next_url))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actor = Actor.from_request(request)
        try:
            user = services.login_check_password(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"], actor=actor
            )
        except services.LoginError as error:
            form.add_error(None, error.message)
        else:
            return _after_password(request, user, actor, next_url)
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


def _after_password(request: HttpRequest, user: User, actor: Actor, next_url: str) -> HttpResponse:
    needs_code = services.user_needs_second_factor(user)
    if needs_code and user.has_totp:
        if request.user.is_authenticated:
            auth_logout(request)  # someone else's half-finished session: start clean
        else:
            request.session.cycle_key()
        request.session[PENDING_USER] = user.pk
        request.session[PENDING_SINCE] = int(time.time())
        request.session[PENDING_NEXT] = next_url
        return redirect("accounts:login_totp")
    auth_login(request, user)
    services.login_succeeded(user=user, actor=actor)
    if needs_code:
        # staff without a second factor yet: enrol before anything else
        return redirect(_with_next("accounts:totp_enroll", next_url))
    return redirect(_safe_next(request, next_url))


@never_cache
@require_http_methods(["GET", "POST"])
def login_totp(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        _clear_pending(request)
        messages.error(request, _("登录已超时，请重新输入用户名和密码。"))
        return redirect("accounts:login")
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actor = Actor.from_request(request)
        try:
            services.login_check_totp(user=user, code=form.cleaned_data["code"], actor=actor)
        except services.LoginError as error:
            if error.code != "locked":
                form.add_error("code", error.message)
            else:
                _clear_pending(request)
                messages.error(request, error.message)
                return redirect("accounts:login")
        else:
            next_url = request.session.get(PENDING_NEXT, "")
            _clear_pending(request)
            auth_login(request, user)  # rotates the session key
            request.session[SECOND_FACTOR_OK] = True
            services.login_succeeded(user=user, actor=actor)
            return redirect(_safe_next(request, next_url))
    return render(request, "accounts/login_totp.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.session_ended(actor=Actor.from_request(request))
    auth_logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


def _qr_svg(uri: str) -> str:
    # segno renders the QR code here, as inline SVG: no image service, no network
    return mark_safe(segno.make(uri, error="m").svg_inline(scale=5, dark="#1f2933", light="#ffffff", svgclass="qr"))  # noqa: S308


def _secret_of(uri: str) -> str:
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def totp_enroll(request: HttpRequest) -> HttpResponse:
    user, next_url = request.user, _next_url(request)
    if user.has_totp:
        if request.session.get(SECOND_FACTOR_OK):
            messages.info(request, _("动态口令已启用。"))
            return redirect(_safe_next(request, next_url))
        # a session that got past the password alone must not see or replace a confirmed factor
        auth_logout(request)
        return redirect(_with_next("accounts:login", next_url))
    uri = services.totp_begin_enrolment(user=user)
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.totp_confirm_enrolment(user=user, code=form.cleaned_data["code"], actor=Actor.from_request(request))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session.cycle_key()
            request.session[SECOND_FACTOR_OK] = True
            messages.success(request, _("动态口令已启用，以后登录时请输入手机上显示的验证码。"))
            return redirect(_safe_next(request, next_url))
    return render(request, "accounts/totp_enroll.html", {
        "form": form, "qr_svg": _qr_svg(uri), "secret": _secret_of(uri), "next": next_url,
    })
