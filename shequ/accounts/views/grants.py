"""Role grants and account locks, for the security administrator."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shequ.accounts import selectors, services
from shequ.accounts.audit import Actor
from shequ.accounts.forms import AccountLookupForm, GrantForm, GrantSearchForm
from shequ.accounts.models import User
from shequ.accounts.roles import Capability
from shequ.accounts.views.access import staff_page, wants_fragment
from shequ.registry.models import Area

PER_PAGE = 50
#: area levels offered in the code picker; houses and units are typed by code
_PICKER_LEVELS = [Area.Level.CITY, Area.Level.DISTRICT, Area.Level.STREET, Area.Level.COMMUNITY, Area.Level.COMPLEX]
_PICKER_LIMIT = 500


def _account_in_scope(request: HttpRequest, pk: int) -> User:
    return get_object_or_404(selectors.user_list(viewer=request.user, capability=Capability.MANAGE_GRANTS), pk=pk)


def _account_done(request: HttpRequest, account: User, *, done: str, message: str) -> HttpResponse:
    """After an action on one account: htmx gets the account's line saying ``done``;
    a plain post gets ``message`` on the grants page."""
    if request.htmx:
        return render(request, "accounts/grants_fragment_account_done.html", {"account": account, "done": done})
    messages.success(request, message)
    return redirect("accounts:grants")


def _grants_page(request: HttpRequest, form: GrantForm) -> HttpResponse:
    search = GrantSearchForm(request.GET or None)
    criteria = search.cleaned_data if search.is_valid() else {}
    grants = selectors.grant_list(viewer=request.user, search=criteria.get("q", ""), role=criteria.get("role", ""))
    page = Paginator(grants, PER_PAGE).get_page(request.GET.get("page"))
    if wants_fragment(request) and request.method == "GET":
        return render(request, "accounts/grants_fragment_table.html", {"page": page})
    lookup = AccountLookupForm(request.GET) if "username" in request.GET else AccountLookupForm()
    account = None
    if lookup.is_bound and lookup.is_valid():
        account = (
            selectors.user_list(viewer=request.user, capability=Capability.MANAGE_GRANTS)
            .filter(username=lookup.cleaned_data["username"]).first()
        )
        if account is None:
            lookup.add_error("username", _("没有这个用户，或该用户不在您的管理范围内。"))
    return render(request, "accounts/grants.html", {
        "form": form,
        "search": search,
        "page": page,
        "locked": selectors.locked_user_list(viewer=request.user)[:100],
        "areas": selectors.grant_area_choices(viewer=request.user).filter(level__in=_PICKER_LEVELS)[:_PICKER_LIMIT],
        "lookup": lookup,
        "account": account,
        "now": timezone.now(),
    })


@require_GET
@staff_page(Capability.MANAGE_GRANTS)
def grants(request: HttpRequest) -> HttpResponse:
    return _grants_page(request, GrantForm(viewer=request.user))


@require_POST
@staff_page(Capability.MANAGE_GRANTS)
def grant_create(request: HttpRequest) -> HttpResponse:
    form = GrantForm(request.POST, viewer=request.user)
    if form.is_valid():
        try:
            grant = services.grant_role(actor=Actor.from_request(request), user=form.cleaned_data["user"],
                                        role=form.cleaned_data["role"], area=form.cleaned_data["area"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("已授权：%(grant)s") % {"grant": grant})
            return redirect("accounts:grants")
    return _grants_page(request, form)


@require_POST
@staff_page(Capability.MANAGE_GRANTS)
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    grant = get_object_or_404(selectors.grant_list(viewer=request.user), pk=pk)
    services.revoke_grant(actor=Actor.from_request(request), grant=grant)
    if request.htmx:
        return render(request, "accounts/grants_fragment_row.html", {"grant": grant})
    messages.success(request, _("已撤销：%(grant)s") % {"grant": grant})
    return redirect("accounts:grants")


@require_POST
@staff_page(Capability.MANAGE_GRANTS)
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_in_scope(request, pk)
    services.user_unlock(actor=Actor.from_request(request), user=account)
    return _account_done(request, account, done=_("已解锁"),
                         message=_("已解锁账户 %(user)s。") % {"user": account.get_username()})


@require_POST
@staff_page(Capability.MANAGE_GRANTS)
def totp_reset(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account_in_scope(request, pk)
    services.totp_reset(actor=Actor.from_request(request), user=account)
    return _account_done(request, account, done=_("动态口令已重置，下次登录时重新绑定"),
                         message=_("已重置账户 %(user)s 的动态口令。") % {"user": account.get_username()})
