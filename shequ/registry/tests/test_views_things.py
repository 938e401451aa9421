"""Vehicle and facility pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.registry import services
from shequ.registry.models import Facility, Vehicle

SYSTEM = Actor.system(via="test")


@pytest.fixture
def vehicle_a(tree, person_a):
    return services.vehicle_create(actor=SYSTEM, area=tree.complex_a, plate="陕A12345", owner=person_a,
                                   house=tree.house_a)


def _vehicle_data(tree, **overrides):
    return {"plate": "陕AD12345", "area": tree.complex_a.pk, "owner": "", "house": "", "parking_space": "B-12",
            "brand": "比亚迪", "color": "白", **overrides}


def test_it_lists_vehicles_with_their_owner(vehicle_a, worker, client_for):
    content = client_for(worker).get(reverse("registry:vehicle_list")).content.decode()
    assert "陕A12345" in content and "张三" in content


def test_it_searches_vehicles_by_part_of_the_plate(vehicle_a, worker, client_for):
    client = client_for(worker)
    assert [v.plate for v in client.get(reverse("registry:vehicle_list"), {"q": "a123"}).context["rows"]] == ["陕A12345"]
    assert client.get(reverse("registry:vehicle_list"), {"q": "B999"}).context["rows"] == []


def test_it_creates_a_new_energy_vehicle(tree, person_a, worker, client_for):
    response = client_for(worker).post(reverse("registry:vehicle_create"),
                                       _vehicle_data(tree, owner=person_a.pk, house=tree.house_a.pk))
    vehicle = Vehicle.objects.get(plate="陕AD12345")
    assert response.status_code == 302
    assert vehicle.plate_kind == "new_energy" and vehicle.owner_id == person_a.pk


def test_it_shows_a_bad_plate_next_to_the_field(tree, worker, client_for):
    response = client_for(worker).post(reverse("registry:vehicle_create"), _vehicle_data(tree, plate="ABC"))
    assert "车牌号格式不正确" in response.content.decode().split('id="field-plate"')[1]
    assert not Vehicle.objects.exists()


def test_it_refuses_an_owner_from_another_community(tree, person_b, worker, client_for):
    response = client_for(worker).post(reverse("registry:vehicle_create"), _vehicle_data(tree, owner=person_b.pk))
    assert "请从搜索结果中选择一项" in response.content.decode()
    assert not Vehicle.objects.exists()


def test_it_edits_and_deletes_a_vehicle(tree, vehicle_a, worker, client_for):
    client = client_for(worker)
    client.post(reverse("registry:vehicle_edit", args=[vehicle_a.pk]),
                _vehicle_data(tree, plate="陕A12345", color="黑", owner=vehicle_a.owner_id))
    vehicle_a.refresh_from_db()
    assert vehicle_a.color == "黑"
    client.post(reverse("registry:vehicle_delete", args=[vehicle_a.pk]))
    assert not Vehicle.objects.filter(pk=vehicle_a.pk).exists()
    assert AuditRecord.objects.filter(action="vehicle.deleted").exists()


def test_the_outsider_cannot_see_edit_or_delete_a_vehicle_of_a(tree, vehicle_a, outsider, client_for):
    client = client_for(outsider)
    assert client.get(reverse("registry:vehicle_detail", args=[vehicle_a.pk])).status_code == 404
    assert client.post(reverse("registry:vehicle_edit", args=[vehicle_a.pk]),
                       _vehicle_data(tree, area=tree.complex_b.pk)).status_code == 404
    assert client.post(reverse("registry:vehicle_delete", args=[vehicle_a.pk])).status_code == 404
    vehicle_a.refresh_from_db()
    assert vehicle_a.area_id == tree.complex_a.pk


# --- facilities -------------------------------------------------------------------------------------------------

def _facility_data(tree, **overrides):
    return {"kind": "extinguisher", "name": "2单元灭火器", "serial": "MH-01", "area": tree.unit_a.pk, "location": "一楼",
            "latitude": "", "longitude": "", "status": "in_service", "installed_on": "2023-01-01",
            "last_inspected_on": "2024-01-01", "next_inspection_on": "2025-01-01", **overrides}


def test_it_lists_facilities_due_for_inspection(tree, worker, client_for):
    services.facility_create(actor=SYSTEM, area=tree.complex_a, kind="elevator", name="过期电梯",
                             next_inspection_on=date.today() - timedelta(days=3))
    services.facility_create(actor=SYSTEM, area=tree.complex_a, kind="elevator", name="新电梯",
                             next_inspection_on=date.today() + timedelta(days=90))
    rows = client_for(worker).get(reverse("registry:facility_list"), {"due": "on"}).context["rows"]
    assert [facility.name for facility in rows] == ["过期电梯"]


def test_it_creates_a_facility(tree, worker, client_for):
    response = client_for(worker).post(reverse("registry:facility_create"), _facility_data(tree))
    facility = Facility.objects.get(name="2单元灭火器")
    assert response["Location"] == reverse("registry:facility_detail", args=[facility.pk])
    assert str(facility.next_inspection_on) == "2025-01-01"


def test_it_shows_inspection_dates_out_of_order_next_to_the_field(tree, worker, client_for):
    response = client_for(worker).post(reverse("registry:facility_create"),
                                       _facility_data(tree, next_inspection_on="2023-06-01"))
    assert "下次检查日期不能早于上次检查日期" in response.content.decode().split('id="field-next_inspection_on"')[1]
    assert not Facility.objects.exists()


def test_the_outsider_cannot_change_a_facility_of_a(tree, outsider, client_for):
    facility = services.facility_create(actor=SYSTEM, area=tree.complex_a, kind="camera", name="甲摄像机")
    response = client_for(outsider).post(reverse("registry:facility_edit", args=[facility.pk]),
                                         _facility_data(tree, area=tree.complex_b.pk))
    assert response.status_code == 404
    facility.refresh_from_db()
    assert facility.name == "甲摄像机"
