import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.core import pii
from shequ.registry import services
from shequ.registry.models import Person


def test_it_stores_the_id_number_only_encrypted(person_a):
    row = Person.objects.values("id_number_cipher", "id_number_masked", "id_tail", "phone_masked").get(pk=person_a.pk)
    assert "610113198005170015" not in row["id_number_cipher"]
    assert pii.decrypt(row["id_number_cipher"]) == "610113198005170015"
    assert row["id_number_masked"] == "610***********0015"
    assert row["id_tail"] == "0015"
    assert row["phone_masked"] == "138****5678"


def test_it_derives_birth_date_and_gender_from_the_id(person_a):
    person_a.refresh_from_db()
    assert str(person_a.birth_date) == "1980-05-17"
    assert person_a.gender == "M"


def test_it_refuses_a_second_person_with_the_same_id(tree, person_a, worker):
    with pytest.raises(ValidationError) as exc:
        services.person_create(actor=Actor(worker), area=tree.house_a2.area, name="王五",
                               id_type="resident_id", id_number="610113198005170015")
    assert "id_number" in exc.value.message_dict


def test_it_reports_every_bad_field_at_once(tree, worker):
    with pytest.raises(ValidationError) as exc:
        services.person_create(actor=Actor(worker), area=tree.house_a.area, name="王五",
                               id_type="resident_id", id_number="610113198005170012", phone="12345")
    assert set(exc.value.message_dict) >= {"id_number", "phone"}
    assert not Person.objects.filter(name="王五").exists()


def test_it_refuses_to_create_in_another_community(tree, outsider):
    with pytest.raises(PermissionDenied):
        services.person_create(actor=Actor(outsider), area=tree.house_a.area, name="王五",
                               id_type="resident_id", id_number="11010519491231002X")
    assert not Person.objects.filter(name="王五").exists()


def test_it_audits_the_creation_without_the_clear_id(tree, worker):
    person = services.person_create(actor=Actor(worker, ip="10.0.0.8"), area=tree.house_a.area, name="王五",
                                    id_type="resident_id", id_number="11010519491231002X")
    record = AuditRecord.objects.get(action="person.created", object_id=str(person.pk))
    assert record.actor_id == worker.pk and record.ip == "10.0.0.8"
    assert "11010519491231002X" not in str(record.detail)
    assert record.detail["changes"]["id_number_masked"] == "110***********002X"


def test_visible_to_limits_people_to_the_users_communities(person_a, person_b, worker, outsider, street_cadre):
    assert list(Person.objects.visible_to(worker)) == [person_a]
    assert list(Person.objects.visible_to(outsider)) == [person_b]
    assert set(Person.objects.visible_to(street_cadre)) == {person_a, person_b}


def test_auditor_sees_no_people(person_a, auditor):
    assert not Person.objects.visible_to(auditor).exists()
