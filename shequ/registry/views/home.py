"""The dashboard and navigation by area.

Counts over a district or a city read hundreds of thousands of rows, so both
pages render at once and fetch their numbers in a second request (htmx,
``hx-trigger="load"``): the fragment views below.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.registry import selectors
from shequ.registry.models import Facility, House, Organization, Person, Vehicle
from shequ.registry.selectors import within
from shequ.registry.views.common import fetch_or_404


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's areas and shortcuts; users without registry rights see their other modules only."""
    if not user_can(request.user, Capability.VIEW):
        return render(request, "registry/home.html", {"no_registry": True})
    return render(request, "registry/home.html", {
        "roots": selectors.area_roots(user=request.user),
        "can_add": user_can(request.user, Capability.CHANGE),
    })


@login_required
def home_counts(request: HttpRequest) -> HttpResponse:
    return render(request, "registry/home_fragment_counts.html",
                  {"counts": selectors.dashboard_counts(user=request.user)})


@login_required
def area_detail(request: HttpRequest, pk: int) -> HttpResponse:
    area = fetch_or_404(selectors.area_get, request, pk)
    house = getattr(area, "house", None) if area.level == "house" else None
    return render(request, "registry/area_detail.html", {
        "area": area,
        "ancestors": selectors.area_ancestors(user=request.user, area=area),
        "house": house,
    })


@login_required
def area_counts(request: HttpRequest, pk: int) -> HttpResponse:
    """What the area holds, and its children with the people and houses in each."""
    area = fetch_or_404(selectors.area_get, request, pk)
    user = request.user
    counts = {
        "people": within(Person.objects.visible_to(user), area).count(),
        "houses": within(House.objects.visible_to(user), area).count(),
        "organizations": within(Organization.objects.visible_to(user), area).count(),
        "vehicles": within(Vehicle.objects.visible_to(user), area).count(),
        "facilities": within(Facility.objects.visible_to(user), area).count(),
        "facilities_due": within(Facility.objects.visible_to(user).inspection_due(), area).count(),
    }
    return render(request, "registry/area_detail_fragment_counts.html", {
        "area": area, "counts": counts, "children": selectors.area_children(user=user, area=area),
    })
