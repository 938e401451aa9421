"""My face recognition through the pages: consent with a photo, where it is used, withdrawal."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.contrib.auth import get_user
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from shequ.access.models import FaceConsent, FaceTemplate, TemplatePlacement
from shequ.access.services import (
    credential_issue, face_consent_record, face_deletion_confirm, template_embedding,
)
from shequ.accounts.models import AuditRecord
from shequ.edge.face.samples import grace_hopper_path
from shequ.registry.tests.factories import SYSTEM

pytestmark = pytest.mark.django_db
State = TemplatePlacement.State


def photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("me.jpg", grace_hopper_path().read_bytes(), content_type="image/jpeg")


def blank_photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), (180, 180, 180)).save(buffer, format="PNG")
    return SimpleUploadedFile("wall.png", buffer.getvalue(), content_type="image/png")


def enrol(client, doors, *devices, upload=None, agree=True):
    data = {"devices": [d.pk for d in devices], "photo": upload if upload is not None else photo()}
    if agree:
        data["agree"] = "on"
    return client.post("/me/face/", data)


def _nothing_written():
    return not FaceConsent.objects.exists() and not FaceTemplate.objects.exists()


def test_the_page_offers_the_face_doors_of_my_household_only(resident_client, doors, carded):
    form = resident_client.get("/me/face/").context["enrol_form"]
    assert set(form.fields["devices"].queryset) == {doors.gate_a, doors.unit_door_a}


def test_the_page_says_a_card_pin_or_qr_always_works(resident_client, doors, carded):
    html = resident_client.get("/me/face/").content.decode()
    assert "门禁卡、密码和二维码始终可以开门" in html


def test_without_a_card_pin_or_qr_no_door_is_offered(resident_client, doors, family):
    response = resident_client.get("/me/face/")
    assert not response.context["enrol_form"].fields["devices"].queryset.exists()
    assert 'id="face-no-doors"' in response.content.decode()
    assert enrol(resident_client, doors, doors.gate_a).status_code == 400
    assert _nothing_written()


def test_i_consent_and_enrol_with_a_photo(resident_client, doors, carded):
    response = enrol(resident_client, doors, doors.gate_a, doors.unit_door_a)
    assert response.status_code == 302
    consent = FaceConsent.objects.get()
    user = get_user(resident_client)
    assert consent.person == carded and consent.method == FaceConsent.Method.RESIDENT_APP
    assert consent.recorded_by == user
    assert set(consent.devices.all()) == {doors.gate_a, doors.unit_door_a}
    vector = np.frombuffer(template_embedding(consent.templates.get()), dtype="<f4")
    assert vector.shape == (128,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-4
    assert AuditRecord.objects.get(action="residents.face_enrol").actor_id == user.pk


def test_the_page_shows_where_my_template_is(resident_client, doors, carded):
    enrol(resident_client, doors, doors.gate_a)
    placement = TemplatePlacement.objects.get()
    assert placement.device == doors.gate_a
    html = resident_client.get("/me/face/").content.decode()
    assert "cqf-gate-01" in html and "待下发" in html


def test_i_withdraw_and_see_each_door_confirm_the_deletion(resident_client, doors, carded):
    enrol(resident_client, doors, doors.gate_a, doors.unit_door_a)
    consent = FaceConsent.objects.get()
    response = resident_client.post(f"/me/face/{consent.pk}/withdraw/")
    assert response.status_code == 302
    consent.refresh_from_db()
    template = consent.templates.get()
    assert consent.withdrawn_at is not None and template.template_cipher == "" and template.photo_cipher == ""
    assert set(TemplatePlacement.objects.values_list("state", flat=True)) == {State.TO_DELETE}
    assert resident_client.get("/me/face/").content.decode().count("删除待确认") == 2

    face_deletion_confirm(device=doors.gate_a, template_ids=[template.pk])
    html = resident_client.get("/me/face/").content.decode()
    assert html.count("删除待确认") == 1 and "已删除（门禁已确认）" in html


def test_a_file_that_is_no_image_is_refused_clearly_and_writes_nothing(resident_client, doors, carded):
    fake = SimpleUploadedFile("me.jpg", b"this is not a picture", content_type="image/jpeg")
    response = enrol(resident_client, doors, doors.gate_a, upload=fake)
    assert response.status_code == 400
    assert "不是 JPEG、PNG 或 WebP 格式的图片" in str(response.context["enrol_form"].errors["photo"])
    assert _nothing_written()


def test_a_photo_without_a_face_is_refused_clearly_and_writes_nothing(resident_client, doors, carded):
    response = enrol(resident_client, doors, doors.gate_a, upload=blank_photo())
    assert response.status_code == 400
    assert "没有找到人脸" in str(response.context["enrol_form"].errors["photo"])
    assert _nothing_written()


def test_no_photo_is_refused(resident_client, doors, carded):
    response = resident_client.post("/me/face/", {"devices": [doors.gate_a.pk], "agree": "on"})
    assert response.status_code == 400 and response.context["enrol_form"].errors["photo"]
    assert _nothing_written()


def test_consent_must_be_ticked(resident_client, doors, carded):
    response = enrol(resident_client, doors, doors.gate_a, agree=False)
    assert response.status_code == 400 and response.context["enrol_form"].errors["agree"]
    assert _nothing_written()


def test_a_door_of_another_complex_cannot_be_chosen(resident_client, doors, carded):
    response = enrol(resident_client, doors, doors.gate_b)
    assert response.status_code == 400 and response.context["enrol_form"].errors["devices"]
    assert _nothing_written()


def test_a_consent_given_on_paper_gets_its_photo_here(resident_client, doors, carded):
    consent = face_consent_record(actor=SYSTEM, person=carded, method="paper", devices=[doors.gate_a])
    assert 'id="face-photo"' in resident_client.get("/me/face/").content.decode()
    response = resident_client.post(f"/me/face/{consent.pk}/photo/", {"photo": photo()})
    assert response.status_code == 302 and consent.templates.count() == 1


def test_i_cannot_withdraw_a_family_members_consent(resident_client, doors, family):
    credential_issue(actor=SYSTEM, person=family.child, kind="card", value="04FFEE01")
    consent = face_consent_record(actor=SYSTEM, person=family.child, method="paper", devices=[doors.gate_a])
    assert resident_client.post(f"/me/face/{consent.pk}/withdraw/").status_code == 404
    assert resident_client.post(f"/me/face/{consent.pk}/photo/", {"photo": photo()}).status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None and not consent.templates.exists()
