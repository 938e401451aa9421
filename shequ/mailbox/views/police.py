"""Police pages: the inbox of their areas (with reminders and the overdue list),
a letter with its thread and steps, revealing an anonymous sender (police chief),
the CSV export and the figures."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shequ.accounts.audit import audit_append
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.mailbox import selectors, services
from shequ.mailbox.forms import CloseForm, ConvertForm, InboxFilterForm, ReplyForm, RevealForm, StatsForm
from shequ.mailbox.models import Letter
from shequ.mailbox.stats import mailbox_figures
from shequ.mailbox.views.common import actor_of, error_messages, fetch_or_404, is_htmx, outcome, submit
from shequ.registry import selectors as registry_selectors

MAIN = "mailbox/letter_fragment_main.html"
STEPS = {"reply": ReplyForm, "close": CloseForm, "convert": ConvertForm}
DONE = {"reply": gettext_lazy("已答复。"), "close": gettext_lazy("来信已关闭。"),
        "convert": gettext_lazy("已转为事件。")}
EXPORT_LIMIT = 10_000


def _require_handle(request: HttpRequest) -> None:
    if not user_can(request.user, Capability.MAILBOX_HANDLE):
        raise PermissionDenied


def _fetch(request: HttpRequest, pk: int) -> Letter:
    """One scoped fetch: a letter outside the user's areas does not exist for them."""
    return fetch_or_404(selectors.letter_get, request, pk)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """/mailbox/: the police inbox for the police, "my letters" for everyone else."""
    if user_can(request.user, Capability.MAILBOX_HANDLE):
        return redirect("mailbox:inbox")
    return redirect("mailbox:my_letters")


def _inbox(request: HttpRequest, *, overdue_only: bool) -> HttpResponse:
    _require_handle(request)
    form = InboxFilterForm(request.GET, user=request.user)
    filters = form.filters()
    if overdue_only:
        filters["overdue"] = True
    letters = selectors.inbox(user=request.user, **filters)
    if request.GET.get("count"):
        count, more = registry_selectors.count_capped(letters)
        return render(request, "registry/_list_count.html", {"count": count, "more": more})
    page = registry_selectors.paginate(letters, registry_selectors.page_number(request.GET.get("page")))
    context = {
        "form": form, "page": page, "rows": selectors.letter_views(page.rows, as_writer=False),
        "overdue_only": overdue_only, "reminders": selectors.pending_reminders(user=request.user),
        "export_query": request.GET.urlencode(),
    }
    fragment = is_htmx(request) and not request.htmx.boosted
    return render(request, "mailbox/inbox_fragment_table.html" if fragment else "mailbox/inbox.html", context)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return _inbox(request, overdue_only=False)


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    """Letters still unanswered past their reply deadline."""
    return _inbox(request, overdue_only=True)


EXPORT_COLUMNS = (
    (gettext_lazy("编号"), "pk"), (gettext_lazy("类型"), "kind_label"), (gettext_lazy("主题"), "subject"),
    (gettext_lazy("状态"), "status_label"), (gettext_lazy("来信人"), "sender_label"),
    (gettext_lazy("联系电话"), "sender_phone_masked"), (gettext_lazy("位置"), "area_label"),
    (gettext_lazy("来信时间"), "received_at"), (gettext_lazy("答复期限"), "reply_due_at"),
    (gettext_lazy("首次答复时间"), "first_replied_at"), (gettext_lazy("满意度"), "rating"),
    (gettext_lazy("转办事件"), "case_number"),
)


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "astimezone"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    text = str(value)
    # a cell starting with = + - @ is a formula to spreadsheet programs
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@login_required
def inbox_export(request: HttpRequest) -> HttpResponse:
    """The filtered inbox as CSV, built from the same views as the page: masked phones,
    and no sender or house for anonymous letters. Audited."""
    _require_handle(request)
    form = InboxFilterForm(request.GET, user=request.user)
    letters = list(selectors.inbox(user=request.user, **form.filters())[:EXPORT_LIMIT])
    rows = selectors.letter_views(letters, as_writer=False)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mailbox.csv"'
    response["Cache-Control"] = "no-store"
    response.write("\ufeff")  # Excel opens UTF-8 CSV right only with a BOM
    writer = csv.writer(response)
    writer.writerow([str(label) for label, _attr in EXPORT_COLUMNS])
    for row in rows:
        writer.writerow([_cell(getattr(row, attr)) for _label, attr in EXPORT_COLUMNS])
    audit_append(actor=actor_of(request), action="mailbox.exported", object_type=Letter._meta.label_lower,
                 detail={"rows": len(rows), "filters": request.GET.dict()})
    return response


def _detail_context(request: HttpRequest, letter: Letter, *, failed_step: str = "", failed_form=None,
                    done: str = "") -> dict:
    as_writer = letter.sender_user_id == request.user.pk
    view = selectors.letter_view(letter, as_writer=as_writer)
    forms = {}
    if not view.is_closed:
        forms["reply"] = ReplyForm()
        forms["close"] = CloseForm()
    if view.case_pk is None and user_can(request.user, Capability.CASES_HANDLE, letter.complex):
        forms["convert"] = ConvertForm(initial={"title": letter.subject})
    errors = []
    if failed_step:
        if failed_step in forms:
            forms[failed_step] = failed_form
        else:  # the letter moved on meanwhile: no form left to show the refusal on
            errors = error_messages(failed_form)
    return {
        "letter": view, "messages_": selectors.thread(letter=letter, as_writer=as_writer),
        "images": selectors.letter_images(letter=letter), "forms": forms, "failed_step": failed_step,
        "done": done, "errors": errors,
        "can_reveal": not as_writer and selectors.may_reveal(request.user, letter), "reveal_form": RevealForm(),
    }


@login_required
def letter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _fetch(request, pk)
    # opening an unread letter is reading it
    services.letter_mark_read(actor=actor_of(request), letter=letter)
    return render(request, "mailbox/letter.html", _detail_context(request, letter))


@login_required
@require_POST
def letter_act(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Reply, close, or turn the letter into a case (htmx: the refreshed main block)."""
    letter = _fetch(request, pk)
    if step not in STEPS:
        raise Http404
    form = STEPS[step](request.POST)
    actor = actor_of(request)
    made = {}

    def call(data: dict) -> None:
        if step == "reply":
            services.letter_reply(actor=actor, letter=letter, body=data["body"])
        elif step == "close":
            services.letter_close(actor=actor, letter=letter, note=data["note"])
        else:
            made["case"] = services.letter_convert_to_case(actor=actor, letter=letter, **form.service_kwargs())

    ok = submit(form, call, field_map={"letter": "__all__"})
    success = str(DONE[step])
    if ok and "case" in made:
        success = _("已转为事件 %(number)s。") % {"number": made["case"].number}
    if not is_htmx(request):
        return outcome(request, form, ok, success=success, to="mailbox:letter_detail", pk=letter.pk)
    letter = _fetch(request, pk)
    return render(request, MAIN, _detail_context(request, letter, failed_step="" if ok else step,
                                                 failed_form=None if ok else form, done=success if ok else ""))


@login_required
@require_POST
def letter_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Who sent an anonymous letter, shown once in a fragment that is not cached;
    ``letter_reveal_sender`` checks the role and audits. PermissionDenied is a 403."""
    letter = _fetch(request, pk)
    form = RevealForm(request.POST)
    sender = None
    if form.is_valid():
        try:
            sender = services.letter_reveal_sender(actor=actor_of(request), letter=letter,
                                                   reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
    elif not selectors.may_reveal(request.user, letter):
        raise PermissionDenied
    context = {"letter": selectors.letter_view(letter, as_writer=False), "sender": sender, "reveal_form": form,
               "can_reveal": True}
    template = "mailbox/letter_fragment_sender.html" if is_htmx(request) else "mailbox/letter_revealed.html"
    response = render(request, template, context, status=200 if sender else 422)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def stats(request: HttpRequest) -> HttpResponse:
    _require_handle(request)
    form = StatsForm(request.GET or None, user=request.user)
    report = mailbox_figures(user=request.user, **form.period())
    return render(request, "mailbox/stats.html", {"form": form, "report": report})
