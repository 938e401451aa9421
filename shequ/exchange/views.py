"""Import and export pages: upload, check, preview, confirm; templates; exports."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.exchange.downloads import XLSX, attachment
from shequ.exchange.exporters import EXPORTS, export_create
from shequ.exchange.forms import ConfirmForm, ImportForm
from shequ.exchange.importers import IMPORTERS, ImportReport, import_file
from shequ.exchange.importers.uploads import UploadExpired, upload_get, upload_save
from shequ.exchange.importers.workbook import template_workbook


def _require(request: HttpRequest, capability: str) -> None:
    if not user_can(request.user, capability):
        raise PermissionDenied


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, via="web")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Choose a kind, download its template, upload a file (dry run by default)."""
    _require(request, Capability.IMPORT)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kind, dry_run = form.cleaned_data["kind"], form.cleaned_data["dry_run"]
        upload = upload_save(form.cleaned_data["file"], kind=kind, user_id=request.user.pk)
        report = import_file(actor=_actor(request), kind=kind, path=upload.path, filename=upload.filename,
                             dry_run=dry_run)
        keep = report.ok and dry_run  # kept only to be confirmed
        if not keep:
            upload.discard()
        return _report_page(request, report, token=upload.token() if keep else "")
    return render(request, "exchange/index.html", {
        "form": form,
        "kinds": [(key, importer.label) for key, importer in IMPORTERS.items()],
        "exports": [(key, export.label, export.personal) for key, export in EXPORTS.items()],
        "can_export": user_can(request.user, Capability.EXPORT),
        "can_reveal": user_can(request.user, Capability.REVEAL),
    })


@login_required
@require_POST
def confirm(request: HttpRequest) -> HttpResponse:
    """Import the file a dry run accepted; it is checked again in full first."""
    _require(request, Capability.IMPORT)
    form = ConfirmForm(request.POST)
    try:
        if not form.is_valid():
            raise UploadExpired
        upload = upload_get(form.cleaned_data["token"], user_id=request.user.pk)
    except UploadExpired:
        messages.error(request, _("待确认的文件已过期或不存在，请重新上传。"))
        return redirect("exchange:index")
    report = import_file(actor=_actor(request), kind=upload.kind, path=upload.path, filename=upload.filename)
    upload.discard()
    return _report_page(request, report, token="")


def _report_page(request: HttpRequest, report: ImportReport, *, token: str) -> HttpResponse:
    return render(request, "exchange/report.html", {
        "report": report, "kind_label": IMPORTERS[report.kind].label, "token": token,
        "confirm_form": ConfirmForm(initial={"token": token}),
    }, status=200 if report.ok else 422)


@login_required
def template(request: HttpRequest, kind: str) -> HttpResponse:
    """The .xlsx template of one import kind."""
    _require(request, Capability.IMPORT)
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise Http404
    response = HttpResponse(template_workbook(importer), content_type=XLSX)
    response["Content-Disposition"] = attachment(f"{importer.label}导入模板.xlsx", f"{kind}-template.xlsx")
    return response


@login_required
def export(request: HttpRequest, kind: str) -> HttpResponse:
    """Download the rows of a list as .xlsx; the query string carries the list's
    filters, and ``clear=1`` asks for clear personal numbers."""
    if kind not in EXPORTS:
        raise Http404
    result = export_create(actor=_actor(request), kind=kind, params=request.GET,
                           clear=request.GET.get("clear") == "1")
    label = EXPORTS[kind].label
    stamp = date.today().strftime("%Y%m%d")
    response = FileResponse(result.file, content_type=XLSX)
    response["Content-Disposition"] = attachment(f"{label}-{stamp}.xlsx", f"{kind}-{stamp}.xlsx")
    response["Cache-Control"] = "no-store"
    return response
