"""Organizations and their members (members added and ended inline with htmx)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.registry import selectors, services
from shequ.registry.forms import EndDateForm, MemberAddForm, OrganizationFilterForm, OrganizationForm, initial_from
from shequ.registry.models import Organization, OrganizationMember
from shequ.registry.views.common import (
    actor_of, change_required, confirm_delete, error_messages, fetch_or_404, is_htmx, render_list, require_change,
    submit,
)

MEMBERS = "registry/organization_detail_fragment_members.html"
MEMBER_FORM = "registry/organization_detail_fragment_member_form.html"


@login_required
def organization_list(request: HttpRequest) -> HttpResponse:
    form = OrganizationFilterForm(request.GET, user=request.user)
    organizations = selectors.organization_list(user=request.user, area=form.value("area", None),
                                                query=form.value("q"), kind=form.value("kind"))
    return render_list(request, template="registry/organization_list.html",
                       fragment="registry/organization_list_fragment_table.html", form=form, queryset=organizations)


def _members_context(request: HttpRequest, organization: Organization, **extra) -> dict:
    return {
        "organization": organization,
        "members": selectors.organization_members(organization=organization),
        "can_change": user_can(request.user, Capability.CHANGE, organization.area),
        **extra,
    }


@login_required
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization = fetch_or_404(selectors.organization_get, request, pk)
    return render(request, "registry/organization_detail.html", {
        **_members_context(request, organization),
        "address": selectors.address_labels([organization.area])[organization.area_id],
    })


@login_required
@change_required
def organization_create(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None, user=request.user)
    organization = submit(request, form, lambda data: services.organization_create(
        actor=actor_of(request), **data), success=_("已添加组织。"))
    if organization:
        return redirect("registry:organization_detail", pk=organization.pk)
    return render(request, "registry/organization_form.html", {"form": form, "creating": True})


@login_required
def organization_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organization = fetch_or_404(selectors.organization_get, request, pk)
    require_change(request, organization.area)
    initial = {**initial_from(organization, OrganizationForm), "area": organization.area_id,
               "uscc": organization.uscc or ""}
    form = OrganizationForm(request.POST or None, user=request.user, initial=initial)
    if submit(request, form, lambda data: services.organization_update(
            actor=actor_of(request), organization=organization, **data), success=_("已保存。")):
        return redirect("registry:organization_detail", pk=organization.pk)
    return render(request, "registry/organization_form.html", {"form": form, "organization": organization})


@login_required
def organization_delete(request: HttpRequest, pk: int) -> HttpResponse:
    organization = fetch_or_404(selectors.organization_get, request, pk)
    return confirm_delete(request, organization, organization.area, done_url=reverse("registry:organization_list"),
                          cancel_url=reverse("registry:organization_detail", args=[organization.pk]))


@login_required
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the add-member form fragment; POST: ``organization_member_add``."""
    organization = fetch_or_404(selectors.organization_get, request, pk)
    require_change(request, organization.area)
    form = MemberAddForm(request.POST or None, user=request.user)
    added = submit(request, form, lambda data: services.organization_member_add(
        actor=actor_of(request), organization=organization, **data))
    if added:
        if not is_htmx(request):
            return redirect("registry:organization_detail", pk=organization.pk)
        return render(request, MEMBERS, _members_context(request, organization))
    template = MEMBER_FORM if is_htmx(request) else "registry/member_form.html"
    return render(request, template, {"form": form, "organization": organization})


@login_required
@require_POST
def member_end(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(OrganizationMember.objects.visible_to(request.user)
                               .select_related("organization__area"), pk=pk)
    form = EndDateForm(request.POST)
    submit(request, form, lambda data: services.organization_member_end(
        actor=actor_of(request), member=member, end_date=data["end_date"]))
    if not is_htmx(request):
        return redirect("registry:organization_detail", pk=member.organization_id)
    return render(request, MEMBERS, _members_context(request, member.organization, end_errors=error_messages(form),
                                                     end_errors_for=member.pk))
