"""Resident pages (mobile first): my visitor passes, a new pass, its QR code and
share text, revoking it; and the share link a visitor opens without logging in."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.access.models import Device
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.registry import selectors as registry_selectors
from shequ.registry.forms import add_service_errors
from shequ.registry.views.common import actor_of, fetch_or_404
from shequ.visitors import selectors, services
from shequ.visitors.forms import PassForm
from shequ.visitors.models import PassStatus, VisitorPass
from shequ.visitors.share import qr_svg, share_path, share_text

NAV = {"nav_section": "visitors"}


def resident_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in and allowed to authorise visitors somewhere (403 otherwise)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not user_can(request.user, Capability.VISITORS_ISSUE):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _showable(visitor_pass: VisitorPass) -> bool:
    """Is the QR code worth showing: issued and not yet ended."""
    return visitor_pass.status == PassStatus.ISSUED and visitor_pass.valid_until > timezone.now()


@resident_page
def my_passes(request: HttpRequest) -> HttpResponse:
    passes = selectors.my_passes(user=request.user)
    page = registry_selectors.paginate(passes, registry_selectors.page_number(request.GET.get("page")))
    return render(request, "visitors/my_passes.html", {"page": page, "rows": page.rows, **NAV})


@resident_page
def my_pass_new(request: HttpRequest) -> HttpResponse:
    houses = selectors.my_households(user=request.user)
    if not houses:
        raise PermissionDenied
    door_pks = {pk for house in houses for pk in selectors.household_doors(house=house).values_list("pk", flat=True)}
    doors = Device.objects.filter(pk__in=door_pks).order_by("kind", "name", "pk")
    form = PassForm(request.POST or None, houses=houses, doors=doors)
    if request.method == "POST" and form.is_valid():
        try:
            visitor_pass = services.pass_issue(actor=actor_of(request), **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("通行证已生成，请把二维码或链接发给访客。"))
            return redirect("visitors:my_pass_detail", pk=visitor_pass.pk)
    return render(request, "visitors/my_pass_form.html", {"form": form, "has_doors": bool(door_pks), **NAV})


def _share_context(request: HttpRequest, visitor_pass: VisitorPass) -> dict:
    url = request.build_absolute_uri(share_path(visitor_pass))
    host = registry_selectors.address_labels([visitor_pass.area]).get(visitor_pass.area_id, "")
    showable = _showable(visitor_pass)
    return {
        "pass": visitor_pass, "showable": showable, "qr": qr_svg(visitor_pass.token) if showable else "",
        "share_url": url, "share_text": share_text(visitor_pass, url=url, host_label=host), "host_label": host,
        "door_names": [door.name for door in visitor_pass.doors.all()],
    }


@resident_page
def my_pass_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visitor_pass = fetch_or_404(selectors.my_pass_get, request, pk)
    context = _share_context(request, visitor_pass)
    context["can_revoke"] = context["showable"]
    return render(request, "visitors/my_pass_detail.html", {**context, **NAV})


@resident_page
@require_POST
def my_pass_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    visitor_pass = fetch_or_404(selectors.my_pass_get, request, pk)
    try:
        services.pass_revoke(actor=actor_of(request), visitor_pass=visitor_pass)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("通行证已撤销，各门禁将在下次同步时拒绝它。"))
    return redirect("visitors:my_pass_detail", pk=visitor_pass.pk)


def pass_share(request: HttpRequest, key: str) -> HttpResponse:
    """The visitor's page: the QR code to show at the door. No login; the key in the
    link is the secret (32 random characters), and nothing personal but the
    visitor's own name and the doors is shown."""
    try:
        visitor_pass = selectors.pass_by_share_key(key=key)
    except VisitorPass.DoesNotExist as exc:
        raise Http404 from exc
    showable = _showable(visitor_pass)
    response = render(request, "visitors/pass_share.html", {
        "pass": visitor_pass, "showable": showable, "qr": qr_svg(visitor_pass.token) if showable else "",
        "door_names": [door.name for door in visitor_pass.doors.all()],
    })
    # the link is the credential: keep it out of caches and out of Referer headers
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
