"""Vehicles and facilities (物): list, detail, create, edit, delete."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.registry import selectors, services
from shequ.registry.forms import FacilityFilterForm, FacilityForm, VehicleFilterForm, VehicleForm, initial_from
from shequ.registry.views.common import (
    actor_of, change_required, confirm_delete, fetch_or_404, render_list, require_change, submit,
)


@login_required
def vehicle_list(request: HttpRequest) -> HttpResponse:
    form = VehicleFilterForm(request.GET, user=request.user)
    vehicles = selectors.vehicle_list(user=request.user, area=form.value("area", None), query=form.value("q"),
                                      plate_kind=form.value("plate_kind"))
    return render_list(request, template="registry/vehicle_list.html",
                       fragment="registry/vehicle_list_fragment_table.html", form=form, queryset=vehicles)


@login_required
def vehicle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = fetch_or_404(selectors.vehicle_get, request, pk)
    labels = selectors.address_labels([vehicle.area] + ([vehicle.house.area] if vehicle.house else []))
    return render(request, "registry/vehicle_detail.html", {
        "vehicle": vehicle,
        "address": labels[vehicle.area_id],
        "house_address": labels.get(vehicle.house.area_id, "") if vehicle.house else "",
        "can_change": user_can(request.user, Capability.CHANGE, vehicle.area),
    })


@login_required
@change_required
def vehicle_create(request: HttpRequest) -> HttpResponse:
    form = VehicleForm(request.POST or None, user=request.user)
    vehicle = submit(request, form, lambda data: services.vehicle_create(
        actor=actor_of(request), **data), success=_("已添加车辆。"))
    if vehicle:
        return redirect("registry:vehicle_detail", pk=vehicle.pk)
    return render(request, "registry/vehicle_form.html", {"form": form, "creating": True})


@login_required
def vehicle_edit(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = fetch_or_404(selectors.vehicle_get, request, pk)
    require_change(request, vehicle.area)
    initial = {**initial_from(vehicle, VehicleForm), "area": vehicle.area_id, "owner": vehicle.owner_id,
               "house": vehicle.house_id}
    form = VehicleForm(request.POST or None, user=request.user, initial=initial)
    if submit(request, form, lambda data: services.vehicle_update(
            actor=actor_of(request), vehicle=vehicle, **data), success=_("已保存。")):
        return redirect("registry:vehicle_detail", pk=vehicle.pk)
    return render(request, "registry/vehicle_form.html", {"form": form, "vehicle": vehicle})


@login_required
def vehicle_delete(request: HttpRequest, pk: int) -> HttpResponse:
    vehicle = fetch_or_404(selectors.vehicle_get, request, pk)
    return confirm_delete(request, vehicle, vehicle.area, done_url=reverse("registry:vehicle_list"),
                          cancel_url=reverse("registry:vehicle_detail", args=[vehicle.pk]))


@login_required
def facility_list(request: HttpRequest) -> HttpResponse:
    form = FacilityFilterForm(request.GET, user=request.user)
    facilities = selectors.facility_list(
        user=request.user, area=form.value("area", None), query=form.value("q"), kind=form.value("kind"),
        status=form.value("status"), due=bool(form.value("due", False)),
    )
    return render_list(request, template="registry/facility_list.html",
                       fragment="registry/facility_list_fragment_table.html", form=form, queryset=facilities)


@login_required
def facility_detail(request: HttpRequest, pk: int) -> HttpResponse:
    facility = fetch_or_404(selectors.facility_get, request, pk)
    return render(request, "registry/facility_detail.html", {
        "facility": facility,
        "address": selectors.address_labels([facility.area])[facility.area_id],
        "can_change": user_can(request.user, Capability.CHANGE, facility.area),
    })


@login_required
@change_required
def facility_create(request: HttpRequest) -> HttpResponse:
    form = FacilityForm(request.POST or None, user=request.user)
    facility = submit(request, form, lambda data: services.facility_create(
        actor=actor_of(request), **data), success=_("已添加设施。"))
    if facility:
        return redirect("registry:facility_detail", pk=facility.pk)
    return render(request, "registry/facility_form.html", {"form": form, "creating": True})


@login_required
def facility_edit(request: HttpRequest, pk: int) -> HttpResponse:
    facility = fetch_or_404(selectors.facility_get, request, pk)
    require_change(request, facility.area)
    form = FacilityForm(request.POST or None, user=request.user,
                        initial={**initial_from(facility, FacilityForm), "area": facility.area_id})
    if submit(request, form, lambda data: services.facility_update(
            actor=actor_of(request), facility=facility, **data), success=_("已保存。")):
        return redirect("registry:facility_detail", pk=facility.pk)
    return render(request, "registry/facility_form.html", {"form": form, "facility": facility})


@login_required
def facility_delete(request: HttpRequest, pk: int) -> HttpResponse:
    facility = fetch_or_404(selectors.facility_get, request, pk)
    return confirm_delete(request, facility, facility.area, done_url=reverse("registry:facility_list"),
                          cancel_url=reverse("registry:facility_detail", args=[facility.pk]))
