"""SOS: a big button, a confirmation, then the alarm's live state."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from shequ.accounts.roles import Capability
from shequ.alarms.models import Alarm, AlarmKind
from shequ.registry.forms import add_service_errors
from shequ.registry.selectors import address_labels
from shequ.residents import services
from shequ.residents.forms import SosForm
from shequ.residents.views.common import actor_of, resident_required

STATUS_FRAGMENT = "residents/sos_fragment_status.html"


def _form(request: HttpRequest, data=None) -> SosForm:
    houses = request.resident.houses
    labels = address_labels(house.area for house in houses)
    return SosForm(data, houses=[(house, labels.get(house.area_id, house.number)) for house in houses])


@resident_required
@require_http_methods(["GET", "POST"])
def sos(request: HttpRequest) -> HttpResponse:
    """GET: the button. POST step=ask: the confirmation. POST step=confirm: raise."""
    step = request.POST.get("step", "")
    if request.method == "GET" or step not in ("ask", "confirm"):
        return render(request, "residents/sos.html", {"nav_section": "home"})
    if step == "ask":
        return render(request, "residents/sos_confirm.html", {"nav_section": "home", "form": _form(request)})
    form = _form(request, request.POST)
    if form.is_valid():
        house = request.resident.house(form.cleaned_data["house"])
        try:
            alarm = services.resident_sos(actor=actor_of(request), house=house, detail=form.cleaned_data["detail"],
                                          latitude=form.cleaned_data["latitude"],
                                          longitude=form.cleaned_data["longitude"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("residents:sos_status", pk=alarm.pk)
    return render(request, "residents/sos_confirm.html", {"nav_section": "home", "form": form})


@resident_required
def sos_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The alarm as the consoles handle it; the page polls the fragment until it is closed."""
    alarm = (Alarm.objects.visible_to(request.user, Capability.ALARMS_RAISE)
             .filter(pk=pk, kind=AlarmKind.SOS).select_related("area").first())
    if alarm is None:
        raise Http404
    context = {"nav_section": "home", "alarm": alarm, "address": address_labels([alarm.area]).get(alarm.area_id, "")}
    if request.htmx:
        return render(request, STATUS_FRAGMENT, context)
    return render(request, "residents/sos_status.html", context)
