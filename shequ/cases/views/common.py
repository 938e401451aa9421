"""Helpers the case views share."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from shequ.accounts.audit import Actor
from shequ.cases import services
from shequ.cases.forms import STEP_FORMS, step_form
from shequ.cases.models import Case
from shequ.registry.forms import add_service_errors
from shequ.registry.views.common import actor_of, error_messages, fetch_or_404, is_htmx

__all__ = ["actor_of", "error_messages", "fetch_or_404", "is_htmx", "run_step", "step_forms", "step_outcome",
           "step_redirect", "submit_step"]

#: service error keys -> the form field that shows them
FIELD_MAP = {"into": "into_number"}


def run_step(step: str, *, actor: Actor, case: Case, data: dict, into: Case | None = None) -> Case:
    """Call the lifecycle service behind a step of the case page."""
    note = data.get("note", "")
    if step == "accept":
        return services.case_accept(actor=actor, case=case, note=note)
    if step == "assign":
        return services.case_assign(actor=actor, case=case, assignee_kind=data["assignee_kind"],
                                    assignee_org=data.get("assignee_org"), assignee_name=data.get("assignee_name", ""),
                                    accountable=data.get("accountable"), note=note)
    if step == "start":
        return services.case_start(actor=actor, case=case, note=note)
    if step == "wait":
        return services.case_wait_on_resident(actor=actor, case=case, note=note)
    if step == "resume":
        return services.case_resume(actor=actor, case=case, note=note)
    if step == "resolve":
        return services.case_resolve(actor=actor, case=case, resolution=data["resolution"],
                                     photos=data.get("photos") or ())
    if step == "close":
        return services.case_close(actor=actor, case=case, note=note)
    if step == "reopen":
        return services.case_reopen(actor=actor, case=case, reason=data["reason"])
    if step == "merge":
        if into is None:
            raise ValidationError({"into": ValidationError(_("未找到该编号的事件，或您无权办理它。"), code="merge_target")})
        return services.case_merge(actor=actor, case=case, into=into, note=note)
    if step == "escalate":
        return services.case_escalate(actor=actor, case=case, reason=data["reason"])
    if step == "confirm":
        return services.case_confirm(actor=actor, case=case, satisfaction=data["satisfaction"],
                                     follow_up_at=data.get("follow_up_at"), comment=data.get("comment", ""))
    raise ValueError(f"unknown step {step!r}")


def submit_step(step: str, form, *, actor: Actor, case: Case, into: Case | None = None) -> bool:
    """Validate the step's form and run it; errors land on the form. True on success."""
    if not form.is_valid():
        return False
    try:
        run_step(step, actor=actor, case=case, data=form.cleaned_data, into=into)
    except ValidationError as exc:
        add_service_errors(form, exc, FIELD_MAP)
        return False
    return True


def step_forms(request: HttpRequest, case: Case, steps, *, failed_step: str = "",
               failed_form=None) -> tuple[list[tuple], list[str]]:
    """(step, label, form) for each step offered, the failed one with its errors, and the
    messages to show at the top: a step not offered now (the case moved on meanwhile)
    has no form to show its refusal on."""
    errors = error_messages(failed_form) if failed_form is not None and failed_step not in steps else []
    forms = []
    for step in steps:
        form = failed_form if step == failed_step else step_form(step, user=request.user, case=case)
        forms.append((step, STEP_FORMS[step][1], form))
    return forms, errors


def step_redirect(request: HttpRequest, form, ok: bool, *, success: str, to: str, case: Case) -> HttpResponse:
    """Without htmx: flash the step's outcome and go back to the case page ``to``."""
    if ok:
        messages.success(request, success)
    else:
        messages.error(request, " ".join(error_messages(form)))
    return redirect(to, pk=case.pk)


def step_outcome(step: str, form, ok: bool) -> dict:
    """The keywords for re-rendering the case page after a step over htmx."""
    return {"failed_step": "" if ok else step, "failed_form": None if ok else form,
            "done": str(STEP_FORMS[step][1]) if ok else ""}
