"""/api/v1/houses: create with residents (all or nothing), nested error paths, update."""

from __future__ import annotations

import pytest

from shequ.registry.models import Area, House, Person, Residence
from shequ.registry.tests.api_client import Api, fields_of
from shequ.registry.tests.factories import unique_resident_id


@pytest.fixture
def api(worker):
    return Api(worker)


def resident(**overrides):
    data = {"name": "住户", "id_number": unique_resident_id(), "phone": "13900000001",
            "relation": "family", "population_type": "resident"}
    data.update(overrides)
    return data


def test_it_creates_a_house_with_its_residents(api, tree):
    response = api.post("/houses", {"unit_id": tree.unit_a.pk, "number": "0501", "floor": 5, "floor_area": "95.20",
                                    "residents": [resident(name="甲", relation="owner"), resident(name="乙")]})
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == "0501" and body["floor_area"] == "95.20" and body["unit_id"] == tree.unit_a.pk
    house = House.objects.get(pk=body["id"])
    assert {r.person.name for r in Residence.objects.filter(house=house)} == {"甲", "乙"}
    assert set(Person.objects.filter(name__in=["甲", "乙"]).values_list("area_id", flat=True)) == {house.area_id}


def test_it_reports_a_bad_residents_phone_at_its_dotted_path_and_writes_nothing(api, tree):
    residents = [resident(name="甲"), resident(name="乙"), resident(name="丙", phone="12345")]
    response = api.post("/houses", {"unit_id": tree.unit_a.pk, "number": "0501", "floor_area": "95.20",
                                    "residents": residents})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["field"] == "residents.2.phone" and error["code"] == "mobile_format" and error["message"]
    assert not House.objects.filter(number="0501").exists()
    assert not Area.objects.filter(code__endswith="-0501").exists()
    assert not Person.objects.filter(name__in=["甲", "乙", "丙"]).exists()


def test_it_reports_every_bad_resident_at_once(api, tree):
    residents = [resident(id_number="610113198005170012"), resident(), resident(phone="12345")]
    response = api.post("/houses", {"unit_id": tree.unit_a.pk, "number": "0501", "floor_area": "95.20",
                                    "residents": residents})
    assert set(fields_of(response)) == {"residents.0.id_number", "residents.2.phone"}
    assert not Person.objects.filter(name="住户").exists()


def test_it_reports_nested_schema_errors_with_dotted_paths(api, tree):
    residents = [resident(), {"name": "乙", "id_number": unique_resident_id(), "population_type": "resident"},
                 resident(relation="cousin")]
    response = api.post("/houses", {"unit_id": tree.unit_a.pk, "number": "0501", "floor_area": "-3",
                                    "residents": residents})
    assert response.status_code == 422
    assert fields_of(response) == {"floor_area": ["greater_than"], "residents.1.relation": ["missing"],
                                   "residents.2.relation": ["enum"]}
    assert not House.objects.filter(number="0501").exists()


def test_it_refuses_a_unit_outside_the_callers_areas(api, tree):
    response = api.post("/houses", {"unit_id": tree.unit_b.pk, "number": "0501", "floor_area": "95.20"})
    assert fields_of(response) == {"unit_id": ["does_not_exist"]}
    assert not House.objects.filter(number="0501").exists()


def test_it_reports_a_house_not_under_a_unit_on_unit_id(api, tree):
    response = api.post("/houses", {"unit_id": tree.building_a.pk, "number": "0501", "floor_area": "95.20"})
    assert fields_of(response) == {"unit_id": ["house_parent"]}


def test_it_reports_a_duplicate_area_code_on_the_code_field(api, tree):
    response = api.post("/houses", {"unit_id": tree.unit_a.pk, "number": "0303", "floor_area": "95.20",
                                    "code": tree.house_a.area.code})
    assert response.status_code == 422
    assert fields_of(response) == {"code": ["unique"]}
    assert not House.objects.filter(number="0303").exists()


def test_it_updates_a_house(api, tree):
    response = api.patch(f"/houses/{tree.house_a.pk}", {"status": "rented", "floor_area": "90.00"})
    assert response.status_code == 200
    tree.house_a.refresh_from_db()
    assert tree.house_a.status == "rented" and str(tree.house_a.floor_area) == "90.00"


def test_it_filters_houses_by_status_and_number(api, tree):
    api.patch(f"/houses/{tree.house_a2.pk}", {"status": "vacant"})
    assert [h["id"] for h in api.get("/houses", status="vacant").json()["items"]] == [tree.house_a2.pk]
    assert [h["id"] for h in api.get("/houses", q="0301").json()["items"]] == [tree.house_a.pk]
