"""Staff pages for notice templates: list, create, edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.notices import selectors, services
from shequ.notices.forms import TemplateForm
from shequ.notices.models import NoticeTemplate
from shequ.notices.placeholders import PLACEHOLDERS
from shequ.notices.views.common import actor_of, fetch_or_404, staff_required
from shequ.registry.forms import add_service_errors


def _require_draft(request: HttpRequest) -> None:
    if not user_can(request.user, Capability.NOTICES_DRAFT):
        raise PermissionDenied


@login_required
@staff_required
def template_list(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.templates_usable(user=request.user)[:500])
    editable = set(NoticeTemplate.objects.visible_to(request.user, Capability.NOTICES_DRAFT)
                   .filter(pk__in=[row.pk for row in rows]).values_list("pk", flat=True))
    for row in rows:
        row.editable = row.pk in editable
    return render(request, "notices/template_list.html", {"rows": rows, "nav_section": "templates",
                                                          "can_create": user_can(request.user,
                                                                                 Capability.NOTICES_DRAFT)})


def _form_page(request: HttpRequest, form: TemplateForm, template: NoticeTemplate | None) -> HttpResponse:
    return render(request, "notices/template_form.html", {"form": form, "template": template,
                                                          "placeholders": PLACEHOLDERS})


def _save(request: HttpRequest, form: TemplateForm, template: NoticeTemplate | None) -> NoticeTemplate | None:
    try:
        if template is None:
            return services.notice_template_create(actor=actor_of(request), **form.service_kwargs())
        return services.notice_template_update(actor=actor_of(request), template=template, **form.service_kwargs())
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


@login_required
def template_create(request: HttpRequest) -> HttpResponse:
    _require_draft(request)
    form = TemplateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and _save(request, form, None) is not None:
        messages.success(request, _("模板已保存。"))
        return redirect("notices:template_list")
    return _form_page(request, form, None)


@login_required
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = fetch_or_404(selectors.template_get, request, pk)
    form = TemplateForm(request.POST or None, user=request.user, initial=TemplateForm.initial_from(template))
    if request.method == "POST" and form.is_valid() and _save(request, form, template) is not None:
        messages.success(request, _("模板已保存。"))
        return redirect("notices:template_list")
    return _form_page(request, form, template)


@login_required
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = fetch_or_404(selectors.template_get, request, pk)
    if request.method == "POST":
        services.notice_template_delete(actor=actor_of(request), template=template)
        messages.success(request, _("已删除模板：%(name)s。") % {"name": template.name})
        return redirect("notices:template_list")
    return render(request, "notices/template_confirm_delete.html", {"template": template})
