"""The car-gate page: plate log with search, occupancy per complex, held vehicles
with allow/refuse, and the occupancy reset."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shequ.access.vehicles import selectors, services
from shequ.access.views.common import actor_of, fetch_or_404
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.registry.selectors import page_number, paginate

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class VehicleLogFilter(forms.Form):
    plate = forms.CharField(label=gettext_lazy("车牌"), required=False, max_length=20)
    since = forms.DateTimeField(label=gettext_lazy("开始时间"), required=False, widget=DATETIME_INPUT)
    until = forms.DateTimeField(label=gettext_lazy("结束时间"), required=False, widget=DATETIME_INPUT)

    def value(self, name: str, default=None):
        self.is_valid()
        return self.cleaned_data.get(name) or default


@login_required
def vehicle_page(request: HttpRequest) -> HttpResponse:
    form = VehicleLogFilter(request.GET)
    log = selectors.vehicle_log(user=request.user, plate=form.value("plate", ""), since=form.value("since"),
                                until=form.value("until"))
    page = paginate(log, page_number(request.GET.get("page")))
    occupancy = [services.vehicle_occupancy(complex_area=area)
                 for area in selectors.complexes_visible(user=request.user)]
    context = {"form": form, "page": page, "rows": page.rows, "occupancy": occupancy,
               "held": selectors.vehicles_held(user=request.user),
               "can_decide": user_can(request.user, Capability.ALARMS_HANDLE)}
    if request.headers.get("HX-Request") and request.GET.get("part") == "held":
        return render(request, "access/vehicles_fragment_held.html", context)
    return render(request, "access/vehicles_page.html", context)


@require_POST
@login_required
def vehicle_decide(request: HttpRequest, pk: int) -> HttpResponse:
    event = fetch_or_404(selectors.held_get, request, pk)
    allow = request.POST.get("decision") == "allow"
    try:
        services.vehicle_held_decide(actor=actor_of(request), event=event, allow=allow)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已放行 %(plate)s。") % {"plate": event.plate or "?"} if allow
                         else _("已拒绝 %(plate)s。") % {"plate": event.plate or "?"})
    return redirect("access:vehicle_page")


@require_POST
@login_required
def vehicle_occupancy_reset(request: HttpRequest, pk: int) -> HttpResponse:
    area = fetch_or_404(selectors.complex_get, request, pk)
    try:
        count = int(request.POST.get("count") or 0)
        services.vehicle_occupancy_reset(actor=actor_of(request), complex_area=area, count=count)
    except ValueError:
        messages.error(request, _("请输入车辆数。"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已重置 %(complex)s 的在场车辆数。") % {"complex": area.name})
    return redirect("access:vehicle_page")
