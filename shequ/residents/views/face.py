"""My face recognition: what it is for, consent with a photo, where it is used, withdrawal."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shequ.access.models import FaceConsent
from shequ.registry.forms import add_service_errors
from shequ.residents import selectors, services
from shequ.residents.forms import FaceEnrolForm, PhotoForm
from shequ.residents.views.common import actor_of, resident_required


def _consent_or_404(request: HttpRequest, pk: int) -> FaceConsent:
    consent = selectors.my_face_consents(user=request.user).filter(pk=pk).first()
    if consent is None:
        raise Http404
    return consent


def _page(request: HttpRequest, *, enrol_form=None, photo_form=None, status: int = 200) -> HttpResponse:
    person = selectors.my_person(user=request.user)
    overview = selectors.face_overview(user=request.user)
    doors = services.face_doors(person)
    blocked = services.face_doors_without_other_way(person, doors)
    return render(request, "residents/face.html", {
        "nav_section": "me", "person": person, "overview": overview, "doors": doors, "blocked": blocked,
        "enrol_form": enrol_form or FaceEnrolForm(doors=doors, blocked=blocked),
        "photo_form": photo_form or PhotoForm(),
    }, status=status)


@resident_required
@require_http_methods(["GET", "POST"])
def face(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    person = selectors.my_person(user=request.user)
    doors = services.face_doors(person)
    form = FaceEnrolForm(request.POST, request.FILES, doors=doors,
                         blocked=services.face_doors_without_other_way(person, doors))
    if form.is_valid():
        try:
            services.resident_face_enrol(actor=actor_of(request), person=person,
                                         devices=form.cleaned_data["devices"], photo=form.cleaned_data["photo"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("人脸识别已开通，所选门禁将在下次同步后可刷脸通行。"))
            return redirect("residents:face")
    return _page(request, enrol_form=form, status=400)


@resident_required
@require_POST
def face_photo(request: HttpRequest, pk: int) -> HttpResponse:
    consent = _consent_or_404(request, pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.resident_face_add_photo(actor=actor_of(request), consent=consent, photo=form.cleaned_data["photo"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("照片已采集，所选门禁将在下次同步后可刷脸通行。"))
            return redirect("residents:face")
    return _page(request, photo_form=form, status=400)


@resident_required
@require_POST
def face_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    consent = _consent_or_404(request, pk)
    services.resident_face_withdraw(actor=actor_of(request), consent=consent)
    messages.success(request, _("已撤回同意，您的人脸信息已从平台删除；各门禁删除后会在此页确认。"))
    return redirect("residents:face")
