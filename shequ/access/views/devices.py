"""Device pages: list, detail (online state, versions), register, rotate the secret."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shequ.access import selectors, services
from shequ.access.forms import DeviceForm
from shequ.access.models import DeviceKind, TemplatePlacement
from shequ.access.views.common import actor_of, change_required, fetch_or_404, require_change, submit
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.registry.selectors import attach_addresses, page_number, paginate


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    query, kind = request.GET.get("q", "").strip(), request.GET.get("kind", "")
    devices = selectors.device_list(user=request.user, query=query, kind=kind if kind in DeviceKind.values else "")
    page = paginate(devices, page_number(request.GET.get("page")))
    attach_addresses(page.rows)
    now = timezone.now()
    for device in page.rows:
        device.online = device.is_online(now)
    return render(request, "access/device_list.html", {
        "page": page, "rows": page.rows, "query": query, "kind": kind, "kinds": DeviceKind.choices,
        "can_add": user_can(request.user, Capability.CHANGE),
    })


@login_required
def device_detail(request: HttpRequest, pk: int) -> HttpResponse:
    device = fetch_or_404(selectors.device_get, request, pk)
    return render(request, "access/device_detail.html", _detail_context(request, device))


def _detail_context(request: HttpRequest, device) -> dict:
    attach_addresses([device])
    placements = selectors.device_placement_counts(device=device)
    return {
        "device": device,
        "online": device.is_online(timezone.now()),
        "entries": selectors.device_entry_counts(device=device),
        "placements": [(label, placements.get(state, 0)) for state, label in TemplatePlacement.State.choices],
        "events": selectors.device_events(device=device),
        "can_change": user_can(request.user, Capability.CHANGE, device.area),
    }


@never_cache
@login_required
@change_required
def device_create(request: HttpRequest) -> HttpResponse:
    form = DeviceForm(request.POST or None, user=request.user)

    def save(data: dict):
        return services.device_register(
            actor=actor_of(request), device_id=data["device_id"], name=data["name"], kind=data["kind"],
            area=data["area"], vendor=data["vendor"], credential_kinds=data["credential_kinds"],
            faces_enabled=data["faces_enabled"], heartbeat_timeout_seconds=data["heartbeat_timeout_seconds"])

    registered = submit(request, form, save)
    if registered:
        # the secret is shown in this response only: no redirect, never stored in clear
        return render(request, "access/device_secret.html", {**_detail_context(request, registered.device),
                                                             "secret": registered.secret})
    return render(request, "access/device_form.html", {"form": form})


@never_cache
@require_POST
@login_required
def device_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    device = fetch_or_404(selectors.device_get, request, pk)
    require_change(request, device.area)
    secret = services.device_secret_rotate(actor=actor_of(request), device=device)
    return render(request, "access/device_secret.html", {**_detail_context(request, device), "secret": secret})
