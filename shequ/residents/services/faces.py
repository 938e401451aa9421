"""A resident's own face recognition: consent for chosen doors with a photo,
and withdrawal. The rules live in ``shequ.access.services.faces``; this checks
the resident side (only oneself, only the doors one may open) and then calls
those services on the resident's behalf.

The access services require the registry change right, which residents do not
hold; they are called with a system actor (``system_actor``) after the checks
here, and this module writes the resident's own audit record first, naming them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ.access.models import CredentialKind, Device, DeviceEntry, EntryKind, FaceConsent, FaceTemplate
from shequ.access.services import face_consent_record, face_consent_withdraw, face_template_enrol, non_face_gaps
from shequ.access.services.compile import DOOR_KINDS
from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.registry.models import Person
from shequ.residents.services.accounts import system_actor
from shequ.residents.services.face_photo import face_photo_read


def _require_self(actor: Actor, person: Person) -> None:
    """Only for oneself: the registry has no guardian relation to act for a child."""
    user = actor.user
    if user is None or user.person_id != person.pk or not user_can(user, Capability.VIEW, person.area):
        raise PermissionDenied(_("只能为本人办理人脸识别。"))


def face_doors(person: Person) -> list[Device]:
    """Doors that recognise faces and that ``person`` opens today with a card, PIN, QR or plate
    (the compiled access lists name a person on a door only then)."""
    device_ids = DeviceEntry.objects.filter(person_id=person.pk, kind=EntryKind.PERSON, deleted=False) \
        .values_list("device_id", flat=True)
    devices = Device.objects.filter(pk__in=device_ids, kind__in=DOOR_KINDS, faces_enabled=True) \
        .select_related("area").order_by("area__path", "name")
    return [device for device in devices if CredentialKind.FACE in device.accepted_kinds]


def face_doors_without_other_way(person: Person, devices: Iterable[Device], *, now: datetime | None = None) -> set[int]:
    """Ids of doors where the person has no card, PIN, QR or plate: face may not be their only way in."""
    return {device.pk for device in non_face_gaps(person, devices, now=now or timezone.now())}


def _check_doors(person: Person, devices: list[Device]) -> None:
    if not devices:
        raise ValidationError({"devices": ValidationError(_("请至少选择一个门禁。"), code="required")})
    allowed = {device.pk for device in face_doors(person)}
    if any(device.pk not in allowed for device in devices):
        raise ValidationError({"devices": ValidationError(_("只能选择您有权通行且支持人脸识别的门禁。"),
                                                          code="device_scope")})


def resident_face_enrol(*, actor: Actor, person: Person, devices: Iterable[Device], photo: UploadedFile | None,
                        now: datetime | None = None) -> FaceTemplate:
    """Consent (method: resident app) for ``devices`` and enrol the face on ``photo``, in one go:
    a refused photo or door leaves nothing behind."""
    _require_self(actor, person)
    devices = list(devices)
    _check_doors(person, devices)
    face = face_photo_read(photo)  # the slow part, before any write
    acting = system_actor(actor)
    with transaction.atomic():
        # audit first: the access services take the audit chain lock before the version lock
        audit_append(actor=actor, action="residents.face_enrol", obj=person,
                     detail={"devices": [device.device_id for device in devices]})
        consent = face_consent_record(actor=acting, person=person, method=FaceConsent.Method.RESIDENT_APP,
                                      devices=devices, now=now)
        consent.recorded_by = actor.user
        consent.save(update_fields=["recorded_by"])
        return face_template_enrol(actor=acting, consent=consent, embedding=face.embedding, photo=face.jpeg, now=now)


def resident_face_add_photo(*, actor: Actor, consent: FaceConsent, photo: UploadedFile | None,
                            now: datetime | None = None) -> FaceTemplate:
    """Enrol a face under a consent already given (e.g. signed on paper at the property office)."""
    _require_self(actor, consent.person)
    if consent.withdrawn_at is not None:
        raise ValidationError({"photo": ValidationError(_("该同意已撤回，不能采集人脸。"), code="consent_withdrawn")})
    face = face_photo_read(photo)
    with transaction.atomic():
        audit_append(actor=actor, action="residents.face_enrol", obj=consent.person, detail={"consent": consent.pk})
        return face_template_enrol(actor=system_actor(actor), consent=consent, embedding=face.embedding,
                                   photo=face.jpeg, now=now)


def resident_face_withdraw(*, actor: Actor, consent: FaceConsent, now: datetime | None = None) -> FaceConsent:
    """Withdraw one's consent: the template is erased now and each door confirms its deletion."""
    _require_self(actor, consent.person)
    if consent.withdrawn_at is not None:
        return consent
    with transaction.atomic():
        audit_append(actor=actor, action="residents.face_withdraw", obj=consent.person, detail={"consent": consent.pk})
        return face_consent_withdraw(actor=system_actor(actor), consent=consent, now=now)
