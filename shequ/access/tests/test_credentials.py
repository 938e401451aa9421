"""Issuing and revoking credentials, and the rule that nobody is face-only."""

from __future__ import annotations

import struct
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone

from shequ.access import protocol
from shequ.access.models import Credential, Device
from shequ.access.services import (
    access_credential_key, credential_issue, credential_revoke, device_register, face_consent_record,
    face_template_enrol,
)
from shequ.access.tests.conftest import CARD_A
from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.registry.tests.factories import SYSTEM

pytestmark = pytest.mark.django_db
VECTOR = struct.pack("<128f", *([0.1] * 128))


def test_it_keeps_only_a_digest_of_a_card_number(person_a):
    credential = credential_issue(actor=SYSTEM, person=person_a, kind="card", value="04 a1 b2 c3").credential
    credential.refresh_from_db()
    assert credential.value_digest == protocol.credential_digest(access_credential_key(), "card", CARD_A)
    assert credential.label == "****B2C3"
    assert "04A1" not in credential.label


def test_it_generates_an_eight_digit_pin_shown_once(person_a):
    issued = credential_issue(actor=SYSTEM, person=person_a, kind="pin")
    assert len(issued.shown_value) == 8 and issued.shown_value.isdigit()
    assert issued.credential.label == ""
    assert issued.credential.value_digest == protocol.credential_digest(
        access_credential_key(), "pin", issued.shown_value)


def test_it_generates_a_resident_qr_token(person_a):
    issued = credential_issue(actor=SYSTEM, person=person_a, kind="qr")
    assert len(issued.shown_value) >= 24
    assert issued.credential.label.endswith(issued.shown_value[-4:])


def test_it_normalises_a_plate(person_a):
    credential = credential_issue(actor=SYSTEM, person=person_a, kind="plate", value="陕A-12345").credential
    assert credential.label == "陕A12345"


def test_it_refuses_a_malformed_plate(person_a):
    with pytest.raises(ValidationError) as caught:
        credential_issue(actor=SYSTEM, person=person_a, kind="plate", value="ABC")
    assert "value" in caught.value.message_dict
    assert not Credential.objects.exists()


def test_it_refuses_a_card_number_that_is_not_hex(person_a):
    with pytest.raises(ValidationError) as caught:
        credential_issue(actor=SYSTEM, person=person_a, kind="card", value="not-a-card")
    assert "value" in caught.value.message_dict


def test_it_refuses_a_card_someone_else_holds(person_a, person_b):
    credential_issue(actor=SYSTEM, person=person_a, kind="card", value=CARD_A)
    with pytest.raises(ValidationError) as caught:
        credential_issue(actor=SYSTEM, person=person_b, kind="card", value="04a1b2c3")
    assert caught.value.error_dict["value"][0].code == "credential_duplicate"


def test_it_reissues_a_card_once_it_was_revoked(person_a, person_b):
    first = credential_issue(actor=SYSTEM, person=person_a, kind="card", value=CARD_A).credential
    credential_revoke(actor=SYSTEM, credential=first)
    assert credential_issue(actor=SYSTEM, person=person_b, kind="card", value=CARD_A).credential.pk


def test_it_refuses_to_issue_a_face_credential_directly(person_a):
    with pytest.raises(ValidationError) as caught:
        credential_issue(actor=SYSTEM, person=person_a, kind="face")
    assert "kind" in caught.value.message_dict


def test_it_refuses_a_window_that_ends_before_it_starts(person_a):
    now = timezone.now()
    with pytest.raises(ValidationError) as caught:
        credential_issue(actor=SYSTEM, person=person_a, kind="pin", valid_from=now, valid_until=now - timedelta(1))
    assert "valid_until" in caught.value.message_dict


def test_it_audits_an_issue_without_the_value(person_a):
    issued = credential_issue(actor=SYSTEM, person=person_a, kind="pin")
    record = AuditRecord.objects.get(action="access.credential_issued")
    assert issued.shown_value not in str(record.detail)
    assert record.area_path == person_a.area.path


def test_it_refuses_an_outsider_issuing_in_another_community(person_a, outsider):
    with pytest.raises(PermissionDenied):
        credential_issue(actor=Actor(user=outsider), person=person_a, kind="pin")
    assert not Credential.objects.exists()


def test_it_lets_the_communitys_worker_issue(person_a, worker):
    assert credential_issue(actor=Actor(user=worker), person=person_a, kind="pin").credential.pk


def test_it_revokes_and_keeps_the_record(resident):
    card = resident.credentials.get(kind="card")
    credential_revoke(actor=SYSTEM, credential=card, reason="丢失")
    card.refresh_from_db()
    assert card.revoked_at is not None
    assert AuditRecord.objects.filter(action="access.credential_revoked").exists()


# ---- every door keeps a non-face way in


def test_it_refuses_face_consent_for_a_person_without_a_non_face_credential(doors, person_a):
    with pytest.raises(ValidationError) as caught:
        face_consent_record(actor=SYSTEM, person=person_a, method="paper", devices=[doors.gate_a])
    assert caught.value.error_dict["devices"][0].code == "non_face_required"
    assert not person_a.face_consents.exists()


def test_it_refuses_face_consent_where_the_door_takes_none_of_their_other_credentials(doors, person_a):
    credential_issue(actor=SYSTEM, person=person_a, kind="plate", value="陕A12345")  # gates take no plates
    with pytest.raises(ValidationError):
        face_consent_record(actor=SYSTEM, person=person_a, method="paper", devices=[doors.gate_a])


def test_it_refuses_to_revoke_the_last_non_face_credential_of_a_face_user(doors, resident):
    consent = face_consent_record(actor=SYSTEM, person=resident, method="paper", devices=[doors.gate_a])
    face_template_enrol(actor=SYSTEM, consent=consent, embedding=VECTOR)
    card = resident.credentials.get(kind="card")
    with pytest.raises(ValidationError) as caught:
        credential_revoke(actor=SYSTEM, credential=card)
    assert caught.value.error_dict["credential"][0].code == "non_face_required"
    card.refresh_from_db()
    assert card.revoked_at is None


def test_it_revokes_a_face_users_card_once_another_way_in_exists(doors, resident):
    consent = face_consent_record(actor=SYSTEM, person=resident, method="paper", devices=[doors.gate_a])
    face_template_enrol(actor=SYSTEM, consent=consent, embedding=VECTOR)
    credential_issue(actor=SYSTEM, person=resident, kind="qr")
    card = resident.credentials.get(kind="card")
    credential_revoke(actor=SYSTEM, credential=card)
    card.refresh_from_db()
    assert card.revoked_at is not None


def test_it_refuses_a_device_that_accepts_only_faces(tree):
    with pytest.raises(ValidationError) as caught:
        device_register(actor=SYSTEM, device_id="face-only", name="人脸门", kind="gate", area=tree.complex_a,
                        credential_kinds=["face"])
    assert caught.value.error_dict["credential_kinds"][0].code == "non_face_required"
    assert not Device.objects.filter(device_id="face-only").exists()


def test_it_refuses_a_face_only_device_in_the_database_too(doors):
    with pytest.raises(IntegrityError):
        Device.objects.filter(pk=doors.gate_a.pk).update(credential_kinds="face")
