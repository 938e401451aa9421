"""People pages: lists and details show masked values, reveal is audited and
refused without the capability, forms show service errors next to their fields."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shequ.accounts.models import AuditRecord
from shequ.registry.models import CareTag, Person, Residence
from shequ.registry.tests.factories import PersonFactory
from conftest import make_user

CLEAR_ID = "610113198005170015"
CLEAR_PHONE = "13812345678"


@pytest.fixture
def care_tags(db):
    return [CareTag.objects.get(code="elderly_alone"),
            CareTag.objects.get(code="veteran")]


def _reveal(client, person, field="id_number"):
    return client.post(reverse("registry:person_reveal", args=[person.pk]), {"field": field}, HTTP_HX_REQUEST="true")


# --- masking ---------------------------------------------------------------------------------------------------

def test_it_shows_masked_id_and_phone_in_the_list(person_a, worker, client_for):
    response = client_for(worker).get(reverse("registry:person_list"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "张三" in content
    assert "610***********0015" in content and "138****5678" in content
    assert CLEAR_ID not in content and CLEAR_PHONE not in content


def test_it_shows_masked_id_and_phone_on_the_detail_page(person_a, worker, client_for):
    content = client_for(worker).get(reverse("registry:person_detail", args=[person_a.pk])).content.decode()
    assert "610***********0015" in content and "138****5678" in content
    assert CLEAR_ID not in content and CLEAR_PHONE not in content


def test_it_offers_the_reveal_button_only_to_users_who_may_reveal(person_a, worker, guard, client_for):
    url = reverse("registry:person_detail", args=[person_a.pk])
    reveal_url = reverse("registry:person_reveal", args=[person_a.pk])
    assert reveal_url in client_for(worker).get(url).content.decode()
    guard_page = client_for(guard).get(url)
    assert guard_page.status_code == 200
    assert reveal_url not in guard_page.content.decode()


# --- reveal ----------------------------------------------------------------------------------------------------

def test_it_reveals_the_clear_id_number_and_audits_it(person_a, worker, client_for):
    response = _reveal(client_for(worker), person_a)
    assert response.status_code == 200
    assert CLEAR_ID in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    record = AuditRecord.objects.filter(action="pii.revealed").get()
    assert record.actor_id == worker.pk
    assert record.object_id == str(person_a.pk)
    assert record.detail["field"] == "id_number"


def test_it_reveals_the_clear_phone(person_a, worker, client_for):
    response = _reveal(client_for(worker), person_a, field="phone")
    assert CLEAR_PHONE in response.content.decode()
    assert AuditRecord.objects.filter(action="pii.revealed", detail__field="phone").count() == 1


def test_it_refuses_reveal_to_a_guard(person_a, guard, client_for):
    response = _reveal(client_for(guard), person_a)
    assert response.status_code == 403
    assert CLEAR_ID not in response.content.decode()
    assert not AuditRecord.objects.filter(action="pii.revealed").exists()


def test_it_refuses_reveal_to_property_staff(tree, person_a, client_for):
    property_staff = make_user("property_a", "property_staff", tree.complex_a)
    response = _reveal(client_for(property_staff), person_a)
    assert response.status_code == 403
    assert not AuditRecord.objects.filter(action="pii.revealed").exists()


def test_it_refuses_reveal_to_the_outsider_without_saying_the_person_exists(person_a, outsider, client_for):
    response = _reveal(client_for(outsider), person_a)
    assert response.status_code == 404
    assert CLEAR_ID not in response.content.decode()
    assert not AuditRecord.objects.filter(action="pii.revealed").exists()


def test_it_refuses_reveal_by_get(person_a, worker, client_for):
    response = client_for(worker).get(reverse("registry:person_reveal", args=[person_a.pk]), {"field": "id_number"})
    assert response.status_code == 405
    assert not AuditRecord.objects.filter(action="pii.revealed").exists()


def test_it_rejects_an_unknown_reveal_field(person_a, worker, client_for):
    response = _reveal(client_for(worker), person_a, field="id_number_cipher")
    assert response.status_code == 400
    assert not AuditRecord.objects.filter(action="pii.revealed").exists()


# --- scope -----------------------------------------------------------------------------------------------------

def test_it_hides_another_communitys_person_from_the_outsider(person_a, outsider, client_for):
    client = client_for(outsider)
    assert client.get(reverse("registry:person_detail", args=[person_a.pk])).status_code == 404
    assert client.get(reverse("registry:person_edit", args=[person_a.pk])).status_code == 404
    assert "张三" not in client.get(reverse("registry:person_list")).content.decode()


def test_it_ignores_an_edit_posted_by_the_outsider(person_a, outsider, client_for):
    response = client_for(outsider).post(reverse("registry:person_edit", args=[person_a.pk]),
                                         {"name": "被改", "id_type": "resident_id"})
    assert response.status_code == 404
    person_a.refresh_from_db()
    assert person_a.name == "张三"


def test_it_refuses_the_edit_page_to_a_guard(person_a, guard, client_for):
    assert client_for(guard).get(reverse("registry:person_edit", args=[person_a.pk])).status_code == 403


def test_it_sends_anonymous_visitors_to_the_login_page(person_a, client):
    response = client.get(reverse("registry:person_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- list filters ----------------------------------------------------------------------------------------------

def test_it_filters_the_list_by_care_tag(tree, worker, care_tags, client_for):
    tagged = PersonFactory(area=tree.house_a.area, name="赵独居", care_tags=["elderly_alone"])
    PersonFactory(area=tree.house_a.area, name="钱普通")
    content = client_for(worker).get(reverse("registry:person_list"), {"care_tag": "elderly_alone"}).content.decode()
    assert tagged.name in content and "钱普通" not in content


def test_it_filters_the_list_by_area_subtree(tree, street_cadre, person_a, person_b, client_for):
    content = client_for(street_cadre).get(reverse("registry:person_list"),
                                           {"area": tree.community_b.pk}).content.decode()
    assert person_b.name in content and "张三" not in content


def test_it_ignores_an_area_filter_outside_the_users_scope(tree, outsider, person_a, person_b, client_for):
    content = client_for(outsider).get(reverse("registry:person_list"), {"area": tree.community_a.pk}).content.decode()
    assert "张三" not in content
    assert person_b.name in content


def test_it_returns_only_the_table_to_htmx(person_a, worker, client_for):
    response = client_for(worker).get(reverse("registry:person_list"), {"q": "张"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert "张三" in content
    assert "<html" not in content


def test_it_pages_the_list_and_counts_in_a_separate_request(tree, worker, client_for):
    for _ in range(55):
        PersonFactory(area=tree.house_a.area, name="孙某")
    client = client_for(worker)
    first = client.get(reverse("registry:person_list")).content.decode()
    assert "page=2" in first and "count=1" in first
    second = client.get(reverse("registry:person_list"), {"page": 2}).content.decode()
    assert "page=1" in second and "page=3" not in second
    assert "共 55 条" in second  # the last page knows the total without counting
    count = client.get(reverse("registry:person_list"), {"count": 1}, HTTP_HX_REQUEST="true").content.decode()
    assert "共 55 条" in count


# --- create ----------------------------------------------------------------------------------------------------

def _create_data(tree, **overrides):
    data = {
        "name": "王五", "id_type": "resident_id", "id_number": "11010519491231002X", "phone": "13900001234",
        "ethnicity": "01", "political_status": "13", "area": tree.house_a.area.pk, "relation": "owner",
        "population_type": "registered", "start_date": "2024-03-01", "note": "",
    }
    data.update(overrides)
    return data


def test_it_creates_a_person_who_moves_into_the_chosen_house(tree, worker, care_tags, client_for):
    response = client_for(worker).post(reverse("registry:person_create"),
                                       _create_data(tree, care_tags=["veteran"]))
    person = Person.objects.get(name="王五")
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:person_detail", args=[person.pk])
    assert person.area_id == tree.house_a.area.pk
    assert [tag.code for tag in person.care_tags.all()] == ["veteran"]
    residence = Residence.objects.get(person=person)
    assert residence.house_id == tree.house_a.pk and residence.relation == "owner"
    assert str(residence.start_date) == "2024-03-01"


def test_it_creates_a_person_in_a_community_without_a_residence(tree, worker, client_for):
    client_for(worker).post(reverse("registry:person_create"),
                            _create_data(tree, area=tree.community_a.pk, relation="", population_type=""))
    person = Person.objects.get(name="王五")
    assert person.area_id == tree.community_a.pk
    assert not Residence.objects.filter(person=person).exists()


def test_it_shows_a_bad_id_checksum_next_to_the_field_and_writes_nothing(tree, worker, client_for):
    audit_before = AuditRecord.objects.count()
    response = client_for(worker).post(reverse("registry:person_create"),
                                       _create_data(tree, id_number="110105194912310021"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "证件号码的校验码不正确" in content
    field_block = content.split('id="field-id_number"')[1].split('id="field-phone"')[0]
    assert "校验码不正确" in field_block
    assert not Person.objects.filter(name="王五").exists()
    assert AuditRecord.objects.count() == audit_before


def test_it_reports_bad_id_and_bad_phone_together(tree, worker, client_for):
    response = client_for(worker).post(reverse("registry:person_create"),
                                       _create_data(tree, id_number="110105194912310021", phone="12345"))
    content = response.content.decode()
    assert "校验码不正确" in content
    assert "手机号码应为" in content.split('id="field-phone"')[1]


def test_it_requires_the_relation_when_the_person_moves_into_a_house(tree, worker, client_for):
    response = client_for(worker).post(reverse("registry:person_create"), _create_data(tree, relation=""))
    assert "住进房屋时必须填写此项" in response.content.decode().split('id="field-relation"')[1]
    assert not Person.objects.filter(name="王五").exists()


def test_it_refuses_to_create_a_person_in_another_community(tree, outsider, client_for):
    response = client_for(outsider).post(reverse("registry:person_create"), _create_data(tree))
    assert response.status_code == 200
    assert "请从搜索结果中选择一项" in response.content.decode()
    assert not Person.objects.filter(name="王五").exists()


def test_it_refuses_to_create_a_person_for_a_guard(tree, guard, client_for):
    response = client_for(guard).post(reverse("registry:person_create"), _create_data(tree))
    assert response.status_code == 403
    assert not Person.objects.filter(name="王五").exists()


# --- edit and delete -------------------------------------------------------------------------------------------

def _edit_data(person, **overrides):
    data = {"name": person.name, "id_type": person.id_type, "id_number": "", "phone": "", "ethnicity": "01",
            "political_status": "13", "note": ""}
    data.update(overrides)
    return data


def test_it_edits_a_person_and_keeps_the_id_when_left_blank(person_a, worker, client_for):
    response = client_for(worker).post(reverse("registry:person_edit", args=[person_a.pk]),
                                       _edit_data(person_a, name="张三丰"))
    assert response.status_code == 302
    person_a.refresh_from_db()
    assert person_a.name == "张三丰"
    assert person_a.id_number_masked == "610***********0015"
    assert person_a.phone_masked == "138****5678"


def test_it_changes_the_phone_through_the_service(person_a, worker, client_for):
    client_for(worker).post(reverse("registry:person_edit", args=[person_a.pk]),
                            _edit_data(person_a, phone="13987654321"))
    person_a.refresh_from_db()
    assert person_a.phone_masked == "139****4321"


def test_it_shows_a_bad_phone_next_to_the_field_on_edit_and_changes_nothing(person_a, worker, client_for):
    response = client_for(worker).post(reverse("registry:person_edit", args=[person_a.pk]),
                                       _edit_data(person_a, name="改名", phone="123"))
    assert "手机号码应为" in response.content.decode().split('id="field-phone"')[1]
    person_a.refresh_from_db()
    assert person_a.name == "张三" and person_a.phone_masked == "138****5678"


def test_the_edit_form_never_contains_the_clear_values(person_a, worker, client_for):
    content = client_for(worker).get(reverse("registry:person_edit", args=[person_a.pk])).content.decode()
    assert CLEAR_ID not in content and CLEAR_PHONE not in content
    assert "610***********0015" in content


def test_it_deletes_a_person_without_history_after_confirmation(tree, worker, client_for):
    person = PersonFactory(area=tree.community_a, name="周删除")
    client = client_for(worker)
    assert client.get(reverse("registry:person_delete", args=[person.pk])).status_code == 200
    assert Person.objects.filter(pk=person.pk).exists()
    response = client.post(reverse("registry:person_delete", args=[person.pk]))
    assert response.status_code == 302
    assert not Person.objects.filter(pk=person.pk).exists()
    assert AuditRecord.objects.filter(action="person.deleted", object_id=str(person.pk)).exists()


def test_it_keeps_a_person_with_residence_history(tree, worker, person_a, client_for):
    from shequ.accounts.audit import Actor
    from shequ.registry import services

    services.residence_start(actor=Actor.system(via="test"), person=person_a, house=tree.house_a,
                             relation="owner", population_type="registered")
    response = client_for(worker).post(reverse("registry:person_delete", args=[person_a.pk]), follow=True)
    assert Person.objects.filter(pk=person_a.pk).exists()
    assert "不能删除" in response.content.decode()


def test_the_outsider_cannot_delete(person_a, outsider, client_for):
    assert client_for(outsider).post(reverse("registry:person_delete", args=[person_a.pk])).status_code == 404
    assert Person.objects.filter(pk=person_a.pk).exists()


def test_the_list_links_each_person_to_their_page(person_a, worker, client_for):
    content = client_for(worker).get(reverse("registry:person_list")).content.decode()
    assert f'href="{reverse("registry:person_detail", args=[person_a.pk])}"' in content
    assert "1980-05-17" in content
