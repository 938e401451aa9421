"""Areas, residences, organizations and members, vehicles, facilities over the API."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shequ.accounts.models import AuditRecord
from shequ.registry.models import Facility, Organization, OrganizationMember, Residence, Vehicle
from shequ.registry.tests.api_client import Api, fields_of
from shequ.registry.tests.factories import PersonFactory


@pytest.fixture
def api(worker):
    return Api(worker)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


# -- areas

def test_it_lists_the_children_of_an_area(api, tree):
    assert ids(api.get("/areas", parent_id=tree.community_a.pk)) == [tree.complex_a.pk]


def test_it_lists_a_subtree_in_tree_order(api, tree):
    expected = [tree.complex_a.pk, tree.building_a.pk, tree.unit_a.pk, tree.house_a.area.pk, tree.house_a2.area.pk]
    assert ids(api.get("/areas", area_id=tree.complex_a.pk)) == expected


def test_it_lists_only_the_areas_under_the_callers_grants(api, tree):
    listed = ids(api.get("/areas"))
    assert tree.community_a.pk in listed
    assert tree.street.pk not in listed and tree.community_b.pk not in listed


def test_it_reads_an_area(api, tree):
    body = api.get(f"/areas/{tree.unit_a.pk}").json()
    assert body["level"] == "unit" and body["parent_id"] == tree.building_a.pk and body["path"] == tree.unit_a.path


# -- residences

def test_it_moves_a_person_in_and_out_keeping_the_history(api, tree, person_a):
    created = api.post("/residences", {"person_id": person_a.pk, "house_id": tree.house_a2.pk, "relation": "tenant",
                                       "population_type": "floating", "start_date": "2024-03-01"})
    assert created.status_code == 201
    residence_id = created.json()["id"]
    assert created.json()["person_name"] == "张三"
    assert ids(api.get("/residences", house_id=tree.house_a2.pk, current=True)) == [residence_id]
    ended = api.patch(f"/residences/{residence_id}", {"end_date": "2024-09-30"})
    assert ended.status_code == 200 and ended.json()["end_date"] == "2024-09-30"
    assert ids(api.get("/residences", house_id=tree.house_a2.pk, current=True)) == []
    assert ids(api.get("/residences", house_id=tree.house_a2.pk, current=False)) == [residence_id]
    assert Residence.objects.filter(pk=residence_id).exists()


def test_it_reports_a_lease_ending_before_the_move_in(api, tree, person_a):
    response = api.post("/residences", {"person_id": person_a.pk, "house_id": tree.house_a2.pk, "relation": "tenant",
                                        "population_type": "floating", "start_date": "2024-03-01",
                                        "lease_end": "2024-01-01"})
    assert fields_of(response) == {"lease_end": ["lease_end"]}
    assert not Residence.objects.filter(house=tree.house_a2).exists()


def test_it_reports_moving_in_twice_on_house_id(api, tree, person_a):
    body = {"person_id": person_a.pk, "house_id": tree.house_a2.pk, "relation": "family", "population_type": "resident"}
    assert api.post("/residences", body).status_code == 201
    assert fields_of(api.post("/residences", body)) == {"house_id": ["residence_duplicate"]}


# -- organizations and members

PROPERTY_COMPANY = {"name": "物业", "kind": "property_company"}

def test_it_creates_an_organization_and_audits_it(api, tree, worker):
    response = api.post("/organizations", {"area_id": tree.community_a.pk, "name": "长庆坊党支部", "kind": "party_org"})
    assert response.status_code == 201
    organization = Organization.objects.get(pk=response.json()["id"])
    assert organization.uscc is None
    record = AuditRecord.objects.get(action="organization.created", object_id=str(organization.pk))
    assert record.actor_id == worker.pk and record.detail["via"] == "api"


def test_it_reports_a_bad_uscc(api, tree):
    response = api.post("/organizations", {"area_id": tree.community_a.pk, "name": "某商户", "kind": "merchant",
                                           "uscc": "91610113MA6U123456"})
    assert response.status_code == 422
    assert list(fields_of(response)) == ["uscc"]
    assert not Organization.objects.filter(name="某商户").exists()


def test_it_reports_an_unknown_kind(api, tree):
    response = api.post("/organizations", {"area_id": tree.community_a.pk, "name": "某商户", "kind": "club"})
    assert fields_of(response) == {"kind": ["enum"]}


def test_it_adds_and_ends_a_membership(api, tree, person_a):
    organization = api.post("/organizations", PROPERTY_COMPANY | {"area_id": tree.community_a.pk}).json()
    path = f"/organizations/{organization['id']}/members"
    added = api.post(path, {"person_id": person_a.pk, "role": "经理", "is_contact": True})
    assert added.status_code == 201 and added.json()["person_name"] == "张三"
    member_id = added.json()["id"]
    assert ids(api.get(path, current=True)) == [member_id]
    assert api.patch(f"{path}/{member_id}", {"end_date": "2025-01-31"}).status_code == 200
    assert ids(api.get(path, current=True)) == []
    assert OrganizationMember.objects.get(pk=member_id).end_date == date(2025, 1, 31)


def test_it_refuses_a_member_from_outside_the_callers_areas(api, tree, person_b):
    organization = api.post("/organizations", PROPERTY_COMPANY | {"area_id": tree.community_a.pk}).json()
    response = api.post(f"/organizations/{organization['id']}/members", {"person_id": person_b.pk})
    assert fields_of(response) == {"person_id": ["does_not_exist"]}


# -- vehicles

def test_it_registers_a_new_energy_vehicle(api, tree, person_a):
    response = api.post("/vehicles", {"area_id": tree.complex_a.pk, "plate": "陕ad12345", "owner_id": person_a.pk,
                                      "house_id": tree.house_a.pk})
    assert response.status_code == 201
    body = response.json()
    assert body["plate"] == "陕AD12345" and body["plate_kind"] == "new_energy" and body["owner_id"] == person_a.pk


def test_it_reports_a_bad_plate_and_keeps_the_old_one(api, tree):
    created = api.post("/vehicles", {"area_id": tree.complex_a.pk, "plate": "陕A12345"}).json()
    response = api.patch(f"/vehicles/{created['id']}", {"plate": "陕AI2345"})
    assert response.status_code == 422 and list(fields_of(response)) == ["plate"]
    assert Vehicle.objects.get(pk=created["id"]).plate == "陕A12345"


def test_it_reports_a_plate_registered_twice_on_the_plate_field(api, tree):
    assert api.post("/vehicles", {"area_id": tree.complex_a.pk, "plate": "陕A12345"}).status_code == 201
    response = api.post("/vehicles", {"area_id": tree.complex_a.pk, "plate": "陕A12345"})
    assert response.status_code == 422 and list(fields_of(response)) == ["plate"]
    assert Vehicle.objects.filter(plate="陕A12345").count() == 1


def test_it_finds_vehicles_by_plate_prefix_and_owner(api, tree, person_a):
    api.post("/vehicles", {"area_id": tree.complex_a.pk, "plate": "陕A12345", "owner_id": person_a.pk})
    other = PersonFactory(area=tree.house_a2.area)
    api.post("/vehicles", {"area_id": tree.complex_a.pk, "plate": "陕B12345", "owner_id": other.pk})
    assert len(ids(api.get("/vehicles", q="陕a"))) == 1
    assert len(ids(api.get("/vehicles", owner_id=other.pk))) == 1


# -- facilities

def test_it_lists_facilities_due_for_inspection(api, tree):
    today = date.today()
    due = api.post("/facilities", {"area_id": tree.complex_a.pk, "kind": "extinguisher", "name": "1号楼灭火器",
                                   "next_inspection_on": str(today - timedelta(days=3))}).json()
    api.post("/facilities", {"area_id": tree.complex_a.pk, "kind": "extinguisher", "name": "2号楼灭火器",
                             "next_inspection_on": str(today + timedelta(days=30))})
    assert ids(api.get("/facilities", inspection_due=True)) == [due["id"]]


def test_it_reports_a_next_inspection_before_the_last(api, tree):
    response = api.post("/facilities", {"area_id": tree.complex_a.pk, "kind": "elevator", "name": "电梯",
                                        "last_inspected_on": "2025-05-01", "next_inspection_on": "2025-04-01"})
    assert fields_of(response) == {"next_inspection_on": ["inspection_dates"]}
    assert not Facility.objects.exists()


def test_it_updates_a_facility_status(api, tree):
    created = api.post("/facilities", {"area_id": tree.complex_a.pk, "kind": "camera", "name": "东门摄像机"}).json()
    assert api.patch(f"/facilities/{created['id']}", {"status": "faulty"}).json()["status"] == "faulty"
    assert ids(api.get("/facilities", status="faulty")) == [created["id"]]
