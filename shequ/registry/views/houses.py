"""Houses: list, detail, create, edit. Houses are not deleted: they are area
nodes, retired with the tree so old residence records keep their address."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.registry import selectors, services
from shequ.registry.forms import HouseCreateForm, HouseEditForm, HouseFilterForm, initial_from
from shequ.registry.models import Vehicle
from shequ.registry.views.common import (
    actor_of, change_required, fetch_or_404, render_list, require_change, submit,
)


@login_required
def house_list(request: HttpRequest) -> HttpResponse:
    form = HouseFilterForm(request.GET, user=request.user)
    houses = selectors.house_list(user=request.user, area=form.value("area", None), query=form.value("q"),
                                  status=form.value("status"), use=form.value("use"))
    return render_list(request, template="registry/house_list.html", fragment="registry/house_list_fragment_table.html",
                       form=form, queryset=houses)


@login_required
def house_detail(request: HttpRequest, pk: int) -> HttpResponse:
    house = fetch_or_404(selectors.house_get, request, pk)
    residences = selectors.house_residences(house=house)
    return render(request, "registry/house_detail.html", {
        "house": house,
        "address": selectors.address_labels([house.area])[house.area_id],
        "current": [row for row in residences if row.end_date is None],
        "past": [row for row in residences if row.end_date is not None],
        "vehicles": list(Vehicle.objects.filter(house=house).select_related("owner").order_by("plate")),
        "can_change": user_can(request.user, Capability.CHANGE, house.area),
    })


@login_required
@change_required
def house_create(request: HttpRequest) -> HttpResponse:
    form = HouseCreateForm(request.POST or None, user=request.user, initial=_initial_unit(request))
    house = submit(request, form, lambda data: services.house_create(actor=actor_of(request), **data),
                   field_map=HouseEditForm.service_field_map, success=_("已添加房屋。"))
    if house:
        return redirect("registry:house_detail", pk=house.pk)
    return render(request, "registry/house_form.html", {"form": form, "creating": True})


def _initial_unit(request: HttpRequest) -> dict:
    from shequ.registry.models import Area

    pk = request.GET.get("unit", "")
    unit = Area.objects.visible_to(request.user).filter(pk=pk, level="unit").first() if pk.isdigit() else None
    return {"unit": unit.pk} if unit else {}


@login_required
def house_edit(request: HttpRequest, pk: int) -> HttpResponse:
    house = fetch_or_404(selectors.house_get, request, pk)
    require_change(request, house.area)
    form = HouseEditForm(request.POST or None, initial=initial_from(house, HouseEditForm))
    saved = submit(request, form, lambda data: services.house_update(actor=actor_of(request), house=house, **data),
                   field_map=HouseEditForm.service_field_map, success=_("已保存。"))
    if saved:
        return redirect("registry:house_detail", pk=house.pk)
    return render(request, "registry/house_form.html", {"form": form, "house": house})
