"""Credentials: issue and revoke cards, PINs, resident QR codes and plates.

Cards, PINs and QR tokens are kept only as digests under the access credential
key (the value devices compare); PINs and QR tokens are generated here and shown
once, so no one picks a PIN that collides with a neighbour's. Face credentials
are made by face enrolment (``faces.py``), never here.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.access import protocol
from shequ.access.models import Credential, CredentialKind, Device, FaceConsent
from shequ.access.services.common import audit, field_error, require_change
from shequ.access.services.compile import NON_FACE_KINDS, access_recompile
from shequ.access.services.sync import access_credential_key
from shequ.accounts.audit import Actor
from shequ.core import pii
from shequ.registry.models import Person
from shequ.registry.validators import validate_plate

#: 8 digits: with one namespace for everyone, a guessed 6-digit PIN would too often be someone's
PIN_DIGITS = 8
_GENERATE_ATTEMPTS = 8


@dataclass(frozen=True)
class IssuedCredential:
    credential: Credential
    #: a generated PIN or QR token in clear, to show once; "" for cards and plates
    shown_value: str = ""


def _digest(kind: str, value: str) -> str:
    try:
        return protocol.credential_digest(access_credential_key(), kind, value)
    except ValueError as exc:
        messages = {
            CredentialKind.CARD: _("卡号应为4至32位十六进制数字。"),
            CredentialKind.PIN: _("密码应为6至12位数字。"),
            CredentialKind.QR: _("二维码内容无效。"),
        }
        raise field_error("value", messages.get(kind, str(exc)), "credential_value") from exc


def _generated(kind: str) -> str:
    if kind == CredentialKind.PIN:
        return "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
    return secrets.token_urlsafe(24)


def _prepare(kind: str, value: str) -> tuple[str, str, str]:
    """(digest, label, value shown once) for a presented or generated value."""
    if kind == CredentialKind.CARD:
        if not value:
            raise field_error("value", _("请填写卡号。"), "required")
        digest = _digest(kind, value)
        number = protocol.credential_normalise(kind, value)
        return digest, "****" + number[-4:], ""
    if kind == CredentialKind.PLATE:
        try:
            plate = validate_plate(value or "")
        except ValidationError as exc:
            raise ValidationError({"value": exc.error_list}) from exc
        # plates travel as text; the digest only lets the database refuse a plate twice
        return pii.digest("access-plate", plate), plate, ""
    if kind in (CredentialKind.PIN, CredentialKind.QR):
        generated = _generated(kind)
        label = "" if kind == CredentialKind.PIN else "…" + generated[-4:]
        return _digest(kind, generated), label, generated
    if kind == CredentialKind.FACE:
        raise field_error("kind", _("人脸凭证须通过人脸采集登记。"), "face_via_enrolment")
    raise field_error("kind", _("未知的凭证类型。"), "credential_kind_unknown")


@transaction.atomic
def credential_issue(
    *, actor: Actor, person: Person, kind: str, value: str = "", valid_from: datetime | None = None,
    valid_until: datetime | None = None, now: datetime | None = None,
) -> IssuedCredential:
    """Issue a card (``value`` = number read from it), a generated PIN or QR token,
    or a plate (``value`` = plate text) to ``person``, and recompile their doors."""
    require_change(actor, person.area)
    now = now or timezone.now()
    valid_from = valid_from or now
    if valid_until is not None and valid_until <= valid_from:
        raise field_error("valid_until", _("失效时间必须晚于生效时间。"), "valid_until_before_from")
    for _attempt in range(_GENERATE_ATTEMPTS):
        digest, label, shown = _prepare(kind, value)
        credential = Credential(person=person, kind=kind, value_digest=digest, label=label,
                                valid_from=valid_from, valid_until=valid_until)
        try:
            with transaction.atomic():
                credential.save()
            break
        except IntegrityError:
            if not shown:  # a card or plate someone else holds: say so; a generated one: draw again
                message = _("该车牌已登记为他人的通行凭证。") if kind == CredentialKind.PLATE \
                    else _("该卡已登记为他人的通行凭证，请先撤销原卡。")
                raise field_error("value", message, "credential_duplicate") from None
    else:
        raise RuntimeError("could not generate a unique credential value")
    audit(actor, "access.credential_issued", obj=credential, area=person.area, detail={
        "person": person.pk, "kind": kind, "label": label, "valid_from": valid_from, "valid_until": valid_until})
    access_recompile(person_ids=[person.pk], now=now)
    return IssuedCredential(credential=credential, shown_value=shown)


def _live_non_face_kinds(person: Person, now: datetime, excluding: int | None = None) -> set[str]:
    queryset = Credential.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=now), person=person, kind__in=NON_FACE_KINDS,
        revoked_at__isnull=True)
    if excluding is not None:
        queryset = queryset.exclude(pk=excluding)
    return set(queryset.values_list("kind", flat=True))


def non_face_gaps(person: Person, devices: Iterable[Device], *, now: datetime,
                  excluding: int | None = None) -> list[Device]:
    """Devices among ``devices`` where ``person`` has no live non-face credential
    the device accepts: the doors where face would be their only way in."""
    kinds = _live_non_face_kinds(person, now, excluding)
    return [device for device in devices if not kinds & set(device.accepted_kinds)]


def face_devices(person: Person) -> list[Device]:
    """Devices for which ``person`` has a live face template."""
    return list(Device.objects.filter(
        face_consents__person=person, face_consents__withdrawn_at__isnull=True,
        face_consents__templates__deleted_at__isnull=True,
        face_consents__templates__credential__revoked_at__isnull=True).distinct())


def refuse_face_only(person: Person, devices: Iterable[Device], *, now: datetime, excluding: int | None = None,
                     field: str = "devices") -> None:
    gaps = non_face_gaps(person, devices, now=now, excluding=excluding)
    if gaps:
        raise field_error(field, _("每个门都必须保留非人脸的通行方式：%(person)s 在 %(doors)s 没有可用的卡、密码、二维码或车牌。")
                          % {"person": person.name, "doors": "、".join(d.name for d in gaps)}, "non_face_required")


@transaction.atomic
def credential_revoke(*, actor: Actor, credential: Credential, reason: str = "",
                      now: datetime | None = None) -> Credential:
    """Revoke a credential; devices drop it at their next sync. Refused when it is
    the person's last non-face way through a door they open by face: issue the
    replacement first (or withdraw the face consent)."""
    person = credential.person
    require_change(actor, person.area)
    now = now or timezone.now()
    if credential.revoked_at is not None:
        return credential
    if credential.kind != CredentialKind.FACE:
        refuse_face_only(person, face_devices(person), now=now, excluding=credential.pk, field="credential")
    credential.revoked_at = now
    credential.save(update_fields=["revoked_at"])
    audit(actor, "access.credential_revoked", obj=credential, area=person.area,
          detail={"person": person.pk, "kind": credential.kind, "label": credential.label, "reason": reason[:200]})
    access_recompile(person_ids=[person.pk], now=now)
    return credential


def person_consents(person: Person) -> list[FaceConsent]:
    return list(person.face_consents.prefetch_related("devices").order_by("-consented_at"))
