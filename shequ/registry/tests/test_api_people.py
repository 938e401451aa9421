"""/api/v1/people: masking, reveal, create and update with field errors."""

from __future__ import annotations

import pytest

from shequ.accounts.models import AuditRecord
from shequ.registry.models import CareTag, Person
from shequ.registry.tests.api_client import Api, fields_of

CLEAR_ID = "610113198005170015"
CLEAR_PHONE = "13812345678"


@pytest.fixture
def api(worker):
    return Api(worker)


def test_it_lists_people_with_masked_id_and_phone_only(api, person_a):
    response = api.get("/people")
    assert response.status_code == 200
    [item] = response.json()["items"]
    assert item["id_number_masked"] == "610***********0015"
    assert item["phone_masked"] == "138****5678"
    assert CLEAR_ID not in response.content.decode() and CLEAR_PHONE not in response.content.decode()


def test_it_reads_a_person_without_clear_values(api, person_a):
    response = api.get(f"/people/{person_a.pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "张三"
    body = response.content.decode()
    assert CLEAR_ID not in body and CLEAR_PHONE not in body
    assert "cipher" not in body and "digest" not in body


def test_it_finds_a_person_by_full_id_without_echoing_it(api, person_a, tree):
    from shequ.registry.tests.factories import PersonFactory

    PersonFactory(area=tree.house_a2.area, name="张四")
    response = api.get("/people", q=CLEAR_ID)
    assert [item["id"] for item in response.json()["items"]] == [person_a.pk]
    assert CLEAR_ID not in response.content.decode()


@pytest.mark.parametrize("q", [CLEAR_PHONE, "0015", "张"])
def test_it_finds_a_person_by_phone_id_tail_or_name(api, person_a, q):
    assert [item["id"] for item in api.get("/people", q=q).json()["items"]] == [person_a.pk]


def test_it_reveals_the_id_number_and_audits_it(api, person_a, worker):
    response = api.post(f"/people/{person_a.pk}/reveal", {"field": "id_number", "reason": "核实身份"})
    assert response.status_code == 200
    assert response.json() == {"field": "id_number", "value": CLEAR_ID}
    assert response["Cache-Control"] == "no-store"
    record = AuditRecord.objects.get(action="pii.revealed", object_id=str(person_a.pk))
    assert record.actor_id == worker.pk
    assert record.detail["field"] == "id_number" and record.detail["reason"] == "核实身份"
    assert record.detail["via"] == "api"


def test_it_refuses_to_reveal_without_the_capability(person_a, guard):
    response = Api(guard).post(f"/people/{person_a.pk}/reveal", {"field": "phone", "reason": "x"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert CLEAR_PHONE not in response.content.decode()
    assert not AuditRecord.objects.filter(action="pii.revealed").exists()


def test_it_answers_404_when_revealing_someone_outside_the_callers_areas(person_a, outsider):
    response = Api(outsider).post(f"/people/{person_a.pk}/reveal", {"field": "id_number", "reason": "x"})
    assert response.status_code == 404
    assert CLEAR_ID not in response.content.decode()
    assert not AuditRecord.objects.filter(action="pii.revealed").exists()


def test_it_requires_a_reason_to_reveal(api, person_a):
    response = api.post(f"/people/{person_a.pk}/reveal", {"field": "id_number", "reason": ""})
    assert response.status_code == 422
    assert fields_of(response) == {"reason": ["string_too_short"]}
    assert not AuditRecord.objects.filter(action="pii.revealed").exists()


def test_it_refuses_to_reveal_an_unknown_field(api, person_a):
    response = api.post(f"/people/{person_a.pk}/reveal", {"field": "note", "reason": "x"})
    assert response.status_code == 422
    assert fields_of(response) == {"field": ["literal_error"]}


def test_it_creates_a_person_and_answers_masked(api, tree, worker):
    response = api.post("/people", {"area_id": tree.house_a.area.pk, "name": "王五", "id_number": "11010519491231002X",
                                    "phone": "13900001111"})
    assert response.status_code == 201
    body = response.json()
    assert body["id_number_masked"] == "110***********002X" and body["phone_masked"] == "139****1111"
    assert "11010519491231002X" not in response.content.decode()
    person = Person.objects.get(pk=body["id"])
    assert person.area_id == tree.house_a.area.pk and str(person.birth_date) == "1949-12-31"
    assert AuditRecord.objects.get(action="person.created", object_id=str(person.pk)).actor_id == worker.pk


def test_it_reports_a_bad_id_checksum_on_the_id_number_field(api, tree):
    response = api.post("/people", {"area_id": tree.house_a.area.pk, "name": "王五", "id_number": "610113198005170012"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["field"] == "id_number" and error["message"]
    assert not Person.objects.filter(name="王五").exists()


def test_it_reports_every_bad_field_of_a_person_at_once(api, tree):
    response = api.post("/people", {"area_id": tree.house_a.area.pk, "name": "王五", "id_number": "610113198005170012",
                                    "phone": "12345"})
    assert set(fields_of(response)) == {"id_number", "phone"}
    assert not Person.objects.filter(name="王五").exists()


def test_it_reports_schema_errors_with_their_field_paths(api, tree):
    response = api.post("/people", {"area_id": "x", "id_number": "11010519491231002X", "care_tags": ["ok", 5]})
    assert response.status_code == 422
    errors = fields_of(response)
    assert errors["area_id"] == ["int_parsing"]
    assert errors["name"] == ["missing"]
    assert errors["care_tags.1"] == ["string_type"]
    message = {e["field"]: e["message"] for e in response.json()["detail"]}["name"]
    assert message == "此字段为必填项。"  # ours, through gettext, not pydantic's English


def test_it_refuses_an_area_outside_the_callers_scope_as_unknown(api, tree):
    response = api.post("/people", {"area_id": tree.house_b.area.pk, "name": "王五", "id_number": "11010519491231002X"})
    assert response.status_code == 422
    assert fields_of(response) == {"area_id": ["does_not_exist"]}
    missing = api.post("/people", {"area_id": 999999, "name": "王五", "id_number": "11010519491231002X"})
    assert missing.json()["detail"][0]["message"] == response.json()["detail"][0]["message"]
    assert not Person.objects.filter(name="王五").exists()


def test_it_answers_403_when_the_caller_may_see_but_not_change(tree, police):
    response = Api(police).post("/people", {"area_id": tree.house_a.area.pk, "name": "王五",
                                            "id_number": "11010519491231002X"})
    assert response.status_code == 403
    assert not Person.objects.filter(name="王五").exists()


def test_it_refuses_a_duplicate_id_on_the_id_number_field(api, tree, person_a):
    response = api.post("/people", {"area_id": tree.house_a2.area.pk, "name": "王五", "id_number": CLEAR_ID})
    assert fields_of(response) == {"id_number": ["id_duplicate"]}


def test_it_updates_only_the_fields_sent(api, person_a):
    CareTag.objects.get(code="elderly_alone")
    response = api.patch(f"/people/{person_a.pk}", {"note": "行动不便", "care_tags": ["elderly_alone"]})
    assert response.status_code == 200
    assert response.json()["care_tags"] == ["elderly_alone"]
    person_a.refresh_from_db()
    assert person_a.note == "行动不便" and person_a.name == "张三"
    assert person_a.id_number_masked == "610***********0015"


def test_it_reports_a_bad_new_phone_and_keeps_the_old_one(api, person_a):
    response = api.patch(f"/people/{person_a.pk}", {"phone": "12345", "note": "changed"})
    assert response.status_code == 422
    assert fields_of(response) == {"phone": ["mobile_format"]}
    person_a.refresh_from_db()
    assert person_a.phone_masked == "138****5678" and person_a.note == ""


def test_it_refuses_null_for_a_required_field_in_a_patch(api, person_a):
    response = api.patch(f"/people/{person_a.pk}", {"name": None})
    assert response.status_code == 422
    assert list(fields_of(response)) == ["name"]
    person_a.refresh_from_db()
    assert person_a.name == "张三"


def test_it_refuses_moving_a_person_to_an_area_the_caller_cannot_see(api, person_a, tree):
    response = api.patch(f"/people/{person_a.pk}", {"area_id": tree.house_b.area.pk})
    assert fields_of(response) == {"area_id": ["does_not_exist"]}
    person_a.refresh_from_db()
    assert person_a.area_id == tree.house_a.area.pk


def test_it_refuses_an_unknown_field_instead_of_ignoring_it(api, person_a):
    response = api.patch(f"/people/{person_a.pk}", {"nmae": "李四"})
    assert response.status_code == 422
    assert fields_of(response) == {"nmae": ["extra_forbidden"]}
    person_a.refresh_from_db()
    assert person_a.name == "张三"
