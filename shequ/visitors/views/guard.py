"""Guard-room pages: today's expected visitors, who is inside, overstays, check-in
and check-out, walk-in registration; the visitor log and the figures.

The live part of the guard page is a fragment the page reloads every few seconds
(htmx polling): arrivals recorded from door events show up without a reload.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.accounts.roles import Capability
from shequ.accounts.views.access import staff_page, wants_fragment
from shequ.registry import selectors as registry_selectors
from shequ.registry.forms import add_service_errors
from shequ.registry.models import Area
from shequ.registry.models.area import AreaLevel
from shequ.registry.views.common import actor_of, fetch_or_404
from shequ.visitors import selectors, services
from shequ.visitors.forms import FiguresForm, VisitFilterForm, WalkInForm

LIVE = "visitors/guard_fragment_live.html"
#: how often the guard page reloads its live part
POLL_SECONDS = 3
#: houses offered in the walk-in form's list
WALK_IN_HOUSES_MAX = 5000


def _live_context(request: HttpRequest, errors: list[str] | None = None, done: str = "") -> dict:
    now = timezone.now()
    expected = selectors.expected_today(user=request.user, now=now)
    inside = selectors.inside_now(user=request.user)
    late = selectors.overstays(user=request.user, now=now)
    registry_selectors.attach_addresses([*expected, *inside, *late])
    return {"expected": expected, "inside": inside, "overstays": late, "now": now, "errors": errors or [],
            "done": done, "poll_seconds": POLL_SECONDS}


@staff_page(Capability.VISITORS_GUARD)
def guard(request: HttpRequest) -> HttpResponse:
    return render(request, "visitors/guard.html", {**_live_context(request),
                                                   "complexes": selectors.guard_complexes(user=request.user)})


@staff_page(Capability.VISITORS_GUARD)
def guard_live(request: HttpRequest) -> HttpResponse:
    return render(request, LIVE, _live_context(request))


def _after_step(request: HttpRequest, exc: ValidationError | None, done: str) -> HttpResponse:
    """htmx: the live fragment with the outcome; plain forms: a message and back to the page."""
    errors = list(exc.messages) if exc is not None else []
    if wants_fragment(request):
        return render(request, LIVE, _live_context(request, errors, "" if errors else done))
    if errors:
        messages.error(request, " ".join(errors))
    else:
        messages.success(request, done)
    return redirect("visitors:guard")


@staff_page(Capability.VISITORS_GUARD)
@require_POST
def guard_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    visitor_pass = fetch_or_404(selectors.guard_pass_get, request, pk)
    try:
        services.visit_check_in(actor=actor_of(request), visitor_pass=visitor_pass)
    except ValidationError as exc:
        return _after_step(request, exc, "")
    return _after_step(request, None, _("已登记%(name)s进入。") % {"name": visitor_pass.visitor_name})


@staff_page(Capability.VISITORS_GUARD)
@require_POST
def guard_check_out(request: HttpRequest, pk: int) -> HttpResponse:
    visit = fetch_or_404(selectors.guard_visit_get, request, pk)
    try:
        services.visit_check_out(actor=actor_of(request), visit=visit)
    except ValidationError as exc:
        return _after_step(request, exc, "")
    return _after_step(request, None, _("已登记%(name)s离开。") % {"name": visit.visitor_name})


@staff_page(Capability.VISITORS_GUARD)
@require_POST
def guard_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    visitor_pass = fetch_or_404(selectors.guard_pass_get, request, pk)
    try:
        services.pass_revoke(actor=actor_of(request), visitor_pass=visitor_pass)
    except ValidationError as exc:
        return _after_step(request, exc, "")
    return _after_step(request, None, _("已撤销%(name)s的通行证。") % {"name": visitor_pass.visitor_name})


@staff_page(Capability.VISITORS_GUARD)
def walk_in(request: HttpRequest) -> HttpResponse:
    houses = list(Area.objects.visible_to(request.user, Capability.VISITORS_GUARD)
                  .filter(level=AreaLevel.HOUSE).order_by("path")[:WALK_IN_HOUSES_MAX])
    form = WalkInForm(request.POST or None, houses=houses)
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.visit_walk_in(actor=actor_of(request), **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记访客%(name)s。") % {"name": visit.visitor_name})
            return redirect("visitors:guard")
    return render(request, "visitors/walk_in.html", {"form": form})


@staff_page(Capability.VISITORS_GUARD)
def visit_log(request: HttpRequest) -> HttpResponse:
    form = VisitFilterForm(request.GET, complexes=selectors.guard_complexes(user=request.user))
    visits = selectors.visit_log(user=request.user, **form.filters())
    page = registry_selectors.paginate(visits, registry_selectors.page_number(request.GET.get("page")))
    registry_selectors.attach_addresses(page.rows)
    return render(request, "visitors/visit_log.html", {"form": form, "page": page, "rows": page.rows})


@staff_page(Capability.VISITORS_GUARD)
def figures(request: HttpRequest) -> HttpResponse:
    form = FiguresForm(request.GET)
    day_from, day_to = form.period()
    table = selectors.visitor_figures(user=request.user, day_from=day_from, day_to=day_to)
    return render(request, "visitors/figures.html", {"form": form, "table": table, "day_from": day_from,
                                                     "day_to": day_to})
