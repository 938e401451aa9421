"""Resident login: phone number, then the code from the text message.

Between the steps the session holds only the number's digest and mask; nobody is
logged in until the code checks out. Family members sharing a phone choose whose
account to open after the code (the code proved the phone, not the person).
"""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from shequ.accounts import services as account_services
from shequ.registry.forms import add_service_errors
from shequ.registry.models import Person
from shequ.residents import services
from shequ.residents.forms import ChooseForm, CodeForm, PhoneForm
from shequ.residents.services.login import CODE_TTL, people_living_with_phone
from shequ.residents.views.common import actor_of

PENDING = "residents_login"
CHOOSE = "residents_login_choose"
#: how long the code step (and the choice after it) waits
PENDING_SECONDS = int(CODE_TTL.total_seconds())
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request: HttpRequest, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return resolve_url("residents:home")


def _pending(request: HttpRequest, key: str) -> dict | None:
    value = request.session.get(key)
    if not value or time.time() - value.get("at", 0) > PENDING_SECONDS:
        request.session.pop(key, None)
        return None
    return value


@sensitive_post_parameters("phone")
@never_cache
@require_http_methods(["GET", "POST"])
def login_phone(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next", "")
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ref = services.login_code_request(phone=form.cleaned_data["phone"], actor=actor_of(request))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session.pop(CHOOSE, None)
            request.session[PENDING] = {"digest": ref.digest, "masked": ref.masked, "at": time.time(), "next": next_url}
            messages.info(request, services.CODE_SENT)
            return redirect("residents:login_code")
    return render(request, "residents/login_phone.html", {"form": form, "next": next_url})


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    pending = _pending(request, PENDING)
    if pending is None:
        messages.error(request, _("请先输入手机号码获取验证码。"))
        return redirect("residents:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actor = actor_of(request)
        phone = services.PhoneRef(pending["digest"], pending["masked"])
        try:
            people = services.login_code_verify(phone=phone, code=form.cleaned_data["code"], actor=actor)
        except services.CodeRefused as refused:
            form.add_error("code", refused.message)
        else:
            request.session.pop(PENDING, None)
            if len(people) == 1:
                return _finish(request, people[0], pending.get("next", ""))
            request.session[CHOOSE] = {"ids": [p.pk for p in people], "digest": phone.digest, "at": time.time(),
                                       "next": pending.get("next", "")}
            return redirect("residents:login_choose")
    return render(request, "residents/login_code.html", {"form": form, "masked": pending["masked"]})


@never_cache
@require_http_methods(["GET", "POST"])
def login_choose(request: HttpRequest) -> HttpResponse:
    pending = _pending(request, CHOOSE)
    if pending is None:
        return redirect("residents:login")
    # still living somewhere, and still under this phone
    people = [p for p in people_living_with_phone(pending["digest"]) if p.pk in pending["ids"]]
    form = ChooseForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        request.session.pop(CHOOSE, None)
        person = Person.objects.get(pk=form.cleaned_data["person"])
        return _finish(request, person, pending.get("next", ""))
    return render(request, "residents/login_choose.html", {"form": form})


def _finish(request: HttpRequest, person: Person, next_url: str) -> HttpResponse:
    actor = actor_of(request)
    try:
        user = services.resident_account_ensure(person=person, actor=actor)
    except services.CodeRefused as refused:
        messages.error(request, refused.message)
        return redirect("residents:login")
    if request.user.is_authenticated:
        auth_logout(request)  # someone else's session on this phone: start clean
    auth_login(request, user, backend=BACKEND)  # rotates the session key
    account_services.login_succeeded(user=user, actor=actor)
    return redirect(_safe_next(request, next_url))


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    account_services.session_ended(actor=actor_of(request))
    auth_logout(request)
    return redirect("residents:login")
