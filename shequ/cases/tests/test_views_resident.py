"""Resident pages: report a problem, my cases, confirm and rate."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import make_user
from shequ.accounts.audit import Actor
from shequ.cases import services
from shequ.cases.models import Case, Channel, Status
from shequ.cases.tests.conftest import png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident_client(resident_user, client_for):
    return client_for(resident_user)


@pytest.fixture
def reported(make_case, resident_user, tree):
    return make_case(actor=Actor(user=resident_user), area=tree.house_a.area, channel=Channel.RESIDENT)


def test_the_report_form_defaults_to_the_residents_house(resident_client, tree):
    page = resident_client.get(reverse("cases:report")).content.decode()
    assert f'<option value="{tree.house_a.area.pk}" selected>' in page
    assert f'value="{tree.complex_a.pk}"' in page  # the complex's public area is offered too


def test_a_resident_reports_a_problem_with_a_photo(resident_client, resident_user, tree, garbage, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = resident_client.post(reverse("cases:report"), {
        "category": garbage.pk, "place": tree.house_a.area.pk, "description": "楼道里堆满了杂物",
        "location_text": "3号楼2单元", "photos": [png_upload("clutter.png")],
    })
    case = Case.objects.get()
    assert response["Location"] == reverse("cases:my_case_detail", args=[case.pk])
    assert (case.channel, case.reporter_user_id, case.area_id) == (Channel.RESIDENT, resident_user.pk,
                                                                   tree.house_a.area.pk)
    assert case.title.startswith("垃圾清运：") and case.photos.count() == 1


def test_a_resident_cannot_report_in_a_place_not_theirs(resident_client, tree, garbage):
    response = resident_client.post(reverse("cases:report"), {
        "category": garbage.pk, "place": tree.house_b.area.pk, "description": "别人家的问题",
    })
    assert response.status_code == 200 and not Case.objects.exists()


def test_a_fake_photo_is_refused_with_its_message(resident_client, tree, garbage):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.png", b"MZ\x90\x00 this is an exe", content_type="image/png")
    response = resident_client.post(reverse("cases:report"), {
        "category": garbage.pk, "place": tree.house_a.area.pk, "description": "有问题", "photos": [fake],
    })
    assert "“x.png”不是 JPEG、PNG 或 WebP 格式的图片。" in response.content.decode()
    assert not Case.objects.exists()


def test_my_cases_shows_only_my_own(reported, make_case, resident_client, tree):
    make_case(title="工作人员登记的事", area=tree.house_a.area)
    page = resident_client.get(reverse("cases:my_case_list")).content.decode()
    assert reported.number in page and "工作人员登记的事" not in page


def test_another_resident_gets_404_on_my_case(reported, tree, client_for):
    neighbour = make_user("neighbour", "resident", tree.house_a2.area)
    assert client_for(neighbour).get(reverse("cases:my_case_detail", args=[reported.pk])).status_code == 404


def test_a_resident_gets_404_on_the_staff_page_of_their_case(reported, resident_client):
    assert resident_client.get(reverse("cases:case_detail", args=[reported.pk])).status_code == 404


def test_the_reporter_sees_their_own_photos(make_case, resident_user, resident_client, tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = make_case(actor=Actor(user=resident_user), area=tree.house_a.area, channel=Channel.RESIDENT,
                     photos=[png_upload()])
    assert resident_client.get(reverse("cases:photo", args=[case.photos.get().pk])).status_code == 200


def test_a_resident_rates_the_resolved_case(reported, worker, resident_client):
    staff = Actor(user=worker)
    services.case_accept(actor=staff, case=reported)
    services.case_resolve(actor=staff, case=reported, resolution="已清理")
    page = resident_client.get(reverse("cases:my_case_detail", args=[reported.pk])).content.decode()
    assert 'id="step-confirm"' in page
    response = resident_client.post(reverse("cases:my_case_act", args=[reported.pk, "confirm"]),
                                     {"confirm-satisfaction": "4", "confirm-comment": "很及时"},
                                     HTTP_HX_REQUEST="true")
    assert "谢谢您" in response.content.decode()
    reported.refresh_from_db()
    assert (reported.status, reported.satisfaction) == (Status.CONFIRMED, 4)


def test_a_resident_cannot_rate_before_resolution(reported, resident_client):
    resident_client.post(reverse("cases:my_case_act", args=[reported.pk, "confirm"]), {"confirm-satisfaction": "5"})
    reported.refresh_from_db()
    assert reported.satisfaction is None and reported.status == Status.NEW


def test_a_resident_cannot_take_staff_steps_on_their_page(reported, resident_client):
    response = resident_client.post(reverse("cases:my_case_act", args=[reported.pk, "accept"]), {})
    assert response.status_code == 404
