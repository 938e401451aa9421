"""Face recognition consent, enrolment, withdrawal and the edge's confirmation.

The consent record says who consented, when, how and for which doors. Templates
(128 float32, dlib's ResNet embedding) are stored encrypted only so they can be
sealed for the edges the consent names. Withdrawal empties the template and photo
here at once, revokes the face credential, and marks every placement
``to_delete``; each edge confirms with ``ack face_deleted`` (placement ``deleted``).
"""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.access.models import Credential, CredentialKind, Device, FaceConsent, FaceTemplate, TemplatePlacement
from shequ.access.services.common import audit, field_error, require, require_change
from shequ.access.services.compile import access_recompile
from shequ.access.services.credentials import refuse_face_only
from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.core import pii
from shequ.registry.models import Person

EMBEDDING_SIZE = 128
_PHOTO_MAX_BYTES = 512 * 1024


def embedding_bytes(embedding: bytes | Sequence[float]) -> bytes:
    """128 finite float32, little-endian, from bytes or a sequence of numbers."""
    if isinstance(embedding, (bytes, bytearray, memoryview)):
        raw = bytes(embedding)
        if len(raw) != EMBEDDING_SIZE * 4:
            raise field_error("embedding", _("人脸特征应为128个数值。"), "embedding_size")
        values = struct.unpack(f"<{EMBEDDING_SIZE}f", raw)
    else:
        values = tuple(float(v) for v in embedding)
        if len(values) != EMBEDDING_SIZE:
            raise field_error("embedding", _("人脸特征应为128个数值。"), "embedding_size")
        raw = struct.pack(f"<{EMBEDDING_SIZE}f", *values)
    if not all(math.isfinite(v) for v in values):
        raise field_error("embedding", _("人脸特征含无效数值。"), "embedding_value")
    return raw


def template_embedding(template: FaceTemplate) -> bytes:
    """The decrypted template (512 bytes); empty after withdrawal."""
    return base64.b64decode(pii.decrypt(template.template_cipher)) if template.template_cipher else b""


def _check_face_devices(actor: Actor, devices: list[Device]) -> None:
    if not devices:
        raise field_error("devices", _("请选择适用的门禁。"), "required")
    if actor.user is not None:
        visible = set(Device.objects.visible_to(actor.user).filter(pk__in=[d.pk for d in devices])
                      .values_list("pk", flat=True))
        if visible != {device.pk for device in devices}:
            raise field_error("devices", _("所选门禁不在您的管辖范围内。"), "device_scope")
    unable = [d for d in devices if not (d.faces_enabled and CredentialKind.FACE in d.accepted_kinds)]
    if unable:
        raise field_error("devices", _("这些门禁未启用人脸识别：%(doors)s") % {"doors": "、".join(d.name for d in unable)},
                          "device_no_face")


@transaction.atomic
def face_consent_record(
    *, actor: Actor, person: Person, method: str, devices: Iterable[Device], consented_at: datetime | None = None,
    now: datetime | None = None,
) -> FaceConsent:
    """Record a person's separate consent to face recognition at ``devices``.
    Refused if the person lacks a non-face credential any of those doors accepts."""
    require_change(actor, person.area)
    now = now or timezone.now()
    devices = list(devices)
    if method not in FaceConsent.Method.values:
        raise field_error("method", _("请选择同意方式。"), "invalid_choice")
    _check_face_devices(actor, devices)
    refuse_face_only(person, devices, now=now)
    consent = FaceConsent.objects.create(person=person, method=method, consented_at=consented_at or now,
                                         recorded_by=actor.user)
    consent.devices.set(devices)
    audit(actor, "access.face_consent_recorded", obj=consent, area=person.area, detail={
        "person": person.pk, "method": method, "devices": [d.device_id for d in devices]})
    return consent


@transaction.atomic
def face_template_enrol(
    *, actor: Actor, consent: FaceConsent, embedding: bytes | Sequence[float], photo: bytes | None = None,
    valid_until: datetime | None = None, now: datetime | None = None,
) -> FaceTemplate:
    """Store a template under ``consent`` (encrypted), make its face credential,
    and push it to the consented doors at their next sync."""
    person = consent.person
    require_change(actor, person.area)
    now = now or timezone.now()
    if consent.withdrawn_at is not None:
        raise field_error("consent", _("该同意已撤回，不能采集人脸。"), "consent_withdrawn")
    raw = embedding_bytes(embedding)
    if photo is not None and len(photo) > _PHOTO_MAX_BYTES:
        raise field_error("photo", _("照片过大。"), "photo_size")
    refuse_face_only(person, consent.devices.all(), now=now)
    template = FaceTemplate.objects.create(
        consent=consent, template_cipher=pii.encrypt(base64.b64encode(raw).decode()),
        photo_cipher=pii.encrypt(base64.b64encode(photo).decode()) if photo else "",
    )
    Credential.objects.create(person=person, kind=CredentialKind.FACE, template=template, label=f"#{template.pk}",
                              valid_from=now, valid_until=valid_until)
    audit(actor, "access.face_enrolled", obj=template, area=person.area,
          detail={"person": person.pk, "consent": consent.pk, "photo": bool(photo)})
    access_recompile(person_ids=[person.pk], now=now)
    return template


@transaction.atomic
def face_consent_withdraw(*, actor: Actor, consent: FaceConsent, now: datetime | None = None) -> FaceConsent:
    """Withdraw consent: the templates are erased here now and marked for deletion
    on every device that may hold them; the devices confirm each deletion."""
    person = consent.person
    require_change(actor, person.area)
    now = now or timezone.now()
    if consent.withdrawn_at is not None:
        return consent
    consent.withdrawn_at = now
    consent.save(update_fields=["withdrawn_at"])
    templates = consent.templates.all()
    template_ids = list(templates.values_list("pk", flat=True))
    templates.update(deleted_at=now, template_cipher="", photo_cipher="")
    Credential.objects.filter(template_id__in=template_ids, revoked_at__isnull=True).update(revoked_at=now)
    # audit before recompiling, as every access service does: the audit chain lock is
    # always taken before the version lock, so concurrent services cannot deadlock
    audit(actor, "access.face_consent_withdrawn", obj=consent, area=person.area,
          detail={"person": person.pk, "templates": template_ids})
    version = access_recompile(person_ids=[person.pk], now=now)
    # belt and braces: a placement the recompile did not reach (a device since
    # disabled, a push still in flight) must still be deleted and confirmed
    TemplatePlacement.objects.filter(
        template_id__in=template_ids, state__in=[TemplatePlacement.State.TO_PUSH, TemplatePlacement.State.PRESENT],
    ).update(state=TemplatePlacement.State.TO_DELETE, confirmed_at=None, **({"version": version} if version else {}))
    return consent


def face_deletion_confirm(*, device: Device, template_ids: Iterable[int], now: datetime | None = None) -> int:
    """The device acked ``face_deleted``: its placements of these templates that
    were to be deleted are now deleted. Returns how many changed."""
    return TemplatePlacement.objects.filter(
        device=device, template_id__in=list(template_ids), state=TemplatePlacement.State.TO_DELETE,
    ).update(state=TemplatePlacement.State.DELETED, confirmed_at=now or timezone.now())


def face_photo_reveal(*, actor: Actor, template: FaceTemplate, reason: str = "") -> bytes:
    """The enrolment photo, for a person with the reveal capability; always audited."""
    person = template.consent.person
    require(actor, Capability.REVEAL, person.area)
    audit(actor, "access.face_photo_revealed", obj=template, area=person.area,
          detail={"person": person.pk, "reason": reason[:200]})
    return base64.b64decode(pii.decrypt(template.photo_cipher)) if template.photo_cipher else b""
