"""Common problems: the proposals for a street's or district's agenda, and the
decision to accept or dismiss each (inline with htmx)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shequ.meetings import selectors, services
from shequ.meetings.models import CommonProblem
from shequ.meetings.views.common import actor_of, fetch_or_404, is_htmx, require_manage
from shequ.registry.selectors import page_number, paginate


@login_required
def common_problem_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in CommonProblem.Status.values else ""
    page = paginate(selectors.common_problem_list(user=request.user, status=status),
                    page_number(request.GET.get("page")))
    return render(request, "meetings/common_problem_list.html", {
        "page": page, "rows": page.rows, "status": status, "statuses": CommonProblem.Status.choices,
    })


def _detail_context(request: HttpRequest, problem: CommonProblem, **extra) -> dict:
    return {"problem": problem, "can_manage": selectors.can_manage(request.user, problem.area), **extra}


@login_required
def common_problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = fetch_or_404(selectors.common_problem_get, request, pk)
    return render(request, "meetings/common_problem_detail.html", _detail_context(request, problem))


def _decide(request: HttpRequest, pk: int, service) -> HttpResponse:
    problem = fetch_or_404(selectors.common_problem_get, request, pk)
    require_manage(request, problem.area)
    errors = []
    try:
        service(actor=actor_of(request), problem=problem)
    except ValidationError as exc:
        errors = exc.messages
    if not is_htmx(request):
        return redirect("meetings:common_problem_detail", pk=problem.pk)
    return render(request, "meetings/common_problem_detail_fragment_status.html",
                  _detail_context(request, problem, errors=errors))


@login_required
@require_POST
def common_problem_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.common_problem_accept)


@login_required
@require_POST
def common_problem_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.common_problem_dismiss)
