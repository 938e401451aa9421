"""The resident check for every resident page, in this app and in others.

Other apps' resident pages (visitors, notices, mailbox) may decorate their views
with :func:`resident_required` instead of ``login_required``: an anonymous visitor
is then sent to the resident (phone code) login, not the staff login, and
``request.resident`` names the houses the resident lives in today.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from shequ.accounts.audit import Actor
from shequ.accounts.models import User
from shequ.accounts.roles import STAFF_ROLES
from shequ.accounts.scope import user_roles
from shequ.registry.models import House
from shequ.residents import selectors
from shequ.residents.services import resident_grants_sync

VIA = "resident_app"


def actor_of(request: HttpRequest) -> Actor:
    return Actor.from_request(request, via=VIA)


def is_staff_account(user: User) -> bool:
    return bool(user.is_staff or user.is_superuser or user_roles(user) & STAFF_ROLES)


@dataclass
class Resident:
    """The logged-in resident: their person and the houses they live in today."""

    person_id: int
    houses: list[House]

    def house(self, pk: int) -> House | None:
        return next((house for house in self.houses if house.pk == pk), None)


def resident_required(view):
    """Logged in as a resident who lives somewhere today; ``request.resident`` is set.

    The resident grants are brought in line with the registry on every page, so
    someone who moved out is logged out here and keeps no grant on the old house.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("residents:login"))
        staff = is_staff_account(user)
        if not staff and user.person_id is not None:
            resident_grants_sync(user=user, actor=actor_of(request))
        houses = selectors.my_houses(user=user)
        if not houses:
            if staff or user.person_id is None:
                return render(request, "residents/not_resident.html", status=403)
            auth_logout(request)
            messages.error(request, _("您目前没有登记的住址，居民服务已退出。如有疑问请联系社区。"))
            return redirect("residents:login")
        request.resident = Resident(person_id=user.person_id, houses=houses)
        return view(request, *args, **kwargs)

    return wrapped
