"""The hotline import page: upload, check and preview, confirm; the template to download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.cases.hotline import HotlineImporter, HotlineReport, hotline_import
from shequ.cases.hotline.duplicates import SIMILARITY, WINDOW
from shequ.cases.hotline.forms import HotlineUploadForm
from shequ.exchange.forms import ConfirmForm
from shequ.exchange.importers.uploads import UploadExpired, upload_get, upload_save
from shequ.exchange.importers.workbook import template_workbook
from shequ.exchange.downloads import XLSX, attachment

KIND = HotlineImporter.kind


def _require(request: HttpRequest) -> None:
    """Importing hotline tickets is casework: the cases.handle capability, somewhere."""
    if not user_can(request.user, Capability.CASES_HANDLE):
        raise PermissionDenied


@login_required
def hotline_import_page(request: HttpRequest) -> HttpResponse:
    """Upload an export; by default a dry run that checks every row and previews the result."""
    _require(request)
    form = HotlineUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        dry_run = form.cleaned_data["dry_run"]
        upload = upload_save(form.cleaned_data["file"], kind=KIND, user_id=request.user.pk)
        report = hotline_import(actor=Actor.from_request(request, via="web"), path=upload.path,
                                filename=upload.filename, dry_run=dry_run)
        keep = report.ok and dry_run  # kept only to be confirmed
        if not keep:
            upload.discard()
        return _report_page(request, report, token=upload.token() if keep else "")
    return render(request, "cases/hotline_import.html", {
        "form": form, "columns": HotlineImporter.columns, "window_days": WINDOW.days,
        "similarity": round(SIMILARITY * 100),
    })


@login_required
@require_POST
def hotline_confirm(request: HttpRequest) -> HttpResponse:
    """Import the file a dry run accepted; every row is checked again first."""
    _require(request)
    form = ConfirmForm(request.POST)
    try:
        if not form.is_valid():
            raise UploadExpired
        upload = upload_get(form.cleaned_data["token"], user_id=request.user.pk)
        if upload.kind != KIND:
            raise UploadExpired
    except UploadExpired:
        messages.error(request, _("待确认的文件已过期或不存在，请重新上传。"))
        return redirect("cases:hotline_import")
    report = hotline_import(actor=Actor.from_request(request, via="web"), path=upload.path, filename=upload.filename)
    upload.discard()
    return _report_page(request, report, token="")


def _report_page(request: HttpRequest, report: HotlineReport, *, token: str) -> HttpResponse:
    return render(request, "cases/hotline_report.html", {
        "report": report, "token": token, "confirm_form": ConfirmForm(initial={"token": token}),
    }, status=200 if report.ok else 422)


@login_required
def hotline_template(request: HttpRequest) -> HttpResponse:
    """The .xlsx template: the columns, an example row, dropdowns and notes."""
    _require(request)
    response = HttpResponse(template_workbook(HotlineImporter), content_type=XLSX)
    response["Content-Disposition"] = attachment(_("12345热线工单导入模板.xlsx"), "hotline-template.xlsx")
    return response
