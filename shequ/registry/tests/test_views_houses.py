"""House pages."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from shequ.accounts.models import AuditRecord
from shequ.registry.models import House


def _house_data(tree, **overrides):
    return {"unit": tree.unit_a.pk, "number": "0401", "floor": "4", "floor_area": "95.20", "use": "residential",
            "status": "rented", "ownership": "commodity", **overrides}


def test_it_lists_houses_with_their_address(tree, worker, client_for):
    response = client_for(worker).get(reverse("registry:house_list"))
    content = response.content.decode()
    assert "长庆坊 3号楼 2单元 0301" in content
    assert "西何小区" not in content


def test_it_filters_houses_by_status(tree, worker, client_for):
    House.objects.filter(pk=tree.house_a2.pk).update(status="vacant")
    rows = client_for(worker).get(reverse("registry:house_list"), {"status": "vacant"}).context["rows"]
    assert [house.number for house in rows] == ["0302"]


def test_it_searches_houses_by_address_words(tree, worker, client_for):
    rows = client_for(worker).get(reverse("registry:house_list"), {"q": "3号楼 0302"}).context["rows"]
    assert [house.number for house in rows] == ["0302"]


def test_it_shows_current_residents_masked_on_the_house_page(tree, person_a, worker, client_for):
    from shequ.accounts.audit import Actor
    from shequ.registry import services

    services.residence_start(actor=Actor.system(via="test"), person=person_a, house=tree.house_a,
                             relation="owner", population_type="registered")
    content = client_for(worker).get(reverse("registry:house_detail", args=[tree.house_a.pk])).content.decode()
    assert "张三" in content and "610***********0015" in content
    assert "610113198005170015" not in content


def test_it_creates_a_house_under_a_unit(tree, worker, client_for):
    response = client_for(worker).post(reverse("registry:house_create"), _house_data(tree))
    house = House.objects.get(number="0401")
    assert response.status_code == 302
    assert house.area.parent_id == tree.unit_a.pk and house.floor_area == Decimal("95.20")
    assert AuditRecord.objects.filter(action="house.created", object_id=str(house.pk)).exists()


def test_it_shows_a_duplicate_house_number_next_to_the_number(tree, worker, client_for):
    response = client_for(worker).post(reverse("registry:house_create"), _house_data(tree, number="0301"))
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode().split('id="field-number"')[1].split('id="field-floor"')[0]
    assert House.objects.filter(number="0301").count() == 1


def test_it_shows_a_non_positive_floor_area_on_the_form(tree, worker, client_for):
    response = client_for(worker).post(reverse("registry:house_create"), _house_data(tree, floor_area="0"))
    assert 'class="errorlist"' in response.content.decode().split('id="field-floor_area"')[1].split('id="field-use"')[0]
    assert not House.objects.filter(number="0401").exists()


def test_it_edits_a_house(tree, worker, client_for):
    data = {key: value for key, value in _house_data(tree, number="0301", status="vacant").items() if key != "unit"}
    response = client_for(worker).post(reverse("registry:house_edit", args=[tree.house_a.pk]), data)
    assert response.status_code == 302
    tree.house_a.refresh_from_db()
    assert tree.house_a.status == "vacant"


def test_the_outsider_cannot_see_or_edit_a_house_of_a(tree, outsider, client_for):
    client = client_for(outsider)
    assert client.get(reverse("registry:house_detail", args=[tree.house_a.pk])).status_code == 404
    data = {key: value for key, value in _house_data(tree, status="vacant").items() if key != "unit"}
    assert client.post(reverse("registry:house_edit", args=[tree.house_a.pk]), data).status_code == 404
    tree.house_a.refresh_from_db()
    assert tree.house_a.status == "owner_occupied"


def test_the_outsider_cannot_create_a_house_in_a(tree, outsider, client_for):
    response = client_for(outsider).post(reverse("registry:house_create"), _house_data(tree))
    assert "请从搜索结果中选择一项" in response.content.decode()
    assert not House.objects.filter(number="0401").exists()
