"""The "2+4" team pages: the complexes' teams, one team's roster and its history,
appointing, replacing and ending seats inline (htmx)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from shequ.meetings import selectors, services
from shequ.meetings.forms import AppointForm, EndSeatForm, ReplaceForm
from shequ.meetings.models import TeamRole
from shequ.meetings.views.common import actor_of, error_messages, fetch_or_404, is_htmx, require_manage, submit
from shequ.registry.models import Area
from shequ.registry.selectors import paginate, page_number

ROSTER = "meetings/team_detail_fragment_roster.html"


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:50]
    page = paginate(selectors.complex_list(user=request.user, query=query), page_number(request.GET.get("page")))
    return render(request, "meetings/team_list.html", {"page": page, "rows": page.rows, "query": query,
                                                       "role_count": len(TeamRole.values)})


def _roster_context(request: HttpRequest, complex: Area, **extra) -> dict:
    return {
        "complex": complex,
        "roster": selectors.team_roster(complex=complex),
        "history": selectors.team_history(complex=complex),
        "can_manage": selectors.can_manage(request.user, complex),
        **extra,
    }


def _roster_swap(request: HttpRequest, complex: Area) -> HttpResponse:
    """After a seat form is saved the whole roster is redrawn, not just the form."""
    return reswap(retarget(render(request, ROSTER, _roster_context(request, complex)), "#roster"), "outerHTML")


@login_required
def team_detail(request: HttpRequest, complex_id: int) -> HttpResponse:
    complex = fetch_or_404(selectors.complex_get, request, complex_id)
    meetings = selectors.meeting_list(user=request.user, area=complex)[:10]
    return render(request, "meetings/team_detail.html", {
        **_roster_context(request, complex), "meetings": meetings,
    })


def _seat_data(data: dict) -> dict:
    seat = {key: data[key] for key in ("name", "title", "organization", "start_date") if key in data}
    seat["user"] = data.get("username")
    return seat


@login_required
def seat_appoint(request: HttpRequest, complex_id: int) -> HttpResponse:
    """GET: the appointment form fragment; POST: ``team_member_appoint``."""
    complex = fetch_or_404(selectors.complex_get, request, complex_id)
    require_manage(request, complex)
    form = AppointForm(request.POST or None, complex=complex, initial={"role": request.GET.get("role", "")})
    appointed = submit(request, form, lambda data: services.team_member_appoint(
        actor=actor_of(request), complex=complex, role=data["role"], **_seat_data(data)),
        success=_("已任命。"))
    if appointed:
        if not is_htmx(request):
            return redirect("meetings:team_detail", complex_id=complex.pk)
        return _roster_swap(request, complex)
    return render(request, "meetings/team_detail_fragment_appoint.html", {"form": form, "complex": complex})


@login_required
def seat_replace(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form to hand a seat to someone new; POST: ``team_member_replace``."""
    member = fetch_or_404(selectors.team_member_get, request, pk)
    complex = member.team.complex
    require_manage(request, complex)
    form = ReplaceForm(request.POST or None, complex=complex)
    successor = submit(request, form, lambda data: services.team_member_replace(
        actor=actor_of(request), member=member, **_seat_data(data)), success=_("已更换。"))
    if successor:
        if not is_htmx(request):
            return redirect("meetings:team_detail", complex_id=complex.pk)
        return _roster_swap(request, complex)
    return render(request, "meetings/team_detail_fragment_replace.html",
                  {"form": form, "member": member, "complex": complex})


@login_required
@require_POST
def seat_end(request: HttpRequest, pk: int) -> HttpResponse:
    member = fetch_or_404(selectors.team_member_get, request, pk)
    complex = member.team.complex
    require_manage(request, complex)
    form = EndSeatForm(request.POST)
    submit(request, form, lambda data: services.team_member_end(
        actor=actor_of(request), member=member, end_date=data["end_date"]))
    if not is_htmx(request):
        return redirect("meetings:team_detail", complex_id=complex.pk)
    return render(request, ROSTER, _roster_context(request, complex, end_errors=error_messages(form),
                                                   end_errors_for=member.pk))
