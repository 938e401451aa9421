"""Resident pages (mobile first): my letters, write a letter, a letter's thread
with the follow-up box and the rating form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.mailbox import selectors, services
from shequ.mailbox.forms import CloseForm, LetterWriteForm, MessageForm, RateForm
from shequ.mailbox.models import Letter
from shequ.mailbox.views.common import actor_of, fetch_or_404, is_htmx, outcome, resident_base, submit
from shequ.registry import selectors as registry_selectors
from shequ.registry.forms import add_service_errors

MAIN = "mailbox/my_letter_fragment_main.html"
STEPS = {"message": MessageForm, "rate": RateForm, "close": CloseForm}
DONE = {"message": gettext_lazy("留言已发送。"), "rate": gettext_lazy("谢谢您的评价。"),
        "close": gettext_lazy("来信已关闭。")}


def _fetch(request: HttpRequest, pk: int) -> Letter:
    """Only the letters the resident wrote exist here."""
    return fetch_or_404(selectors.my_letter_get, request, pk)


@login_required
def my_letters(request: HttpRequest) -> HttpResponse:
    letters = selectors.my_letters(user=request.user)
    page = registry_selectors.paginate(letters, registry_selectors.page_number(request.GET.get("page")))
    return render(request, "mailbox/my_letters.html", {
        "base": resident_base(), "nav_section": "mailbox", "page": page,
        "rows": selectors.letter_views(page.rows, as_writer=True),
        "can_write": user_can(request.user, Capability.MAILBOX_WRITE),
    })


@login_required
def letter_write(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, Capability.MAILBOX_WRITE):
        raise PermissionDenied
    form = LetterWriteForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            letter = services.letter_write(actor=actor_of(request), **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("来信已送达社区民警，我们会在 %(due)s 前答复您。") % {
                "due": timezone.localtime(letter.reply_due_at).strftime("%Y-%m-%d %H:%M")})
            return redirect("mailbox:my_letter", pk=letter.pk)
    return render(request, "mailbox/write.html", {"base": resident_base(), "nav_section": "mailbox", "form": form})


def _context(request: HttpRequest, letter: Letter, *, failed_step: str = "", failed_form=None,
             done: str = "") -> dict:
    view = selectors.letter_view(letter, as_writer=True)
    forms = {}
    if not view.is_closed:
        forms["message"] = MessageForm()
        forms["close"] = CloseForm()
    if view.can_rate:
        forms["rate"] = RateForm()
    if failed_step:
        forms[failed_step] = failed_form
    return {
        "base": resident_base(), "nav_section": "mailbox", "letter": view,
        "messages_": selectors.thread(letter=letter, as_writer=True),
        "images": selectors.letter_images(letter=letter), "forms": forms, "failed_step": failed_step,
        "done": done,
    }


@login_required
def my_letter(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _fetch(request, pk)
    return render(request, "mailbox/my_letter.html", _context(request, letter))


@login_required
@require_POST
def my_letter_act(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Add a message, rate the answer, or close the letter."""
    letter = _fetch(request, pk)
    if step not in STEPS:
        raise Http404
    form = STEPS[step](request.POST)
    actor = actor_of(request)

    def call(data: dict) -> None:
        if step == "message":
            services.letter_follow_up(actor=actor, letter=letter, body=data["body"])
        elif step == "rate":
            services.letter_rate(actor=actor, letter=letter, rating=data["rating"], comment=data["comment"])
        else:
            services.letter_close(actor=actor, letter=letter, note=data["note"])

    ok = submit(form, call)
    if not is_htmx(request):
        return outcome(request, form, ok, success=str(DONE[step]), to="mailbox:my_letter", pk=letter.pk)
    letter = _fetch(request, pk)
    return render(request, MAIN, _context(request, letter, failed_step="" if ok else step,
                                          failed_form=None if ok else form, done=str(DONE[step]) if ok else ""))
