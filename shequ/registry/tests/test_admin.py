"""The admin for data stewards: scoped querysets, saves through the services,
PII entered through clear form fields and never edited raw."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from shequ.accounts.models import AuditRecord
from shequ.registry.models import Area, House, Person, Vehicle


@pytest.fixture
def steward(worker):
    worker.is_staff = True
    worker.save()
    return worker


@pytest.fixture
def staff_outsider(outsider):
    outsider.is_staff = True
    outsider.save()
    return outsider


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _person_add_data(tree, **overrides):
    return {"name": "王五", "id_type": "resident_id", "id_number": "11010519491231002X", "phone": "13900001234",
            "ethnicity": "01", "political_status": "13", "area": tree.house_a.area.pk, "note": "", **overrides}


@pytest.mark.parametrize("model", [Area, House, Person, Vehicle])
def test_every_registry_admin_scopes_its_queryset(model, tree, person_a, person_b, outsider):
    queryset = site._registry[model].get_queryset(_request(outsider))
    assert queryset.count() == model.objects.visible_to(outsider).count()
    if model is Person:
        assert list(queryset) == [person_b]


def test_the_changelist_hides_other_communities(tree, person_a, person_b, staff_outsider, client_for):
    content = client_for(staff_outsider).get(reverse("admin:registry_person_changelist")).content.decode()
    assert person_b.name in content and "张三" not in content


def test_the_changelist_shows_masked_values_only(tree, person_a, steward, client_for):
    content = client_for(steward).get(reverse("admin:registry_person_changelist")).content.decode()
    assert "610***********0015" in content and "610113198005170015" not in content


def test_the_change_page_of_another_communitys_person_is_out_of_reach(tree, person_a, staff_outsider, client_for):
    client = client_for(staff_outsider)
    response = client.get(reverse("admin:registry_person_change", args=[person_a.pk]))
    assert response.status_code == 302  # the admin's "does not exist" redirect
    client.post(reverse("admin:registry_person_change", args=[person_a.pk]), _person_add_data(tree, name="被改"))
    person_a.refresh_from_db()
    assert person_a.name == "张三"


def test_the_person_form_offers_clear_id_and_phone_fields_not_the_stored_ones(tree, steward, client_for):
    content = client_for(steward).get(reverse("admin:registry_person_add")).content.decode()
    assert 'name="id_number"' in content and 'name="phone"' in content
    for raw in ("id_number_cipher", "id_number_digest", "phone_cipher", "phone_digest", "id_tail"):
        assert f'name="{raw}"' not in content


def test_adding_a_person_goes_through_the_service(tree, steward, client_for):
    response = client_for(steward).post(reverse("admin:registry_person_add"), _person_add_data(tree))
    assert response.status_code == 302
    person = Person.objects.get(name="王五")
    assert person.id_number_masked == "110***********002X" and person.id_tail == "002X"
    record = AuditRecord.objects.get(action="person.created", object_id=str(person.pk))
    assert record.detail["via"] == "admin"


def test_a_bad_id_shows_next_to_the_field_and_nothing_is_written(tree, steward, client_for):
    audit_before = AuditRecord.objects.count()
    response = client_for(steward).post(reverse("admin:registry_person_add"),
                                        _person_add_data(tree, id_number="110105194912310021"))
    assert response.status_code == 200
    assert "校验码不正确" in str(response.context["adminform"].form.errors["id_number"])
    assert not Person.objects.filter(name="王五").exists()
    assert AuditRecord.objects.count() == audit_before


def test_changing_a_person_keeps_the_id_and_logs_the_diff(tree, person_a, steward, client_for):
    data = _person_add_data(tree, name="张三丰", id_number="", phone="")
    response = client_for(steward).post(reverse("admin:registry_person_change", args=[person_a.pk]), data)
    assert response.status_code == 302
    person_a.refresh_from_db()
    assert person_a.name == "张三丰" and person_a.id_number_masked == "610***********0015"
    record = AuditRecord.objects.filter(action="person.updated", object_id=str(person_a.pk)).get()
    assert record.detail["changes"]["name"] == ["张三", "张三丰"]


def test_a_person_cannot_be_added_in_another_community(tree, staff_outsider, client_for):
    response = client_for(staff_outsider).post(reverse("admin:registry_person_add"), _person_add_data(tree))
    assert response.status_code == 200
    assert not Person.objects.filter(name="王五").exists()


def test_deleting_through_the_admin_is_audited(tree, steward, client_for):
    from shequ.accounts.audit import Actor
    from shequ.registry import services

    vehicle = services.vehicle_create(actor=Actor.system(via="test"), area=tree.complex_a, plate="陕A55555")
    response = client_for(steward).post(reverse("admin:registry_vehicle_delete", args=[vehicle.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Vehicle.objects.filter(pk=vehicle.pk).exists()
    assert AuditRecord.objects.filter(action="vehicle.deleted", object_id=str(vehicle.pk)).exists()


def test_permissions_follow_the_users_capabilities(tree, person_a, worker, guard, outsider):
    person_admin = site._registry[Person]
    assert person_admin.has_change_permission(_request(worker), person_a)
    assert person_admin.has_view_permission(_request(guard), person_a)
    assert not person_admin.has_change_permission(_request(guard), person_a)
    assert not person_admin.has_add_permission(_request(guard))
    assert not person_admin.has_view_permission(_request(outsider), person_a)
    assert not site._registry[Area].has_delete_permission(_request(worker), tree.house_a.area)


def test_a_guard_cannot_post_a_change(tree, person_a, guard, client_for):
    guard.is_staff = True
    guard.save()
    response = client_for(guard).post(reverse("admin:registry_person_change", args=[person_a.pk]),
                                      _person_add_data(tree, name="被改", id_number=""))
    assert response.status_code == 403
    person_a.refresh_from_db()
    assert person_a.name == "张三"


def test_the_admin_search_uses_the_indexed_finder(tree, person_a, person_b, steward, client_for):
    response = client_for(steward).get(reverse("admin:registry_person_changelist"), {"q": "0015"})
    assert list(response.context["cl"].result_list) == [person_a]


def test_the_raw_id_widget_does_not_name_an_area_outside_the_scope(tree, staff_outsider, client_for):
    response = client_for(staff_outsider).get(reverse("admin:registry_vehicle_add"), {"area": tree.complex_a.pk})
    assert response.status_code == 200
    assert "长庆坊" not in response.content.decode()
