"""Access pages: scoped to the user's areas, writes through the services."""

from __future__ import annotations

import struct

import pytest
from django.urls import reverse
from django.utils import timezone

from shequ.access.models import AccessEvent, AccessRule, Device, TemplatePlacement
from shequ.access.services import face_consent_record, face_template_enrol
from shequ.accounts.models import AuditRecord
from shequ.registry.tests.factories import SYSTEM

pytestmark = pytest.mark.django_db
VECTOR = struct.pack("<128f", *([0.25] * 128))


def _event(device, person=None, event_id="e-1", kind="pass", **extra):
    now = timezone.now()
    return AccessEvent.objects.create(device=device, event_id=event_id, kind=kind, occurred_at=now, received_at=now,
                                      person=person, **extra)


# ---- devices


def test_it_lists_only_the_devices_in_the_workers_area(client_for, worker, doors):
    response = client_for(worker).get(reverse("access:device_list"))
    assert response.status_code == 200
    assert "cqf-gate-01" in response.content.decode()
    assert "xh-gate-01" not in response.content.decode()


def test_it_shows_a_devices_online_state_and_versions(client_for, worker, doors, resident):
    from shequ.access.services import device_heartbeat_record

    device_heartbeat_record(device=doors.gate_a, at=timezone.now(), synced_version=0)
    response = client_for(worker).get(reverse("access:device_detail", args=[doors.gate_a.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "在线" in body and "待同步" in body  # heard from, but behind its latest version


def test_it_hides_another_communitys_device(client_for, outsider, doors):
    response = client_for(outsider).get(reverse("access:device_detail", args=[doors.gate_a.pk]))
    assert response.status_code == 404


def test_it_registers_a_device_and_shows_the_secret_once(client_for, worker, tree):
    response = client_for(worker).post(reverse("access:device_create"), {
        "device_id": "cqf-east", "name": "东门", "kind": "gate", "area": tree.complex_a.pk,
        "credential_kinds": ["card", "qr"], "faces_enabled": "", "heartbeat_timeout_seconds": 120})
    assert response.status_code == 200
    device = Device.objects.get(device_id="cqf-east")
    secret = response.context["secret"]
    assert secret in response.content.decode() and secret not in device.secret_cipher
    assert response["Cache-Control"].startswith("max-age=0")
    assert device.credential_kinds == "card,qr"


def test_it_refuses_a_face_only_device_on_the_form(client_for, worker, tree):
    response = client_for(worker).post(reverse("access:device_create"), {
        "device_id": "cqf-face", "name": "人脸门", "kind": "gate", "area": tree.complex_a.pk,
        "credential_kinds": ["face"], "faces_enabled": "on", "heartbeat_timeout_seconds": 120})
    assert response.status_code == 200
    assert "非人脸凭证" in response.content.decode()
    assert not Device.objects.filter(device_id="cqf-face").exists()


def test_it_refuses_an_outsider_placing_a_device_in_another_community(client_for, outsider, tree):
    response = client_for(outsider).post(reverse("access:device_create"), {
        "device_id": "sneaky", "name": "x", "kind": "gate", "area": tree.complex_a.pk,
        "credential_kinds": ["card"], "heartbeat_timeout_seconds": 120})
    assert response.status_code == 200  # the area is simply not a choice for them
    assert not Device.objects.filter(device_id="sneaky").exists()


def test_it_refuses_an_outsider_rotating_a_secret(client_for, outsider, doors):
    before = Device.objects.get(pk=doors.gate_a.pk).secret_cipher
    response = client_for(outsider).post(reverse("access:device_rotate", args=[doors.gate_a.pk]))
    assert response.status_code == 404
    assert Device.objects.get(pk=doors.gate_a.pk).secret_cipher == before


def test_it_refuses_a_guard_rotating_a_secret(client_for, guard, doors):
    response = client_for(guard).post(reverse("access:device_rotate", args=[doors.gate_a.pk]))
    assert response.status_code == 403


# ---- credentials


def test_it_shows_a_persons_credentials_masked(client_for, worker, resident):
    response = client_for(worker).get(reverse("access:person_access", args=[resident.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "****B2C3" in body and "04A1B2C3" not in body


def test_it_hides_a_persons_credentials_from_an_outsider(client_for, outsider, resident):
    response = client_for(outsider).get(reverse("access:person_access", args=[resident.pk]))
    assert response.status_code == 404


def test_it_issues_a_pin_and_shows_it_once(client_for, worker, resident):
    client = client_for(worker)
    response = client.post(reverse("access:credential_issue", args=[resident.pk]), {"kind": "pin"})
    assert response.status_code == 200
    shown = response.context["shown"].shown_value
    assert shown in response.content.decode()
    again = client.get(reverse("access:person_access", args=[resident.pk]))
    assert shown not in again.content.decode()


def test_it_shows_the_services_error_on_the_issue_form(client_for, worker, resident, person_b):
    response = client_for(worker).post(reverse("access:credential_issue", args=[resident.pk]),
                                       {"kind": "card", "value": "zz"})
    assert response.status_code == 422
    assert "十六进制" in response.content.decode()
    assert resident.credentials.count() == 1


def test_it_refuses_an_outsider_issuing_a_credential(client_for, outsider, resident):
    response = client_for(outsider).post(reverse("access:credential_issue", args=[resident.pk]), {"kind": "pin"})
    assert response.status_code == 404
    assert resident.credentials.count() == 1


def test_it_revokes_a_credential(client_for, worker, resident):
    card = resident.credentials.get()
    response = client_for(worker).post(reverse("access:credential_revoke", args=[card.pk]), {"reason": "丢失"})
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.revoked_at is not None


def test_it_refuses_an_outsider_revoking(client_for, outsider, resident):
    card = resident.credentials.get()
    response = client_for(outsider).post(reverse("access:credential_revoke", args=[card.pk]))
    assert response.status_code == 404
    card.refresh_from_db()
    assert card.revoked_at is None


def test_it_explains_why_a_last_non_face_credential_stays(client_for, worker, doors, resident):
    consent = face_consent_record(actor=SYSTEM, person=resident, method="paper", devices=[doors.gate_a])
    face_template_enrol(actor=SYSTEM, consent=consent, embedding=VECTOR)
    card = resident.credentials.get(kind="card")
    response = client_for(worker).post(reverse("access:credential_revoke", args=[card.pk]), follow=True)
    assert "非人脸" in response.content.decode()
    card.refresh_from_db()
    assert card.revoked_at is None


# ---- face consent


def test_it_records_consent_for_chosen_doors(client_for, worker, doors, resident):
    response = client_for(worker).post(reverse("access:consent_record", args=[resident.pk]), {
        "method": "paper", "devices": [doors.gate_a.pk, doors.unit_door_a.pk]})
    assert response.status_code == 302
    consent = resident.face_consents.get()
    assert set(consent.devices.values_list("device_id", flat=True)) == {"cqf-gate-01", "cqf-03-2-door"}
    assert consent.recorded_by == worker


def test_it_does_not_offer_another_communitys_door_for_consent(client_for, worker, doors, resident):
    response = client_for(worker).post(reverse("access:consent_record", args=[resident.pk]), {
        "method": "paper", "devices": [doors.gate_b.pk]})
    assert response.status_code == 422
    assert not resident.face_consents.exists()


def test_it_withdraws_consent_and_shows_where_deletion_waits(client_for, worker, doors, resident):
    consent = face_consent_record(actor=SYSTEM, person=resident, method="paper", devices=[doors.gate_a])
    face_template_enrol(actor=SYSTEM, consent=consent, embedding=VECTOR)
    client = client_for(worker)
    response = client.post(reverse("access:consent_withdraw", args=[consent.pk]))
    assert response.status_code == 302
    page = client.get(reverse("access:person_access", args=[resident.pk])).content.decode()
    assert "待删除" in page
    assert TemplatePlacement.objects.get().state == TemplatePlacement.State.TO_DELETE


def test_it_refuses_an_outsider_withdrawing_consent(client_for, outsider, doors, resident):
    consent = face_consent_record(actor=SYSTEM, person=resident, method="paper", devices=[doors.gate_a])
    response = client_for(outsider).post(reverse("access:consent_withdraw", args=[consent.pk]))
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_it_shows_a_face_photo_only_with_a_reason_and_audits_it(client_for, worker, doors, resident):
    consent = face_consent_record(actor=SYSTEM, person=resident, method="paper", devices=[doors.gate_a])
    template = face_template_enrol(actor=SYSTEM, consent=consent, embedding=VECTOR, photo=b"\xff\xd8photo")
    client = client_for(worker)
    refused = client.post(reverse("access:face_photo", args=[template.pk]), {"reason": ""})
    assert refused.status_code == 302
    assert not AuditRecord.objects.filter(action="access.face_photo_revealed").exists()
    response = client.post(reverse("access:face_photo", args=[template.pk]), {"reason": "身份核验"})
    assert response.status_code == 200 and "data:image/jpeg;base64," in response.content.decode()
    assert AuditRecord.objects.filter(action="access.face_photo_revealed", actor=worker).count() == 1


def test_it_hides_a_face_photo_from_an_outsider(client_for, outsider, doors, resident):
    consent = face_consent_record(actor=SYSTEM, person=resident, method="paper", devices=[doors.gate_a])
    template = face_template_enrol(actor=SYSTEM, consent=consent, embedding=VECTOR, photo=b"\xff\xd8photo")
    response = client_for(outsider).post(reverse("access:face_photo", args=[template.pk]), {"reason": "x"})
    assert response.status_code == 404
    assert not AuditRecord.objects.filter(action="access.face_photo_revealed").exists()


def test_it_refuses_a_face_photo_to_a_guard(client_for, guard, doors, resident):
    consent = face_consent_record(actor=SYSTEM, person=resident, method="paper", devices=[doors.gate_a])
    template = face_template_enrol(actor=SYSTEM, consent=consent, embedding=VECTOR, photo=b"\xff\xd8photo")
    response = client_for(guard).post(reverse("access:face_photo", args=[template.pk]), {"reason": "x"})
    assert response.status_code == 403


# ---- events


def test_it_finds_events_by_person(client_for, worker, doors, resident, tree):
    _event(doors.gate_a, resident, "e-1", credential_kind="card")
    _event(doors.gate_a, None, "e-2", kind="forced")
    response = client_for(worker).get(reverse("access:event_list"), {"person": resident.pk})
    assert [e.event_id for e in response.context["rows"]] == ["e-1"]


def test_it_finds_events_by_name_door_and_time(client_for, worker, doors, resident):
    _event(doors.gate_a, resident, "e-1")
    _event(doors.unit_door_a, resident, "e-2")
    client = client_for(worker)
    by_name = client.get(reverse("access:event_list"), {"q": resident.name, "device": doors.unit_door_a.pk})
    assert [e.event_id for e in by_name.context["rows"]] == ["e-2"]
    later = (timezone.localtime() + timezone.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    none_yet = client.get(reverse("access:event_list"), {"since": later})
    assert list(none_yet.context["rows"]) == []


def test_it_shows_no_events_of_another_community(client_for, outsider, doors, resident):
    _event(doors.gate_a, resident, "e-1")
    _event(doors.gate_b, None, "e-b")
    response = client_for(outsider).get(reverse("access:event_list"))
    assert [e.event_id for e in response.context["rows"]] == ["e-b"]


def test_it_refuses_an_outsider_searching_a_persons_events(client_for, outsider, doors, resident):
    _event(doors.gate_a, resident, "e-1")
    response = client_for(outsider).get(reverse("access:event_list"), {"person": resident.pk})
    assert response.status_code == 404


# ---- rules


def test_it_adds_a_rule(client_for, worker, tree, doors):
    response = client_for(worker).post(reverse("access:rule_list"), {
        "area": tree.complex_a.pk, "role": "guard", "weekdays": ["1", "2", "3"], "start_time": "07:00",
        "end_time": "19:00"})
    assert response.status_code == 302
    rule = AccessRule.objects.get()
    assert (rule.weekdays, rule.start_time.hour) == ("123", 7)


def test_it_refuses_an_outsider_deleting_a_rule(client_for, outsider, tree, doors):
    from shequ.access.services import access_rule_create

    rule = access_rule_create(actor=SYSTEM, area=tree.complex_a, role="guard")
    response = client_for(outsider).post(reverse("access:rule_delete", args=[rule.pk]))
    assert response.status_code == 404
    assert AccessRule.objects.filter(pk=rule.pk).exists()


def test_it_renders_the_person_page_in_a_fixed_number_of_queries(client_for, worker, doors, resident,
                                                                 django_assert_num_queries):
    consent = face_consent_record(actor=SYSTEM, person=resident, method="paper", devices=[doors.gate_a])
    face_template_enrol(actor=SYSTEM, consent=consent, embedding=VECTOR)
    client = client_for(worker)
    client.get(reverse("access:person_access", args=[resident.pk]))  # warm the session
    with django_assert_num_queries(11):
        assert client.get(reverse("access:person_access", args=[resident.pk])).status_code == 200



@pytest.mark.parametrize("name", ["access:device_list", "access:device_create", "access:person_find",
                                  "access:event_list", "access:rule_list"])
def test_it_renders_each_page_for_a_worker(client_for, worker, doors, resident, name):
    response = client_for(worker).get(reverse(name), {"q": resident.name} if name == "access:person_find" else {})
    assert response.status_code == 200
    if name == "access:person_find":
        assert reverse("access:person_access", args=[resident.pk]) in response.content.decode()


def test_it_finds_no_one_of_another_community(client_for, outsider, resident):
    response = client_for(outsider).get(reverse("access:person_find"), {"q": resident.name})
    assert reverse("access:person_access", args=[resident.pk]) not in response.content.decode()


def test_it_refuses_the_register_page_to_a_guard(client_for, guard):
    assert client_for(guard).get(reverse("access:device_create")).status_code == 403
