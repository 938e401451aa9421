"""The audit log for the auditor: filtered, paged, and a hash-chain check."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from shequ.accounts import services
from shequ.accounts.audit import Actor
from shequ.accounts.forms import AuditFilterForm
from shequ.accounts.models import AuditRecord
from shequ.accounts.roles import Capability
from shequ.accounts.views.access import staff_page, wants_fragment

PER_PAGE = 50


@require_GET
@staff_page(Capability.READ_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    records = (
        services.audit_log_read(actor=Actor.from_request(request), filters=filters)
        if filters is not None else AuditRecord.objects.none()
    )
    page = Paginator(records, PER_PAGE).get_page(request.GET.get("page"))
    template = "accounts/audit_log_fragment_table.html" if wants_fragment(request) else "accounts/audit_log.html"
    return render(request, template, {"form": form, "page": page})


@require_POST
@staff_page(Capability.READ_AUDIT)
def audit_verify(request: HttpRequest) -> HttpResponse:
    checked, problems = services.audit_chain_check(actor=Actor.from_request(request))
    template = "accounts/audit_log_fragment_verify.html" if wants_fragment(request) else "accounts/audit_verify.html"
    return render(request, template, {"checked": checked, "problems": problems})
