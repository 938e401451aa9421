"""The demo seed: exact counts, valid protected values, the real Xi'an tree,
the showcase complex, demo users with their grants, one audit record.

One seed of 300 people is shared by the module (it writes ~20,000 rows) and
rolled back at the end, so other test modules still start from an empty DB.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.utils import timezone

from shequ.accounts.audit import audit_verify
from shequ.accounts.models import AuditRecord, User
from shequ.core import pii
from shequ.core.tests.conftest import rolled_back
from shequ.registry.codes import XIAN_CITY, XIAN_DISTRICTS
from shequ.registry.models import Area, Facility, House, Organization, Person, Residence, Vehicle
from shequ.registry.validators import validate_area_code, validate_mobile, validate_plate, validate_resident_id, validate_uscc
from shequ.seed import NotEmpty, seed
from shequ.seed.users import DEMO_PASSWORD

PEOPLE = 300


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker, lambda: seed(people=PEOPLE, seed=7)) as world:
        yield world


@pytest.fixture
def world(seeded, db):
    return seeded


def test_it_creates_exactly_the_requested_number_of_people(world) -> None:
    assert Person.objects.count() == PEOPLE
    assert world.counts["person"] == PEOPLE


def test_every_id_number_is_a_valid_resident_id_matching_gender_and_birth_date(world) -> None:
    today = timezone.localdate()
    numbers = []
    for person in Person.objects.all():
        number = pii.decrypt(person.id_number_cipher)
        info = validate_resident_id(number, today=today)
        assert (info.gender, info.birth_date) == (person.gender, person.birth_date), number
        numbers.append(number)
    assert len(set(numbers)) == PEOPLE


def test_id_numbers_are_stored_as_the_services_store_them(world) -> None:
    for person in Person.objects.all()[:50]:
        number = pii.decrypt(person.id_number_cipher)
        assert person.id_number_digest == pii.digest("id", number)
        assert person.id_number_masked == pii.mask_id_number(number)
        assert person.id_tail == number[-4:]


def test_phones_are_valid_unique_and_protected(world) -> None:
    phones = []
    for person in Person.objects.exclude(phone_cipher=""):
        phone = pii.decrypt(person.phone_cipher)
        assert validate_mobile(phone) == phone
        assert person.phone_digest == pii.digest("phone", phone)
        assert person.phone_masked == pii.mask_phone(phone)
        phones.append(phone)
    assert len(phones) > PEOPLE * 0.7  # adults have phones, small children do not
    assert len(set(phones)) == len(phones)


def test_the_tree_holds_xian_and_its_real_district_codes(world) -> None:
    city = Area.objects.get(level=Area.Level.CITY)
    districts = Area.objects.filter(level=Area.Level.DISTRICT)

    assert (city.code, city.name) == XIAN_CITY
    assert sorted(districts.values_list("code", "name")) == sorted(XIAN_DISTRICTS)
    assert all(district.parent_id == city.pk for district in districts)


def test_street_and_community_codes_extend_their_parents_codes(world) -> None:
    for level in (Area.Level.STREET, Area.Level.COMMUNITY):
        for area in Area.objects.filter(level=level).select_related("parent"):
            assert validate_area_code(level, area.code) == area.code
            assert area.code.startswith(area.parent.code)


def test_every_path_is_the_parents_path_plus_its_own_id(world) -> None:
    paths = dict(Area.objects.values_list("id", "path"))
    for area_id, parent_id, path in Area.objects.values_list("id", "parent_id", "path"):
        assert path == (paths[parent_id] if parent_id else "/") + f"{area_id}/"


def test_the_showcase_complex_has_42_buildings_and_over_4000_houses(world) -> None:
    showcase = Area.objects.get(level=Area.Level.COMPLEX, name="长庆坊")

    assert showcase.parent.name == "长庆坊社区"
    assert showcase.parent.parent.parent.code == "610113"  # 雁塔区
    assert Area.objects.filter(parent=showcase, level=Area.Level.BUILDING).count() == 42
    assert House.objects.filter(area__path__startswith=showcase.path).count() >= 4000


def test_houses_have_positive_floor_areas_on_house_nodes_under_units(world) -> None:
    houses = House.objects.select_related("area__parent")

    assert houses.exists()
    for house in houses:
        assert house.floor_area > 0
        assert house.area.level == Area.Level.HOUSE
        assert house.area.parent.level == Area.Level.UNIT


def test_people_are_managed_at_the_house_they_currently_live_in(world) -> None:
    current = {residence.person_id: residence for residence in Residence.objects.current().select_related("house")}

    for person in Person.objects.all():
        assert current[person.pk].house.area_id == person.area_id


def test_occupied_and_vacant_houses_agree_with_their_residents(world) -> None:
    lived_in = set(Residence.objects.current().values_list("house_id", flat=True))

    for house in House.objects.filter(use=House.Use.RESIDENTIAL):
        assert (house.pk in lived_in) == (house.status != House.Status.VACANT), house.area.code


def test_registered_people_hold_xian_ids_and_floating_people_do_not(world) -> None:
    rows = Residence.objects.current().values_list("population_type", "person__id_number_cipher")
    kinds = Counter()

    for population, cipher in rows:
        from_xian = pii.decrypt(cipher).startswith("6101")
        if population == "registered":
            assert from_xian
        if population == "floating":
            assert not from_xian
        kinds[population] += 1
    assert kinds["registered"] and kinds["floating"]


def test_tenants_have_lease_ends_and_owners_do_not(world) -> None:
    rows = Residence.objects.current().values_list("relation", "lease_end")

    assert all((lease is not None) == (relation == "tenant") for relation, lease in rows)


def test_organizations_plates_and_facilities_are_valid(world) -> None:
    for code in Organization.objects.exclude(uscc=None).values_list("uscc", flat=True):
        assert validate_uscc(code) == code
    for plate, kind in Vehicle.objects.values_list("plate", "plate_kind"):
        assert validate_plate(plate) == plate
        assert (kind == "new_energy") == (len(plate) == 8)
    kinds = Counter(Facility.objects.values_list("kind", flat=True))
    assert set(kinds) == {"fire_hydrant", "extinguisher", "elevator", "camera", "gate", "charging_point"}
    assert Facility.objects.inspection_due().exists()  # some are overdue, as in real life


def test_the_showcase_has_a_property_company_and_a_party_committee(world) -> None:
    showcase = Area.objects.get(level=Area.Level.COMPLEX, name="长庆坊")

    assert Organization.objects.filter(area=showcase, kind="property_company").exclude(uscc=None).exists()
    committee = Organization.objects.get(area=showcase.parent, kind="party_org")
    assert committee.members.exists()
    assert all(m.person.political_status in ("01", "02") for m in committee.members.select_related("person"))


EXPECTED_GRANTS = {
    "district": ("district_staff", "610113"),
    "street": ("street_staff", "610113001"),
    "worker": ("community_staff", "610113001001"),
    "grid": ("grid_worker", "610113001001-01"),
    "property": ("property_staff", "610113001001-01"),
    "police": ("police", "610113001001"),
    "guard": ("guard", "610113001001-01"),
    "sysadmin": ("system_admin", "610100"),
    "secadmin": ("security_admin", "610100"),
    "auditor": ("auditor", "610100"),
}


def test_demo_users_hold_their_grants_and_staff_have_a_confirmed_totp(world) -> None:
    for username, (role, code) in EXPECTED_GRANTS.items():
        user = User.objects.get(username=username)
        assert list(user.grants.active().values_list("role", "area__code")) == [(role, code)], username
        assert user.has_totp, username
    assert User.objects.get(username="worker").check_password(DEMO_PASSWORD)  # Argon2: one check is enough


def test_the_demo_resident_is_a_person_living_in_the_granted_house(world) -> None:
    user = User.objects.get(username="resident")
    grant = user.grants.get()

    assert grant.role == "resident"
    assert grant.area.level == Area.Level.HOUSE
    assert Residence.objects.current().filter(person=user.person, house__area=grant.area).exists()
    assert not user.has_totp


def test_the_seed_writes_one_audit_record_and_keeps_the_chain_intact(world) -> None:
    records = AuditRecord.objects.filter(action="seed.completed")

    assert records.count() == 1
    assert records.get().detail["people"] == PEOPLE
    assert AuditRecord.objects.count() == 1
    assert audit_verify() == (1, [])


def test_it_refuses_to_seed_a_registry_that_holds_data(world) -> None:
    with pytest.raises(NotEmpty):
        seed(people=10, seed=7)
    assert Person.objects.count() == PEOPLE
