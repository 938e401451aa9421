"""Access event search (by person, door, time, kind) and the access rules page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.access import selectors, services
from shequ.access.forms import EventFilterForm, RuleForm
from shequ.access.services import RULE_ROLES
from shequ.access.views.common import actor_of, fetch_or_404, require_change, submit
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.registry.selectors import page_number, paginate


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    form = EventFilterForm(request.GET, user=request.user)
    person = None
    if request.GET.get("person"):
        person = fetch_or_404(selectors.person_get, request, _int_or_404(request.GET["person"]))
    events = selectors.event_search(
        user=request.user, person=person, person_query=form.value("q", ""), device=form.value("device"),
        since=form.value("since"), until=form.value("until"), kind=form.value("kind", ""))
    page = paginate(events, page_number(request.GET.get("page")))
    return render(request, "access/event_list.html", {"form": form, "page": page, "rows": page.rows,
                                                      "person": person})


def _int_or_404(value: str) -> int:
    if not value.isdigit():
        raise Http404
    return int(value)


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    form = RuleForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not user_can(request.user, Capability.CHANGE):
            raise PermissionDenied

        def save(data: dict):
            return services.access_rule_create(actor=actor_of(request), **form.service_data())

        if submit(request, form, save, success=_("已添加通行规则。")):
            return redirect("access:rule_list")
    rules = list(selectors.rule_list(user=request.user))
    for rule in rules:
        rule.role_label = RULE_ROLES.get(rule.role, rule.role)
    return render(request, "access/rule_list.html", {
        "form": form, "rules": rules, "can_add": user_can(request.user, Capability.CHANGE)})


@require_POST
@login_required
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = fetch_or_404(selectors.rule_get, request, pk)
    require_change(request, rule.area)
    services.access_rule_delete(actor=actor_of(request), rule=rule)
    messages.success(request, _("已删除通行规则。"))
    return redirect("access:rule_list")
