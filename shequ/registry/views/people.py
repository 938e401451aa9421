"""People: list, detail, create, edit, delete, and the audited reveal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.registry import selectors, services
from shequ.registry.codes import ethnicity_name, political_status_name
from shequ.registry.forms import PersonCreateForm, PersonEditForm, PersonFilterForm, add_service_errors
from shequ.registry.models import Person
from shequ.registry.views.common import (
    actor_of, change_required, confirm_delete, fetch_or_404, render_list, require_change,
)


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    form = PersonFilterForm(request.GET, user=request.user)
    people = selectors.person_list(
        user=request.user, area=form.value("area", None), query=form.value("q"), care_tag=form.value("care_tag"),
        population_type=form.value("population_type"), id_type=form.value("id_type"),
    )
    return render_list(request, template="registry/person_list.html",
                       fragment="registry/person_list_fragment_table.html", form=form, queryset=people)


def person_context(request: HttpRequest, person: Person) -> dict:
    """What the detail page and its fragments need; each list is one query."""
    return {
        "person": person,
        "address": selectors.address_labels([person.area])[person.area_id],
        "residences": selectors.person_residences(person=person),
        "can_change": user_can(request.user, Capability.CHANGE, person.area),
        "can_reveal": user_can(request.user, Capability.REVEAL, person.area),
    }


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = fetch_or_404(selectors.person_get, request, pk)
    return render(request, "registry/person_detail.html", {
        **person_context(request, person),
        "memberships": selectors.person_memberships(person=person),
        "vehicles": selectors.person_vehicles(person=person),
        "ethnicity": ethnicity_name(person.ethnicity) or "",
        "political_status": political_status_name(person.political_status) or "",
    })


@login_required
@require_POST
def person_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The clear ID or phone number, as a fragment; ``person_reveal`` checks the
    capability and audits every call. PermissionDenied becomes a 403."""
    person = fetch_or_404(selectors.person_get, request, pk)
    field = request.POST.get("field", "")
    try:
        value = services.person_reveal(actor=actor_of(request), person=person, field=field,
                                       reason=request.POST.get("reason", ""))
    except ValidationError:
        return HttpResponse(status=400)
    response = render(request, "registry/person_detail_fragment_revealed.html", {"value": value, "field": field})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@change_required
def person_create(request: HttpRequest) -> HttpResponse:
    form = PersonCreateForm(request.POST or None, user=request.user, initial=_initial_area(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # one transaction: a person put in a house moves in, or nothing is written
            with transaction.atomic():
                person = services.person_create(
                    actor=actor_of(request), area=data["area"], name=data["name"], id_type=data["id_type"],
                    id_number=data["id_number"], phone=data["phone"], ethnicity=data["ethnicity"],
                    political_status=data["political_status"], care_tags=data["care_tags"], note=data["note"],
                )
                if form.moves_in:
                    services.residence_start(
                        actor=actor_of(request), person=person, house=data["area"].house, relation=data["relation"],
                        population_type=data["population_type"], start_date=data["start_date"],
                    )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记人员：%(name)s。") % {"name": person.name})
            return redirect("registry:person_detail", pk=person.pk)
    return render(request, "registry/person_form.html", {"form": form, "creating": True})


def _initial_area(request: HttpRequest) -> dict:
    """``?area=<id>`` pre-selects a house or community (from a house or area page)."""
    from shequ.registry.models import Area

    pk = request.GET.get("area", "")
    area = Area.objects.visible_to(request.user).filter(pk=pk).first() if pk.isdigit() else None
    return {"area": area.pk} if area else {}


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = fetch_or_404(selectors.person_get, request, pk)
    require_change(request, person.area)
    form = PersonEditForm(request.POST or None, user=request.user, person=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(actor=actor_of(request), person=person, **form.service_changes())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("registry:person_detail", pk=person.pk)
    return render(request, "registry/person_form.html", {"form": form, "person": person})


@login_required
def person_delete(request: HttpRequest, pk: int) -> HttpResponse:
    person = fetch_or_404(selectors.person_get, request, pk)
    return confirm_delete(request, person, person.area, done_url=reverse("registry:person_list"),
                          cancel_url=reverse("registry:person_detail", args=[person.pk]))
