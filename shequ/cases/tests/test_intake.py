"""case_create / case_prepare: rights, validation, numbers, photos, timeline and audit."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.cases.models import Case, CaseEvent, CasePhoto, Channel, Status
from shequ.cases.services import IntakeContext, case_numbers_reserve, case_prepare
from shequ.cases.tests.conftest import SYSTEM, png_upload
from shequ.core import pii

pytestmark = pytest.mark.django_db


def codes(exc: ValidationError, field: str) -> list[str]:
    return [error.code for error in exc.error_dict[field]]


def test_it_numbers_cases_per_day(make_case):
    first, second = make_case(), make_case()
    today = timezone.localdate().strftime("%Y%m%d")
    assert first.number == f"SQ{today}-00001"
    assert second.number == f"SQ{today}-00002"


def test_it_reserves_a_block_of_numbers_for_bulk_writers(db):
    with transaction.atomic():
        block = case_numbers_reserve(3)
        after = case_numbers_reserve(1)
    assert [int(n[-5:]) for n in block] == [1, 2, 3]
    assert after[0].endswith("-00004")
    assert all(re.fullmatch(r"SQ\d{8}-\d{5}", n) for n in block)


def test_it_finds_the_complex_and_the_deadline(make_case, tree):
    case = make_case(area=tree.house_a.area)
    case.refresh_from_db()
    assert case.complex_id == tree.complex_a.pk
    assert case.status == Status.NEW and case.due_at > case.received_at


def test_it_writes_the_created_step_and_an_audit_record(make_case):
    case = make_case()
    event = CaseEvent.objects.get(case=case)
    assert (event.action, event.to_status) == ("created", Status.NEW)
    assert AuditRecord.objects.filter(action="case.created", object_id=str(case.pk)).exists()


def test_it_refuses_an_area_above_the_complex(make_case, tree):
    with pytest.raises(ValidationError) as exc:
        make_case(area=tree.community_a)
    assert codes(exc.value, "area") == ["area_level"]
    assert not Case.objects.exists()


def test_it_lets_community_staff_enter_a_case_in_their_community(make_case, worker):
    case = make_case(actor=Actor(user=worker))
    assert case.reporter_user_id is None


def test_it_refuses_staff_of_another_community(make_case, outsider):
    with pytest.raises(PermissionDenied):
        make_case(actor=Actor(user=outsider))
    assert not Case.objects.exists()


def test_it_lets_a_resident_report_at_home_as_themselves(make_case, resident_user, tree):
    case = make_case(actor=Actor(user=resident_user), area=tree.house_a.area, channel=Channel.RESIDENT)
    assert case.reporter_user_id == resident_user.pk


def test_it_lets_a_resident_report_in_the_yard_of_their_complex(make_case, resident_user, tree):
    case = make_case(actor=Actor(user=resident_user), area=tree.complex_a, channel=Channel.RESIDENT)
    assert case.complex_id == tree.complex_a.pk


def test_it_refuses_a_resident_reporting_in_another_complex(make_case, resident_user, tree):
    with pytest.raises(PermissionDenied):
        make_case(actor=Actor(user=resident_user), area=tree.complex_b, channel=Channel.RESIDENT)


def test_it_refuses_a_resident_posing_as_the_hotline(make_case, resident_user, tree):
    with pytest.raises(ValidationError) as exc:
        make_case(actor=Actor(user=resident_user), area=tree.house_a.area, channel=Channel.HOTLINE)
    assert codes(exc.value, "channel") == ["channel_resident"]


def test_it_stores_the_reporter_phone_protected(make_case):
    case = make_case(reporter_phone="+86 138-1234-5678")
    case.refresh_from_db()
    assert case.reporter_phone_masked == "138****5678"
    assert pii.decrypt(case.reporter_phone_cipher) == "13812345678"
    assert case.reporter_phone_digest == pii.digest("phone", "13812345678")


def test_it_reports_every_bad_field_at_once(make_case):
    with pytest.raises(ValidationError) as exc:
        make_case(title=" ", description="", reporter_phone="12345", latitude="91")
    assert {"title", "description", "reporter_phone", "latitude"} <= set(exc.value.error_dict)


def test_it_refuses_a_received_time_in_the_future(make_case):
    with pytest.raises(ValidationError) as exc:
        make_case(received_at=timezone.now() + timezone.timedelta(hours=1))
    assert codes(exc.value, "received_at") == ["received_future"]


def test_it_refuses_the_same_hotline_ticket_twice(make_case):
    first = make_case(channel=Channel.HOTLINE, external_ref="GD2026112500001")
    with pytest.raises(ValidationError) as exc:
        make_case(channel=Channel.HOTLINE, external_ref="GD2026112500001")
    assert codes(exc.value, "external_ref") == ["external_ref_duplicate"]
    assert first.number in exc.value.error_dict["external_ref"][0].message


def test_it_stores_a_real_photo_under_a_random_name(make_case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = make_case(photos=[png_upload("../../etc/passwd.png")])
    photo = CasePhoto.objects.get(case=case)
    assert re.fullmatch(rf"cases/{case.pk}/[0-9a-f]{{32}}\.png", photo.image.name)
    assert (tmp_path / photo.image.name).exists()


def test_it_refuses_a_file_that_only_claims_to_be_a_photo(make_case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("scan.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        make_case(photos=[fake])
    assert exc.value.error_dict["photos"][0].message == "“scan.jpg”不是 JPEG、PNG 或 WebP 格式的图片。"
    assert not Case.objects.exists() and not CasePhoto.objects.exists()


def test_it_refuses_an_image_of_another_format(make_case):
    buffer = __import__("io").BytesIO()
    __import__("PIL.Image").Image.new("RGB", (4, 4)).save(buffer, "GIF")
    gif = SimpleUploadedFile("a.png", buffer.getvalue(), content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        make_case(photos=[gif])
    assert codes(exc.value, "photos") == ["photo_type"]


def test_it_refuses_a_photo_over_five_megabytes(make_case):
    big = png_upload("big.png")
    big.size = 5 * 1024 * 1024 + 1
    with pytest.raises(ValidationError) as exc:
        make_case(photos=[big])
    assert exc.value.error_dict["photos"][0].message == "照片“big.png”超过 5 MB，请压缩后再上传。"


def test_it_refuses_a_seventh_photo(make_case):
    with pytest.raises(ValidationError) as exc:
        make_case(photos=[png_upload(f"{n}.png") for n in range(7)])
    assert exc.value.error_dict["photos"][0].message == "最多上传 6 张照片。"


def test_it_accepts_jpeg_and_webp(make_case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = make_case(photos=[png_upload("a.jpg", fmt="JPEG"), png_upload("b.webp", fmt="WEBP")])
    assert sorted(p.image.name.rsplit(".", 1)[1] for p in case.photos.all()) == ["jpg", "webp"]


def test_it_prepares_an_unsaved_unnumbered_case_without_queries(tree, garbage, django_assert_num_queries):
    context = IntakeContext.load(2026, 2026)
    context.complexes[tree.complex_a.pk] = tree.complex_a
    with django_assert_num_queries(0):
        case = case_prepare(actor=SYSTEM, channel=Channel.HOTLINE, category=garbage, area=tree.complex_a,
                            title="垃圾", description="垃圾未清运", context=context)
    assert case.pk is None and case.number == "" and case.due_at is not None
