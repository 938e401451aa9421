"""Face consent, enrolment, withdrawal and the edge's confirmation of deletion."""

from __future__ import annotations

import struct

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shequ.access.models import FaceTemplate, TemplatePlacement
from shequ.access.services import (
    device_access_list, device_latest_version, device_sync_applied, device_sync_delta, face_consent_record,
    face_consent_withdraw, face_deletion_confirm, face_photo_reveal, face_template_enrol, template_embedding,
)
from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.registry.tests.factories import SYSTEM

pytestmark = pytest.mark.django_db

VECTOR = struct.pack("<128f", *[(i % 7) / 7 for i in range(128)])
State = TemplatePlacement.State


@pytest.fixture
def enrolled(doors, resident):
    consent = face_consent_record(actor=SYSTEM, person=resident, method="paper",
                                  devices=[doors.gate_a, doors.unit_door_a])
    template = face_template_enrol(actor=SYSTEM, consent=consent, embedding=VECTOR, photo=b"\xff\xd8jpeg")
    return consent, template


def test_it_stores_the_template_encrypted(enrolled):
    _consent, template = enrolled
    template.refresh_from_db()
    assert VECTOR not in template.template_cipher.encode()
    assert template_embedding(template) == VECTOR


def test_it_places_the_template_on_each_consented_door(doors, enrolled):
    _consent, template = enrolled
    states = dict(TemplatePlacement.objects.filter(template=template).values_list("device__device_id", "state"))
    assert states == {"cqf-gate-01": State.TO_PUSH, "cqf-03-2-door": State.TO_PUSH}


def test_it_accepts_an_embedding_as_numbers(doors, resident):
    consent = face_consent_record(actor=SYSTEM, person=resident, method="in_person", devices=[doors.gate_a])
    template = face_template_enrol(actor=SYSTEM, consent=consent, embedding=[0.5] * 128)
    assert template_embedding(template) == struct.pack("<128f", *([0.5] * 128))


@pytest.mark.parametrize("embedding", [b"\x00" * 100, [0.1] * 127, [float("nan")] * 128])
def test_it_refuses_a_malformed_embedding(doors, resident, embedding):
    consent = face_consent_record(actor=SYSTEM, person=resident, method="paper", devices=[doors.gate_a])
    with pytest.raises(ValidationError) as caught:
        face_template_enrol(actor=SYSTEM, consent=consent, embedding=embedding)
    assert "embedding" in caught.value.message_dict
    assert not FaceTemplate.objects.exists()


def test_it_refuses_consent_for_a_door_without_face_recognition(doors, resident):
    with pytest.raises(ValidationError) as caught:
        face_consent_record(actor=SYSTEM, person=resident, method="paper", devices=[doors.barrier_a])
    assert caught.value.error_dict["devices"][0].code == "device_no_face"


def test_it_refuses_consent_for_a_door_outside_the_workers_area(doors, resident, worker):
    with pytest.raises(ValidationError) as caught:
        face_consent_record(actor=Actor(user=worker), person=resident, method="paper", devices=[doors.gate_b])
    assert caught.value.error_dict["devices"][0].code == "device_scope"


def test_it_withdraws_consent_and_marks_every_placement_to_delete(doors, enrolled):
    consent, template = enrolled
    device_sync_applied(doors.gate_a, device_latest_version(doors.gate_a))  # gate has it, unit door not yet
    face_consent_withdraw(actor=SYSTEM, consent=consent)
    states = set(TemplatePlacement.objects.filter(template=template).values_list("state", flat=True))
    assert states == {State.TO_DELETE}


def test_it_erases_the_template_and_photo_on_withdrawal(enrolled):
    consent, template = enrolled
    face_consent_withdraw(actor=SYSTEM, consent=consent)
    template.refresh_from_db()
    assert template.deleted_at is not None
    assert template.template_cipher == "" and template.photo_cipher == ""
    assert template.credential.revoked_at is not None


def test_it_sends_the_withdrawal_as_a_face_delete(doors, enrolled):
    consent, template = enrolled
    before = device_latest_version(doors.gate_a)
    face_consent_withdraw(actor=SYSTEM, consent=consent)
    delta = device_sync_delta(doors.gate_a, before)
    assert delta["deletes"]["faces"] == [template.pk]
    assert device_access_list(doors.gate_a)["faces"] == []


def test_it_marks_a_placement_deleted_only_when_that_device_confirms(doors, enrolled):
    consent, template = enrolled
    face_consent_withdraw(actor=SYSTEM, consent=consent)
    assert face_deletion_confirm(device=doors.gate_a, template_ids=[template.pk]) == 1
    states = dict(TemplatePlacement.objects.filter(template=template).values_list("device__device_id", "state"))
    assert states == {"cqf-gate-01": State.DELETED, "cqf-03-2-door": State.TO_DELETE}


def test_it_ignores_a_deletion_confirmation_for_a_template_still_wanted(doors, enrolled):
    _consent, template = enrolled
    assert face_deletion_confirm(device=doors.gate_a, template_ids=[template.pk]) == 0
    assert TemplatePlacement.objects.get(template=template, device=doors.gate_a).state == State.TO_PUSH


def test_it_refuses_to_enrol_under_a_withdrawn_consent(enrolled):
    consent, _template = enrolled
    face_consent_withdraw(actor=SYSTEM, consent=consent)
    with pytest.raises(ValidationError):
        face_template_enrol(actor=SYSTEM, consent=consent, embedding=VECTOR)


def test_it_deletes_a_movers_face_from_the_doors_too(doors, enrolled, resident):
    from shequ.registry.models import Residence
    from shequ.registry.services import residence_end

    _consent, template = enrolled
    residence_end(actor=SYSTEM, residence=Residence.objects.get(person=resident))
    assert TemplatePlacement.objects.get(template=template, device=doors.gate_a).state == State.TO_DELETE


def test_it_reveals_the_photo_to_a_worker_and_audits_it(enrolled, worker):
    _consent, template = enrolled
    assert face_photo_reveal(actor=Actor(user=worker), template=template, reason="核对") == b"\xff\xd8jpeg"
    record = AuditRecord.objects.get(action="access.face_photo_revealed")
    assert record.actor_id == worker.pk and record.detail["reason"] == "核对"


def test_it_refuses_the_photo_to_a_guard(enrolled, guard):
    _consent, template = enrolled
    with pytest.raises(PermissionDenied):
        face_photo_reveal(actor=Actor(user=guard), template=template)
    assert not AuditRecord.objects.filter(action="access.face_photo_revealed").exists()
