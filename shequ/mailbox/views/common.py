"""Helpers the mailbox views share."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from shequ.cases.services.photos import CONTENT_TYPES
from shequ.mailbox import selectors
from shequ.mailbox.models import LetterImage
from shequ.registry.forms import add_service_errors
from shequ.registry.views.common import actor_of, error_messages, fetch_or_404, is_htmx

__all__ = ["actor_of", "error_messages", "fetch_or_404", "image", "is_htmx", "resident_base", "submit", "outcome"]

RESIDENT_BASE = "residents/base.html"


def resident_base() -> str:
    """The resident pages' base template once the residents app has one; the staff base until then."""
    try:
        get_template(RESIDENT_BASE)
    except TemplateDoesNotExist:
        return "base.html"
    return RESIDENT_BASE


def submit(form, call, field_map: dict | None = None) -> bool:
    """Validate ``form`` and run ``call(cleaned_data)``; errors land on the form. True on success."""
    if not form.is_valid():
        return False
    try:
        call(form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc, field_map)
        return False
    return True


def outcome(request: HttpRequest, form, ok: bool, *, success: str, to: str, pk: int) -> HttpResponse:
    """Without htmx: flash the step's outcome and go back to the letter page ``to``."""
    if ok:
        messages.success(request, success)
    else:
        messages.error(request, " ".join(error_messages(form)))
    return redirect(to, pk=pk)


@login_required
def image(request: HttpRequest, pk: int) -> FileResponse:
    """A letter image, only for its writer and the police of its area (never a public /media/ URL)."""
    try:
        found = selectors.image_get(user=request.user, pk=pk)
        handle = found.image.open("rb")
    except (LetterImage.DoesNotExist, FileNotFoundError) as exc:
        raise Http404 from exc
    extension = found.image.name.rsplit(".", 1)[-1].lower()
    response = FileResponse(handle, content_type=CONTENT_TYPES.get(extension, "application/octet-stream"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response
