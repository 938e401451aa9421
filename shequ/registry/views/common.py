"""Helpers shared by the registry views: the actor, scoped fetches, list pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.registry import selectors, services
from shequ.registry.forms import FilterForm, add_service_errors
from shequ.registry.models import Area


def actor_of(request: HttpRequest) -> Actor:
    return Actor.from_request(request, via="web")


def fetch_or_404(selector: Callable[..., Any], request: HttpRequest, pk: int) -> Any:
    """One scoped fetch: rows outside the user's areas do not exist for them."""
    try:
        return selector(user=request.user, pk=pk)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def require_change(request: HttpRequest, area: Area) -> None:
    """Refuse to even show an edit form the service would refuse to save."""
    if not user_can(request.user, Capability.CHANGE, area):
        raise PermissionDenied


def change_required(view: Callable) -> Callable:
    """Create pages: only for users who may change something somewhere (403 otherwise)."""
    from functools import wraps

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not user_can(request.user, Capability.CHANGE):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def render_list(
    request: HttpRequest, *, template: str, fragment: str, form: FilterForm, queryset, context: dict | None = None,
    area_attr: str | None = "area",
) -> HttpResponse:
    """A list page: one page of rows with address labels; htmx gets the table only.

    The total comes in a second request (``?count=1``, loaded by htmx once the
    page is shown), so a slow count never holds up the rows."""
    if request.GET.get("count"):
        count, more = selectors.count_capped(queryset)
        return render(request, "registry/_list_count.html", {"count": count, "more": more})
    page = selectors.paginate(queryset, selectors.page_number(request.GET.get("page")))
    if area_attr:
        selectors.attach_addresses(page.rows, area_attr=area_attr)
    area = form.value("area", None)
    choices = selectors.area_choices(user=request.user)
    if area is not None and area.pk not in {choice.pk for choice in choices}:
        choices.append(area)
    full = {
        "form": form, "page": page, "rows": page.rows, "selected_area": area, "area_choices": choices,
        "can_add": user_can(request.user, Capability.CHANGE), **(context or {}),
    }
    return render(request, fragment if is_htmx(request) and not request.htmx.boosted else template, full)


def submit(request: HttpRequest, form, save: Callable[[dict], Any], *, field_map: dict | None = None,
           success: str = "") -> Any:
    """Validate ``form`` and hand its data to a service call. Returns what the
    service returned, or None when the form must be shown again with errors."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = save(form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc, field_map)
        return None
    if success:
        messages.success(request, success)
    return result


def confirm_delete(request: HttpRequest, obj: Any, area: Area, *, done_url: str, cancel_url: str) -> HttpResponse:
    """GET: ask; POST: ``audited_delete``. A row still referenced is kept, with the reason shown."""
    require_change(request, area)
    if request.method == "POST":
        try:
            services.audited_delete(actor_of(request), obj, area)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(cancel_url)
        messages.success(request, _("已删除：%(name)s。") % {"name": obj})
        return redirect(done_url)
    return render(request, "registry/confirm_delete.html", {"object": obj, "cancel_url": cancel_url})


def error_messages(form) -> list[str]:
    """Every message of a small inline form, for showing in one place."""
    return [message for errors in form.errors.values() for message in errors]
