"""Writing a letter: who may, what is stored, and bad input (uploads above all)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.core import pii
from shequ.mailbox import services
from shequ.mailbox.models import Kind, Letter, LetterImage, Status
from shequ.mailbox.services import MAX_IMAGE_BYTES, MAX_IMAGES
from shequ.mailbox.tests.conftest import MONDAY, SENDER_NAME, SENDER_PHONE, at, png_upload

pytestmark = pytest.mark.django_db


def _files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_a_letter_stores_the_sender_house_and_community(letter, sender, person_a, tree):
    letter.refresh_from_db()
    assert (letter.sender_user_id, letter.sender_person_id, letter.sender_name) == (sender.pk, person_a.pk, SENDER_NAME)
    assert pii.decrypt(letter.sender_phone_cipher) == SENDER_PHONE
    assert (letter.area_id, letter.complex_id, letter.community_id) == (tree.house_a.area.pk, tree.complex_a.pk,
                                                                        tree.community_a.pk)
    assert (letter.status, letter.received_at, letter.last_message_at) == (Status.NEW, MONDAY, MONDAY)


def test_an_anonymous_letter_still_stores_its_sender(anonymous_letter, sender):
    anonymous_letter.refresh_from_db()
    assert anonymous_letter.anonymous and anonymous_letter.sender_user_id == sender.pk
    assert anonymous_letter.sender_name == SENDER_NAME


def test_the_audit_record_of_an_anonymous_letter_names_no_letter_and_no_house(anonymous_letter, tree):
    record = AuditRecord.objects.get(action="mailbox.letter_written")
    assert record.object_id == "" and record.area_path == tree.complex_a.path
    assert record.detail["anonymous"] is True


def test_the_audit_record_of_a_named_letter_names_it(letter, tree):
    record = AuditRecord.objects.get(action="mailbox.letter_written")
    assert record.object_id == str(letter.pk) and record.area_path == tree.house_a.area.path


def test_staff_without_a_house_cannot_write(worker):
    with pytest.raises(PermissionDenied):
        services.letter_write(actor=Actor(user=worker), kind=Kind.CLUE, subject="x", body="y")
    assert not Letter.objects.exists()


def test_a_resident_cannot_write_from_another_households_house(sender, tree):
    with pytest.raises(PermissionDenied):
        services.letter_write(actor=Actor(user=sender), kind=Kind.CLUE, subject="x", body="y",
                              house=tree.house_b.area)
    assert not Letter.objects.exists()


def test_it_reports_every_bad_field_at_once(sender):
    with pytest.raises(ValidationError) as caught:
        services.letter_write(actor=Actor(user=sender), kind="gossip", subject=" ", body="")
    assert set(caught.value.error_dict) == {"kind", "subject", "body"}
    assert not Letter.objects.exists()


def test_images_are_stored_without_their_metadata(write, _media):
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (34.0, 13.0, 5.0)}  # GPSInfo: latitude
    Image.new("RGB", (16, 16), (10, 200, 10)).save(buffer, "JPEG", exif=exif)
    with Image.open(io.BytesIO(buffer.getvalue())) as source:
        assert source.getexif()  # the upload carries the metadata
    upload = SimpleUploadedFile("street.jpg", buffer.getvalue(), content_type="image/jpeg")
    letter = write(images=[upload, png_upload("b.png")])
    stored = list(LetterImage.objects.filter(letter=letter).order_by("pk"))
    assert len(stored) == 2 and stored[0].image.name.startswith(f"mailbox/{letter.pk}/")
    with Image.open(stored[0].image.path) as image:
        assert image.format == "JPEG" and not image.getexif()
    assert "street" not in stored[0].image.name  # random names: the uploaded one may hold anything


# --- bad uploads, through the page: a clear message and nothing written ------------------------------------------

@pytest.fixture
def resident_client(sender, client_for):
    return client_for(sender)


def _post(client, **extra):
    data = {"kind": Kind.COMPLAINT, "subject": "噪音", "body": "楼下商铺每晚十一点后还很吵。"}
    data.update(extra)
    return client.post(reverse("mailbox:write"), data)


def test_a_text_file_named_jpg_is_refused_with_its_name(resident_client, _media):
    fake = SimpleUploadedFile("noise.jpg", b"just some text, not a picture", content_type="image/jpeg")
    response = _post(resident_client, images=[fake])
    assert response.status_code == 200
    assert "“noise.jpg”不是 JPEG、PNG 或 WebP 格式的图片。" in response.content.decode()
    assert not Letter.objects.exists() and not _files(_media)
    assert not AuditRecord.objects.filter(action__startswith="mailbox.").exists()


def test_a_too_large_image_is_refused(resident_client, _media):
    big = SimpleUploadedFile("big.png", png_upload().read() + b"\0" * MAX_IMAGE_BYTES, content_type="image/png")
    response = _post(resident_client, images=[big])
    assert "“big.png”超过 5 MB，请压缩后再上传。" in response.content.decode()
    assert not Letter.objects.exists() and not _files(_media)


def test_too_many_images_are_refused(resident_client, _media):
    response = _post(resident_client, images=[png_upload(f"p{i}.png") for i in range(MAX_IMAGES + 1)])
    assert f"最多上传 {MAX_IMAGES} 张照片。" in response.content.decode()
    assert not Letter.objects.exists() and not _files(_media)


def test_the_write_page_sends_a_letter_with_images(resident_client, sender, _media):
    response = _post(resident_client, anonymous="on", images=[png_upload("a.png"), png_upload("b.png")])
    letter = Letter.objects.get()
    assert response["Location"] == reverse("mailbox:my_letter", args=[letter.pk])
    assert letter.anonymous and letter.sender_user_id == sender.pk and letter.images.count() == 2


def test_the_write_page_explains_anonymity(resident_client):
    page = resident_client.get(reverse("mailbox:write")).content.decode()
    assert "处理来信的民警看不到您的姓名、电话和门牌号" in page
    assert 'name="anonymous"' in page and 'name="images"' in page


def test_the_write_page_is_refused_to_staff(worker, client_for):
    assert client_for(worker).get(reverse("mailbox:write")).status_code == 403


def test_the_reply_deadline_is_set_on_writing(write):
    clue = write(kind=Kind.CLUE, at=at(2026, 11, 27, 16))  # a Friday afternoon
    assert clue.reply_due_at == at(2026, 11, 30, 18)  # the next working day, Monday, close of day


def test_a_resident_of_two_houses_chooses_one(sender, tree, client_for):
    from shequ.accounts.models import RoleGrant
    from shequ.accounts.scope import forget_grants

    RoleGrant.objects.create(user=sender, role="resident", area=tree.house_a2.area)
    forget_grants(sender)
    with pytest.raises(ValidationError) as caught:
        services.letter_write(actor=Actor(user=sender), kind=Kind.CLUE, subject="x", body="y")
    assert caught.value.error_dict["house"][0].code == "house_required"
    letter = services.letter_write(actor=Actor(user=sender), kind=Kind.CLUE, subject="x", body="y",
                                   house=tree.house_a2.area)
    assert letter.area_id == tree.house_a2.area.pk
    page = client_for(sender).get(reverse("mailbox:write")).content.decode()
    assert f'value="{tree.house_a2.area.pk}"' in page and "0302" in page
