"""A person's access: credentials (issue, revoke) and face consent (record, see
where used, withdraw, view the enrolment photo: audited)."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shequ.access import selectors, services
from shequ.access.forms import ConsentForm, CredentialIssueForm, RevealForm, RevokeForm
from shequ.access.models import Device
from shequ.access.views.common import actor_of, fetch_or_404, require_change, submit
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.registry.selectors import attach_addresses, person_search

SEARCH_LIMIT = 50


@login_required
def person_find(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    people = []
    if query:
        _kind, found = person_search(user=request.user, query=query)
        people = attach_addresses(list(found[:SEARCH_LIMIT]))
    return render(request, "access/person_find.html", {"query": query, "people": people})


def _consent_devices(request: HttpRequest, person):
    """Doors the consent form offers: visible, face-capable ones in the person's community or below."""
    return (Device.objects.visible_to(request.user).filter(is_active=True, faces_enabled=True,
                                                          credential_kinds__contains="face")
            .order_by("area__path", "name"))


def _person_page(request: HttpRequest, person, *, issue_form=None, consent_form=None, shown=None,
                 status: int = 200) -> HttpResponse:
    can_change = user_can(request.user, Capability.CHANGE, person.area)
    attach_addresses([person])
    return render(request, "access/person_access.html", {
        "person": person,
        "credentials": selectors.person_credentials(person=person),
        "consents": selectors.person_consents(person=person),
        "can_change": can_change,
        "can_reveal": user_can(request.user, Capability.REVEAL, person.area),
        "issue_form": issue_form or CredentialIssueForm(),
        "consent_form": consent_form or ConsentForm(user=request.user, devices=_consent_devices(request, person)),
        "revoke_form": RevokeForm(),
        "reveal_form": RevealForm(),
        "shown": shown,
    }, status=status)


@login_required
def person_access(request: HttpRequest, pk: int) -> HttpResponse:
    person = fetch_or_404(selectors.person_get, request, pk)
    return _person_page(request, person)


@never_cache
@require_POST
@login_required
def credential_issue(request: HttpRequest, pk: int) -> HttpResponse:
    person = fetch_or_404(selectors.person_get, request, pk)
    require_change(request, person.area)
    form = CredentialIssueForm(request.POST)

    def save(data: dict):
        return services.credential_issue(actor=actor_of(request), person=person, kind=data["kind"],
                                         value=data["value"], valid_until=data["valid_until"])

    issued = submit(request, form, save, success=_("已办理通行凭证。"))
    if issued is None:
        return _person_page(request, person, issue_form=form, status=422)
    # a generated PIN or QR token is shown in this response only
    return _person_page(request, person, shown=issued if issued.shown_value else None)


@require_POST
@login_required
def credential_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    credential = fetch_or_404(selectors.credential_get, request, pk)
    require_change(request, credential.person.area)
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.credential_revoke(actor=actor_of(request), credential=credential, reason=reason)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已撤销：%(credential)s。") % {"credential": credential})
    return redirect("access:person_access", pk=credential.person_id)


@require_POST
@login_required
def consent_record(request: HttpRequest, pk: int) -> HttpResponse:
    person = fetch_or_404(selectors.person_get, request, pk)
    require_change(request, person.area)
    form = ConsentForm(request.POST, user=request.user, devices=_consent_devices(request, person))

    def save(data: dict):
        return services.face_consent_record(actor=actor_of(request), person=person, method=data["method"],
                                            devices=list(data["devices"]), consented_at=data["consented_at"])

    if submit(request, form, save, success=_("已记录人脸识别同意。")) is None:
        return _person_page(request, person, consent_form=form, status=422)
    return redirect("access:person_access", pk=person.pk)


@require_POST
@login_required
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    consent = fetch_or_404(selectors.consent_get, request, pk)
    require_change(request, consent.person.area)
    services.face_consent_withdraw(actor=actor_of(request), consent=consent)
    messages.success(request, _("已撤回同意：人脸模板已删除，各门禁设备将在同步后确认删除。"))
    return redirect("access:person_access", pk=consent.person_id)


@never_cache
@require_POST
@login_required
def face_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an enrolment photo: a POST with a reason, so every view is a deliberate, audited act."""
    template = fetch_or_404(selectors.template_get, request, pk)
    person = template.consent.person
    form = RevealForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写查看原因。"))
        return redirect("access:person_access", pk=person.pk)
    photo = services.face_photo_reveal(actor=actor_of(request), template=template, reason=form.cleaned_data["reason"])
    return render(request, "access/face_photo.html", {
        "person": person, "template": template,
        "photo_src": "data:image/jpeg;base64," + base64.b64encode(photo).decode() if photo else "",
    })
