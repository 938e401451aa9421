"""POST requests: a request from an upper-level platform becomes a case."""

from __future__ import annotations

import pytest

from shequ.accounts.models import AuditRecord
from shequ.cases.models import Case, Category
from shequ.core import pii
from shequ.open311.models import ServiceAttribute, ServiceRequest
from shequ.open311.tests.conftest import BASE, post, xml

GOOD = {"service_code": "garbage", "description": "3号楼门口垃圾堆了三天", "address_id": "CQF-03"}


def test_it_files_a_case_on_the_open311_channel_and_answers_its_id(client, key_a, tree):
    response = post(client, key=key_a, **GOOD, lat="34.223", long="108.947")
    assert response.status_code == 200
    [answer] = response.json()
    case = Case.objects.get(number=answer["service_request_id"])
    assert case.channel == Case.Channel.OPEN311
    assert (case.area, case.complex) == (tree.building_a, tree.complex_a)
    assert case.category.code == "garbage" and case.status == Case.Status.NEW
    assert case.description == GOOD["description"] and case.title == GOOD["description"][:30]
    assert str(case.latitude) == "34.223000" and case.due_at is not None
    assert answer["token"] == ServiceRequest.objects.get(case=case).token
    assert answer["account_id"] is None
    assert case.number in answer["service_notice"]


def test_it_answers_the_created_request_in_xml(client, key_a, tree):
    response = post(client, "xml", key=key_a, **GOOD, account_id="u-77")
    assert response.status_code == 200
    root = xml(response)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert Case.objects.filter(number=request.findtext("service_request_id")).exists()
    assert request.findtext("account_id") == "u-77"


def test_it_acts_as_the_keys_user_in_the_timeline_and_audit(client, key_a, tree):
    [answer] = post(client, key=key_a, **GOOD).json()
    case = Case.objects.get(number=answer["service_request_id"])
    event = case.events.get()
    assert event.actor == key_a.user and event.action == "created"
    record = AuditRecord.objects.filter(action="case.created", object_id=str(case.pk)).get()
    assert record.actor == key_a.user and record.detail["via"] == "open311"


def test_it_accepts_the_key_in_the_x_api_key_header(client, key_a, tree):
    response = client.post(f"{BASE}/requests.json", GOOD, HTTP_X_API_KEY=key_a.raw)
    assert response.status_code == 200
    assert Case.objects.filter(channel="open311").count() == 1


def test_it_refuses_a_request_without_a_key_with_403_in_json(client, tree):
    response = post(client, **GOOD)
    assert response.status_code == 403
    assert response.json() == [{"code": 403, "description": "api_key 缺失或无效。"}]
    assert not Case.objects.exists()


def test_it_refuses_a_bad_key_with_403_in_xml(client, key_a, tree):
    response = post(client, "xml", **GOOD, api_key=key_a.raw[:-4] + "0000")
    assert response.status_code == 403
    root = xml(response)
    assert root.tag == "errors"
    assert [(node.findtext("code"), node.findtext("description")) for node in root.findall("error")] == [
        ("403", "api_key 缺失或无效。")]
    assert not Case.objects.exists()


def test_it_refuses_a_key_filing_in_another_community_with_403(client, key_b, tree):
    response = post(client, key=key_b, **GOOD)
    assert response.status_code == 403
    assert response.json()[0]["code"] == 403
    assert not Case.objects.exists()


def test_it_refuses_an_unknown_service_code_with_400(client, key_a, tree):
    response = post(client, key=key_a, **dict(GOOD, service_code="potholes"))
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": "service_code: 没有代码为“potholes”的服务。"}]


def test_it_refuses_an_inactive_service_with_400(client, key_a, garbage):
    Category.objects.filter(pk=garbage.pk).update(is_active=False)
    assert post(client, key=key_a, **GOOD).status_code == 400


def test_it_refuses_a_request_without_a_location_with_400(client, key_a, tree):
    response = post(client, "xml", key=key_a, service_code="garbage", description="垃圾")
    assert response.status_code == 400
    description = xml(response).findtext("error/description")
    assert description.startswith("address_id: ") and "lat/long" in description
    assert not Case.objects.exists()


def test_it_refuses_coordinates_alone_because_they_cannot_place_the_case(client, key_a, tree):
    response = post(client, key=key_a, service_code="garbage", description="垃圾", lat="34.2", long="108.9")
    assert response.status_code == 400
    assert "address_id" in response.json()[0]["description"]


def test_it_refuses_an_unknown_address_id(client, key_a, tree):
    response = post(client, key=key_a, **dict(GOOD, address_id="NOWHERE"))
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("address_id: ")


def test_it_refuses_an_address_above_complex_level(client, key_a, tree):
    response = post(client, key=key_a, **dict(GOOD, address_id=tree.community_a.code))
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("address_id: ")


def test_it_places_a_request_by_a_complex_named_in_the_address_string(client, key_a, tree):
    response = post(client, key=key_a, service_code="garbage", description="垃圾",
                    address_string="雁塔区小寨路街道长庆坊小区北门")
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.area == tree.complex_a and case.location_text == "雁塔区小寨路街道长庆坊小区北门"


def test_it_does_not_place_by_a_complex_name_outside_the_keys_areas(client, key_b, tree):
    response = post(client, key=key_b, service_code="garbage", description="垃圾", address_string="长庆坊北门")
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("address_string: ")


def test_it_requires_a_description(client, key_a, tree):
    response = post(client, key=key_a, **dict(GOOD, description=""))
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": "description: 必填。"}]


def test_it_reports_every_bad_field_at_once(client, key_a, tree):
    response = post(client, key=key_a, **dict(GOOD, description="", media_url="ftp://x", email="nope"),
                    **{"attribute[urgency]": "asap"})
    assert response.status_code == 400
    fields = sorted(error["description"].split(":")[0] for error in response.json())
    assert fields == ["attribute[urgency]", "description", "email", "media_url"]


def test_it_sets_urgency_request_type_and_title_from_attributes(client, key_a, tree):
    response = post(client, key=key_a, **GOOD, **{
        "attribute[urgency]": "urgent", "attribute[request_type]": "report", "attribute[title]": "垃圾堆积"})
    assert response.status_code == 200
    case = Case.objects.get()
    assert (case.urgency, case.request_type, case.title) == ("urgent", "report", "垃圾堆积")


def test_it_refuses_a_missing_required_attribute(client, key_a, garbage):
    ServiceAttribute.objects.create(category=garbage, code="bins", description="几个垃圾桶", datatype="number",
                                    required=True)
    response = post(client, key=key_a, **GOOD)
    assert response.status_code == 400
    assert response.json()[0]["description"] == "attribute[bins]: 必填（几个垃圾桶）"


def test_it_keeps_own_attribute_answers_and_shows_them_in_the_description(client, key_a, garbage):
    ServiceAttribute.objects.create(
        category=garbage, code="kinds", description="垃圾种类", datatype="multivaluelist",
        values=[{"key": "food", "name": "厨余"}, {"key": "bulky", "name": "大件"}, {"key": "glass", "name": "玻璃"}])
    response = post(client, key=key_a, **GOOD, **{"attribute[kinds][]": ["food", "bulky"]})
    assert response.status_code == 200
    row = ServiceRequest.objects.select_related("case").get()
    assert row.attributes == {"kinds": ["food", "bulky"]}
    assert row.case.description.endswith("垃圾种类：厨余、大件")


def test_it_refuses_a_value_not_in_the_list(client, key_a, garbage):
    ServiceAttribute.objects.create(category=garbage, code="kinds", description="垃圾种类", datatype="multivaluelist",
                                    values=[{"key": "food", "name": "厨余"}])
    response = post(client, key=key_a, **GOOD, **{"attribute[kinds][]": ["food", "uranium"]})
    assert response.status_code == 400
    assert "uranium" in response.json()[0]["description"]


def test_it_keeps_the_reporters_contact_protected(client, key_a, tree):
    response = post(client, key=key_a, **GOOD, first_name="三", last_name="张", phone="13812345678",
                    email="zhangsan@example.cn")
    assert response.status_code == 200
    case = Case.objects.get()
    row = ServiceRequest.objects.get()
    assert case.reporter_name == "张三" and case.reporter_phone_masked == "138****5678"
    assert pii.decrypt(case.reporter_phone_cipher) == "13812345678"
    assert row.email_masked == "z***@example.cn" and pii.decrypt(row.email_cipher) == "zhangsan@example.cn"
    assert b"13812345678" not in response.content and b"zhangsan" not in response.content


def test_it_refuses_a_bad_phone_naming_the_open311_field(client, key_a, tree):
    response = post(client, key=key_a, **GOOD, phone="12345")
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("phone: ")
    assert not Case.objects.exists()


def test_it_refuses_bad_coordinates_naming_the_open311_field(client, key_a, tree):
    response = post(client, key=key_a, **GOOD, lat="123.5")
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("lat: ")


def test_it_leaves_no_case_behind_when_the_request_row_cannot_be_written(client, key_a, tree, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ServiceRequest.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        post(client, key=key_a, **GOOD)
    assert not Case.objects.exists()


def test_it_files_a_request_in_a_bounded_number_of_queries(client, key_a, tree, django_assert_max_num_queries):
    post(client, key=key_a, **GOOD)  # the key's last_used_at is written on first use only
    with django_assert_max_num_queries(24):
        assert post(client, key=key_a, **GOOD).status_code == 200
