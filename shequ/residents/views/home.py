"""Resident home, household, a household member, and "me"."""

from __future__ import annotations

import importlib

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from shequ.residents import selectors
from shequ.residents.views.common import resident_required


def _unread_notices(user) -> int | None:
    """Unread notices, when the notices app offers the count (it is a read: its selectors;
    its services are tried too). None when neither has it: the tile then shows no count."""
    for module in ("shequ.notices.selectors", "shequ.notices.services"):
        try:
            unread_count_for = getattr(importlib.import_module(module), "unread_count_for")
        except (ImportError, AttributeError):
            continue
        return unread_count_for(user)
    return None


@resident_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "residents/home.html", {
        "nav_section": "home",
        "households": selectors.households(user=request.user, houses=request.resident.houses),
        "unread_notices": _unread_notices(request.user),
    })


@resident_required
def household(request: HttpRequest) -> HttpResponse:
    return render(request, "residents/household.html", {
        "nav_section": "home",
        "households": selectors.households(user=request.user, houses=request.resident.houses),
    })


@resident_required
def member(request: HttpRequest, pk: int) -> HttpResponse:
    residence = selectors.household_member_get(user=request.user, houses=request.resident.houses, person_id=pk)
    if residence is None:
        raise Http404
    return render(request, "residents/member.html", {
        "nav_section": "home", "residence": residence, "person": residence.person,
        "is_me": residence.person_id == request.user.person_id,
    })


@resident_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "residents/profile.html", {
        "nav_section": "me",
        "person": selectors.my_person(user=request.user),
        "households": selectors.households(user=request.user, houses=request.resident.houses),
    })
