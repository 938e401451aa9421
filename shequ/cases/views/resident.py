"""Resident pages: report a problem, my cases, confirm and rate a resolution."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.cases import selectors, services
from shequ.cases.forms import ResidentReportForm, step_form
from shequ.cases.models import Case, Channel
from shequ.cases.views.common import (
    actor_of, fetch_or_404, is_htmx, step_forms, step_outcome, step_redirect, submit_step,
)
from shequ.registry import selectors as registry_selectors
from shequ.registry.forms import add_service_errors

MAIN = "cases/my_case_detail_fragment_main.html"


def _fetch(request: HttpRequest, pk: int) -> Case:
    """Only the resident's own cases exist here."""
    return fetch_or_404(selectors.my_case_get, request, pk)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, Capability.CASES_REPORT):
        raise PermissionDenied
    form = ResidentReportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_create(actor=actor_of(request), channel=Channel.RESIDENT, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc, {"area": "place"})
        else:
            messages.success(request, _("已收到您反映的问题，编号 %(number)s。我们会尽快处理。") % {"number": case.number})
            return redirect("cases:my_case_detail", pk=case.pk)
    return render(request, "cases/report.html", {"form": form})


@login_required
def my_case_list(request: HttpRequest) -> HttpResponse:
    cases = selectors.my_cases(user=request.user)
    page = registry_selectors.paginate(cases, registry_selectors.page_number(request.GET.get("page")))
    registry_selectors.attach_addresses(page.rows)
    return render(request, "cases/my_cases.html", {"page": page, "rows": page.rows,
                                                   "can_report": user_can(request.user, Capability.CASES_REPORT)})


def _context(request: HttpRequest, case: Case, *, failed_step: str = "", failed_form=None, done: str = "") -> dict:
    steps = selectors.resident_steps(user=request.user, case=case)
    forms, errors = step_forms(request, case, steps, failed_step=failed_step, failed_form=failed_form)
    return {
        "case": case, "events": selectors.case_timeline(case=case), "photos": selectors.case_photos(case=case),
        # a resolved case opens on the rating form: that is what the resident came for
        "step_forms": forms, "open_step": failed_step or ("confirm" if "confirm" in steps else ""), "done": done,
        "errors": errors,
        "address": registry_selectors.address_labels([case.area])[case.area_id],
    }


@login_required
def my_case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _fetch(request, pk)
    return render(request, "cases/my_case_detail.html", _context(request, case))


@login_required
@require_POST
def my_case_act(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Confirm and rate, reject the resolution (reopen), or answer a question (resume)."""
    case = _fetch(request, pk)
    if step not in ("confirm", "reopen", "resume"):
        raise Http404
    form = step_form(step, data=request.POST, files=request.FILES, user=request.user, case=case)
    ok = submit_step(step, form, actor=actor_of(request), case=case)
    if not is_htmx(request):
        return step_redirect(request, form, ok, success=_("已提交。"), to="cases:my_case_detail", case=case)
    case = _fetch(request, pk)
    return render(request, MAIN, _context(request, case, **step_outcome(step, form, ok)))
