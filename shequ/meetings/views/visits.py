"""Household visits: the list, recording a visit (house picked building by
building inside the complex), a visit with the cases it opened, and the
coverage of each building."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shequ.core.scoping import subtree_q
from shequ.meetings import selectors, services
from shequ.meetings.forms import CoverageForm, ProblemForm, VisitForm
from shequ.meetings.services.common import MANAGE
from shequ.meetings.views.common import actor_of, fetch_or_404, is_htmx, require_manage, submit
from shequ.registry.models import House
from shequ.registry.selectors import address_labels, attach_addresses, page_number, paginate


@login_required
def visit_list(request: HttpRequest) -> HttpResponse:
    form = CoverageForm(request.GET)
    start, end = form.period()
    visits = selectors.visit_list(user=request.user, start=start, end=end)
    page = paginate(visits, page_number(request.GET.get("page")))
    attach_addresses(page.rows, area_attr="house.area")
    return render(request, "meetings/visit_list.html", {"page": page, "rows": page.rows, "form": form,
                                                        "start": start, "end": end})


def _houses_of(request: HttpRequest, complex, building_id) -> list:
    """The houses of one building the user may record visits at, by unit."""
    if not str(building_id or "").isdigit():
        return []
    return list(House.objects.visible_to(request.user, MANAGE)
                .filter(subtree_q("area__path", complex.path), area__parent__parent_id=int(building_id),
                        area__retired_on__isnull=True)
                .select_related("area__parent").order_by("area__parent__name", "number"))


@login_required
def visit_houses(request: HttpRequest, complex_id: int) -> HttpResponse:
    """The house select for the chosen building (htmx fragment of the visit form)."""
    complex = fetch_or_404(selectors.complex_get, request, complex_id)
    require_manage(request, complex)
    return render(request, "meetings/visit_form_fragment_houses.html", {
        "houses": _houses_of(request, complex, request.GET.get("building")), "selected": None,
    })


@login_required
def visit_create(request: HttpRequest, complex_id: int) -> HttpResponse:
    complex = fetch_or_404(selectors.complex_get, request, complex_id)
    require_manage(request, complex)
    form = VisitForm(request.POST or None, user=request.user, complex=complex)

    def save(data: dict):
        problem = form.problem()
        return services.visit_record(
            actor=actor_of(request), house=data["house"], visited_on=data["visited_on"], member=data["member"],
            visitor_name=data["visitor_name"], people_met=data["people_met"], notes=data["notes"],
            problems=[problem] if problem else [])

    visit = submit(request, form, save, field_map={"title": "problem_title", "description": "problem_description",
                                                   "category": "problem_category"}, success=_("已记录走访。"))
    if visit:
        return redirect("meetings:visit_detail", pk=visit.pk)
    building = form["building"].value()
    house = form["house"].value()
    return render(request, "meetings/visit_form.html", {
        "form": form, "complex": complex, "houses": _houses_of(request, complex, building),
        "buildings": sorted(form.fields["building"].queryset, key=lambda area: (len(area.name), area.name)),
        "selected": int(house) if str(house or "").isdigit() else None,
    })


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = fetch_or_404(selectors.visit_get, request, pk)
    return render(request, "meetings/visit_detail.html", {
        "visit": visit, "address": address_labels([visit.house.area])[visit.house.area_id],
        "complex": services.complex_of(visit.house.area),
        "can_manage": selectors.can_manage(request.user, visit.house.area), "problem_form": ProblemForm(),
    })


@login_required
def visit_problem_add(request: HttpRequest, pk: int) -> HttpResponse:
    """GET/POST the found-problem form on a recorded visit (htmx fragment)."""
    visit = fetch_or_404(selectors.visit_get, request, pk)
    require_manage(request, visit.house.area)
    form = ProblemForm(request.POST or None)

    def save(data: dict):
        problem = form.problem()
        if problem is None:
            form.add_error("problem_title", _("请填写问题标题。"))
            return None
        return services.visit_problem_add(actor=actor_of(request), visit=visit, problem=problem)

    case = submit(request, form, save, field_map={"title": "problem_title", "description": "problem_description",
                                                  "category": "problem_category"})
    if case:
        visit = selectors.visit_get(user=request.user, pk=visit.pk)
        if not is_htmx(request):
            return redirect("meetings:visit_detail", pk=visit.pk)
        return render(request, "meetings/visit_detail_fragment_cases.html", {
            "visit": visit, "can_manage": True, "problem_form": ProblemForm()})
    return render(request, "meetings/visit_detail_fragment_problem_form.html", {"visit": visit, "problem_form": form})


@login_required
def coverage(request: HttpRequest, complex_id: int) -> HttpResponse:
    complex = fetch_or_404(selectors.complex_get, request, complex_id)
    form = CoverageForm(request.GET)
    start, end = form.period()
    rows = selectors.building_coverage(complex=complex, start=start, end=end)
    houses, visited = sum(row.houses for row in rows), sum(row.visited for row in rows)
    return render(request, "meetings/coverage.html", {
        "complex": complex, "form": form, "rows": rows, "start": start, "end": end,
        "houses": houses, "visited": visited, "percent": round(visited * 100 / houses) if houses else 0,
        "visits": selectors.visit_list(user=request.user, complex=complex, start=start, end=end).count(),
    })
