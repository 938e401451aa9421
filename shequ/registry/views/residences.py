"""Moving in and out, inline on the person page (htmx), history kept."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shequ.registry import selectors, services
from shequ.registry.forms import EndDateForm, ResidenceStartForm, add_service_errors
from shequ.registry.models import Residence
from shequ.registry.views.common import actor_of, error_messages, fetch_or_404, is_htmx, require_change
from shequ.registry.views.people import person_context

RESIDENCES = "registry/person_detail_fragment_residences.html"
RESIDENCE_FORM = "registry/person_detail_fragment_residence_form.html"


def _residences_or_redirect(request: HttpRequest, person_pk: int) -> HttpResponse:
    """The refreshed residences block, or the person page for a plain POST."""
    if not is_htmx(request):
        return redirect("registry:person_detail", pk=person_pk)
    try:
        person = selectors.person_get(user=request.user, pk=person_pk)
    except ObjectDoesNotExist:
        # moved out of every area the user sees: nothing left to show here
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("registry:person_list")
        return response
    response = render(request, RESIDENCES, person_context(request, person))
    # the move-in form posts into its own slot; a success replaces the whole block
    response["HX-Retarget"] = "#residences"
    response["HX-Reswap"] = "outerHTML"
    return response


@login_required
def residence_add(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the move-in form; POST: ``residence_start``."""
    person = fetch_or_404(selectors.person_get, request, pk)
    require_change(request, person.area)
    form = ResidenceStartForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.residence_start(
                actor=actor_of(request), person=person, house=data["house"], relation=data["relation"],
                population_type=data["population_type"], start_date=data["start_date"], lease_end=data["lease_end"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return _residences_or_redirect(request, person.pk)
    template = RESIDENCE_FORM if is_htmx(request) else "registry/residence_form.html"
    return render(request, template, {"form": form, "person": person})


@login_required
@require_POST
def residence_end(request: HttpRequest, pk: int) -> HttpResponse:
    """Move out: ``residence_end`` sets the end date and keeps the row."""
    residence = get_object_or_404(
        Residence.objects.visible_to(request.user).select_related("house__area", "person"), pk=pk
    )
    form = EndDateForm(request.POST)
    if form.is_valid():
        try:
            services.residence_end(actor=actor_of(request), residence=residence, end_date=form.cleaned_data["end_date"])
        except ValidationError as exc:
            add_service_errors(form, exc)
    if form.errors:
        if not is_htmx(request):
            messages.error(request, " ".join(error_messages(form)))
            return redirect("registry:person_detail", pk=residence.person_id)
        person = fetch_or_404(selectors.person_get, request, residence.person_id)
        return render(request, RESIDENCES, {**person_context(request, person), "end_errors": error_messages(form),
                                            "end_errors_for": residence.pk})
    return _residences_or_redirect(request, residence.person_id)
