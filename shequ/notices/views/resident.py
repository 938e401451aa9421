"""Resident pages (mobile first): my notices, and one notice, which records that I read it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shequ.notices import selectors, services
from shequ.notices.views.common import actor_of, fetch_or_404
from shequ.registry import selectors as registry_selectors


@login_required
def my_notices(request: HttpRequest) -> HttpResponse:
    notices = selectors.my_notices(user=request.user)
    page = registry_selectors.paginate(notices, registry_selectors.page_number(request.GET.get("page")))
    return render(request, "notices/my_notices.html", {"page": page, "rows": page.rows, "nav_section": "notices"})


@login_required
def my_notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening the page is reading the notice: the receipt is written here, once
    (``notice_read`` is idempotent, so reloads and double taps count once)."""
    notice = fetch_or_404(selectors.my_notice_get, request, pk)
    services.notice_read(actor=actor_of(request), notice=notice)
    return render(request, "notices/my_notice_detail.html", {"notice": notice, "nav_section": "notices"})
