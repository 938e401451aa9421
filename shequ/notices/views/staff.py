"""Staff pages: the notice list, editor, approval queue, detail with read counts,
and the staff board (notices sent to staff)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shequ.notices import selectors, services
from shequ.notices.forms import NoticeFilterForm, NoticeForm, ReasonForm
from shequ.notices.models import Notice, Status
from shequ.notices.placeholders import PLACEHOLDERS
from shequ.notices.views.common import actor_of, fetch_or_404, is_htmx, staff_required
from shequ.registry import selectors as registry_selectors
from shequ.registry.forms import add_service_errors

#: step -> (button label, message when done)
STEPS = {
    "submit": (gettext_lazy("提交审批"), gettext_lazy("已提交审批。")),
    "approve_publish": (gettext_lazy("批准并立即发布"), gettext_lazy("已批准并发布。")),
    "approve": (gettext_lazy("批准"), gettext_lazy("已批准，将在定时发布时间自动发布。")),
    "reject": (gettext_lazy("退回修改"), gettext_lazy("已退回拟稿人修改。")),
    "publish": (gettext_lazy("立即发布"), gettext_lazy("已发布。")),
    "withdraw": (gettext_lazy("撤回"), gettext_lazy("已撤回。")),
}
UNREAD_PAGE = 50


def _fetch(request: HttpRequest, pk: int) -> Notice:
    return fetch_or_404(selectors.notice_get, request, pk)


@login_required
@staff_required
def notice_list(request: HttpRequest) -> HttpResponse:
    form = NoticeFilterForm(request.GET)
    notices = selectors.notice_list(user=request.user, **form.filters())
    if request.GET.get("count"):
        count, more = registry_selectors.count_capped(notices)
        return render(request, "registry/_list_count.html", {"count": count, "more": more})
    page = registry_selectors.paginate(notices, registry_selectors.page_number(request.GET.get("page")))
    context = {"form": form, "page": page, "rows": page.rows,
               "pending": selectors.approval_queue(user=request.user).count(), "nav_section": "list"}
    fragment = is_htmx(request) and not request.htmx.boosted
    return render(request, "notices/notice_list_fragment_table.html" if fragment else "notices/notice_list.html",
                  context)


@login_required
@staff_required
def approval_queue(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.approval_queue(user=request.user)[:200])
    return render(request, "notices/approval_queue.html", {"rows": rows, "nav_section": "approvals"})


def _editor(request: HttpRequest, form: NoticeForm, notice: Notice | None = None) -> HttpResponse:
    templates = list(selectors.templates_usable(user=request.user)[:200])
    return render(request, "notices/notice_form.html", {
        "form": form, "notice": notice, "templates": templates, "placeholders": PLACEHOLDERS,
        "chosen_template": request.GET.get("template", ""),
    })


def _save_and_maybe_submit(request: HttpRequest, form: NoticeForm, notice: Notice | None) -> Notice | None:
    """Save the draft, and submit it too when that button was pressed: both or neither."""
    actor = actor_of(request)
    try:
        with transaction.atomic():
            if notice is None:
                notice = services.notice_draft(actor=actor, **form.service_kwargs())
            else:
                services.notice_update(actor=actor, notice=notice, **form.service_kwargs())
            if request.POST.get("action") == "submit":
                services.notice_submit(actor=actor, notice=notice)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    return notice


@login_required
@staff_required
def notice_create(request: HttpRequest) -> HttpResponse:
    template = None
    if request.method == "GET" and request.GET.get("template", "").isdigit():
        template = selectors.templates_usable(user=request.user).filter(pk=int(request.GET["template"])).first()
    form = NoticeForm(request.POST or None, user=request.user, initial=NoticeForm.initial_from(template=template))
    if request.method == "POST" and form.is_valid():
        notice = _save_and_maybe_submit(request, form, None)
        if notice is not None:
            messages.success(request, _("已提交审批。") if notice.status == Status.SUBMITTED else _("草稿已保存。"))
            return redirect("notices:notice_detail", pk=notice.pk)
    return _editor(request, form)


@login_required
@staff_required
def notice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _fetch(request, pk)
    if "edit" not in selectors.notice_steps(user=request.user, notice=notice):
        messages.error(request, _("只有拟稿人可以修改草稿状态的通知。"))
        return redirect("notices:notice_detail", pk=notice.pk)
    form = NoticeForm(request.POST or None, user=request.user, initial=NoticeForm.initial_from(notice=notice))
    if request.method == "POST" and form.is_valid():
        if _save_and_maybe_submit(request, form, notice) is not None:
            messages.success(request, _("已提交审批。") if notice.status == Status.SUBMITTED else _("草稿已保存。"))
            return redirect("notices:notice_detail", pk=notice.pk)
    return _editor(request, form, notice)


def _building_filter(request: HttpRequest) -> int | None:
    value = request.GET.get("building", "")
    return int(value) if value.isdigit() else None


def _unread_context(request: HttpRequest, notice: Notice) -> dict:
    building = _building_filter(request)
    rows = selectors.unread_households(notice=notice, building_id=building)
    page = registry_selectors.paginate(rows, registry_selectors.page_number(request.GET.get("page")), UNREAD_PAGE)
    selectors.attach_household_labels(page.rows)
    return {"unread_page": page, "unread_rows": page.rows, "building": building}


def _detail_context(request: HttpRequest, notice: Notice, reason_form: ReasonForm | None = None) -> dict:
    areas, groups = selectors.notice_audience_labels(notice)
    steps = selectors.notice_steps(user=request.user, notice=notice)
    shown = notice.published_at is not None
    return {
        "notice": notice, "audience_areas": areas, "care_groups": groups,
        "steps": [(step, STEPS[step][0]) for step in steps if step in STEPS], "can_edit": "edit" in steps,
        "counts": selectors.read_counts(notice=notice) if shown else None,
        "reason_form": reason_form or ReasonForm(),
        **(_unread_context(request, notice) if shown else {}),
    }


@login_required
@staff_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _fetch(request, pk)
    if is_htmx(request) and request.GET.get("part") == "unread":
        return render(request, "notices/notice_detail_fragment_unread.html",
                      {"notice": notice, **_unread_context(request, notice)})
    return render(request, "notices/notice_detail.html", _detail_context(request, notice))


def _run_step(step: str, request: HttpRequest, notice: Notice, reason: str) -> None:
    actor = actor_of(request)
    if step == "submit":
        services.notice_submit(actor=actor, notice=notice)
    elif step == "approve":
        services.notice_approve(actor=actor, notice=notice)
    elif step == "approve_publish":
        with transaction.atomic():
            services.notice_approve(actor=actor, notice=notice)
            services.notice_publish(actor=actor, notice=notice)
    elif step == "reject":
        services.notice_reject(actor=actor, notice=notice, reason=reason)
    elif step == "publish":
        services.notice_publish(actor=actor, notice=notice)
    elif step == "withdraw":
        services.notice_withdraw(actor=actor, notice=notice, reason=reason)


@login_required
@staff_required
@require_POST
def notice_act(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Run one workflow step; refusals the page could not prevent come back as messages."""
    notice = _fetch(request, pk)
    if step not in STEPS:
        raise Http404
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        _run_step(step, request, notice, reason)
    except ValidationError as exc:
        add_service_errors(form, exc)
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
    else:
        done = STEPS[step][1]
        if step == "approve" and notice.publish_at is None:
            done = _("已批准。请点击“立即发布”发布该通知。")
        messages.success(request, str(done))
    return redirect("notices:notice_detail", pk=notice.pk)


@login_required
def staff_board(request: HttpRequest) -> HttpResponse:
    """Notices sent to staff (staff channel) of the user's areas."""
    rows = list(selectors.staff_board(user=request.user)[:100])
    return render(request, "notices/staff_board.html", {"rows": rows, "nav_section": "board",
                                                        "can_manage": selectors.can_manage(request.user)})
