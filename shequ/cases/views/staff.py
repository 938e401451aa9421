"""Staff pages: the case list, a case with its timeline and steps, and intake."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.cases import selectors, services
from shequ.cases.deadlines import policies
from shequ.cases.forms import STEP_FORMS, CaseFilterForm, StaffIntakeForm, step_form
from shequ.cases.models import Case
from shequ.cases.views.common import (
    actor_of, fetch_or_404, is_htmx, step_forms, step_outcome, step_redirect, submit_step,
)
from shequ.registry import selectors as registry_selectors
from shequ.registry.forms import add_service_errors
from shequ.registry.models.area import AreaLevel

MAIN = "cases/case_detail_fragment_main.html"
STAFF_STEPS = frozenset(STEP_FORMS) - {"confirm"}
PICKER_LEVELS = [AreaLevel.COMPLEX, AreaLevel.BUILDING, AreaLevel.UNIT, AreaLevel.HOUSE]
PICKER_LIMIT = 20


def _require_view(request: HttpRequest) -> None:
    if not user_can(request.user, Capability.CASES_VIEW):
        raise PermissionDenied


def _fetch(request: HttpRequest, pk: int) -> Case:
    """One scoped fetch: a case outside the user's areas does not exist for them."""
    return fetch_or_404(selectors.case_get, request, pk)


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    form = CaseFilterForm(request.GET, user=request.user)
    cases = selectors.case_list(user=request.user, **form.filters())
    if request.GET.get("count"):
        count, more = registry_selectors.count_capped(cases)
        return render(request, "registry/_list_count.html", {"count": count, "more": more})
    page = registry_selectors.paginate(cases, registry_selectors.page_number(request.GET.get("page")))
    registry_selectors.attach_addresses(page.rows)
    now, table = timezone.now(), policies()
    for case in page.rows:
        case.deadline = selectors.deadline_state(case, now, table)
    context = {"form": form, "page": page, "rows": page.rows,
               "can_create": user_can(request.user, Capability.CASES_HANDLE)}
    fragment = is_htmx(request) and not request.htmx.boosted
    return render(request, "cases/case_list_fragment_table.html" if fragment else "cases/case_list.html", context)


def _detail_context(request: HttpRequest, case: Case, *, failed_step: str = "", failed_form=None,
                    done: str = "") -> dict:
    steps = selectors.staff_steps(user=request.user, case=case)
    forms, errors = step_forms(request, case, steps, failed_step=failed_step, failed_form=failed_form)
    return {
        "case": case, "events": selectors.case_timeline(case=case), "photos": selectors.case_photos(case=case),
        "deadline": selectors.deadline_state(case), "step_forms": forms, "open_step": failed_step,
        "address": registry_selectors.address_labels([case.area])[case.area_id], "done": done,
        "errors": errors,
    }


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _fetch(request, pk)
    return render(request, "cases/case_detail.html", _detail_context(request, case))


@login_required
@require_POST
def case_act(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Run one step (htmx: answer with the refreshed main block of the page)."""
    case = _fetch(request, pk)
    if step not in STAFF_STEPS:
        raise Http404
    form = step_form(step, data=request.POST, files=request.FILES, user=request.user, case=case)
    into = None
    if step == "merge" and form.is_valid():
        into = selectors.merge_target_get(user=request.user, number=form.cleaned_data["into_number"])
    ok = submit_step(step, form, actor=actor_of(request), case=case, into=into)
    if not is_htmx(request):
        return step_redirect(request, form, ok, success=_("已%(step)s。") % {"step": STEP_FORMS[step][1]},
                             to="cases:case_detail", case=case)
    case = _fetch(request, pk)
    return render(request, MAIN, _detail_context(request, case, **step_outcome(step, form, ok)))


@login_required
def case_create(request: HttpRequest) -> HttpResponse:
    """Staff intake: phone calls, inspections, visits, letters, hotline tickets typed in."""
    if not user_can(request.user, Capability.CASES_HANDLE):
        raise PermissionDenied
    form = StaffIntakeForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(actor=actor_of(request), **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记事件 %(number)s。") % {"number": case.number})
            return redirect("cases:case_detail", pk=case.pk)
    return render(request, "cases/case_form.html", {"form": form, "picked": form.picked_area()})


@login_required
def area_picker(request: HttpRequest) -> HttpResponse:
    """Radio buttons for the places matching the intake form's search box (htmx)."""
    query = request.GET.get("q", "").strip()
    areas = registry_selectors.area_search(user=request.user, query=query, levels=PICKER_LEVELS,
                                           capability=Capability.CASES_HANDLE, limit=PICKER_LIMIT)
    return render(request, "registry/picker_fragment_results.html", {
        "options": [(area.pk, area.area_label) for area in areas], "name": request.GET.get("name", "area"),
        "query": query, "limit": PICKER_LIMIT,
    })
