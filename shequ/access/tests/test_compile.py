"""Who may open which door: the compiled per-device list."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from shequ.access import protocol
from shequ.access.models import AccessRule, DeviceEntry
from shequ.access.services import (
    access_recompile, access_rule_create, access_sweep, credential_issue, device_access_list, device_sync_delta,
)
from shequ.access.services.common import local_midnight
from shequ.access.tests.conftest import move_in, people_on
from shequ.accounts.models import RoleGrant, User
from shequ.registry.models import Organization, Residence
from shequ.registry.services import organization_create, organization_member_add, residence_end
from shequ.registry.tests.factories import SYSTEM, PersonFactory

pytestmark = pytest.mark.django_db


def _grants(access_list, person):
    (entry,) = [e for e in access_list["people"] if e["person_id"] == person.pk]
    return protocol.PersonEntry.model_validate(entry).grants


def test_it_gives_a_resident_their_unit_door_and_complex_gate(doors, resident):
    assert resident.pk in people_on(device_access_list(doors.unit_door_a))
    assert resident.pk in people_on(device_access_list(doors.gate_a))


def test_it_gives_a_resident_nothing_in_another_complex(doors, resident):
    assert resident.pk not in people_on(device_access_list(doors.gate_b))


def test_it_gives_a_resident_every_unit_door_of_their_building(tree, doors, resident):
    from shequ.registry.tests.factories import AreaFactory
    from shequ.access.services import device_register

    unit_3 = AreaFactory(parent=tree.building_a, level="unit", code="CQF-03-3", name="3单元")
    other_unit_door = device_register(actor=SYSTEM, device_id="cqf-03-3-door", name="3单元门", kind="unit_door",
                                      area=unit_3).device
    assert resident.pk in people_on(device_access_list(other_unit_door))


def test_it_lists_the_residents_card_digest_not_the_number(doors, resident):
    (credential,) = device_access_list(doors.gate_a)["credentials"]
    assert credential["kind"] == "card" and credential["person_id"] == resident.pk
    assert len(credential["digest"]) == 64 and "A1B2C3" not in credential["digest"].upper()


def test_it_leaves_out_residents_without_a_credential(tree, doors, person_b):
    neighbour = PersonFactory(area=tree.house_a2.area)
    move_in(neighbour, tree.house_a2)
    assert neighbour.pk not in people_on(device_access_list(doors.gate_a))


def test_it_sends_plates_only_to_devices_that_read_plates(doors, resident):
    credential_issue(actor=SYSTEM, person=resident, kind="plate", value="陕A·12345")
    barrier = device_access_list(doors.barrier_a)["credentials"]
    gate = device_access_list(doors.gate_a)["credentials"]
    assert [c["plate"] for c in barrier] == ["陕A12345"]
    assert all(c["kind"] != "plate" for c in gate)


def test_it_drops_a_person_who_moved_out_the_same_minute(doors, resident):
    residence = Residence.objects.get(person=resident)
    residence_end(actor=SYSTEM, residence=residence)
    assert resident.pk not in people_on(device_access_list(doors.gate_a, timezone.now()))
    # and the stored list devices sync from already holds the deletion
    entry = DeviceEntry.objects.get(device=doors.gate_a, kind="p", ref_id=resident.pk)
    assert entry.deleted


def test_it_sends_the_move_out_as_deletes_in_the_next_delta(doors, resident):
    before = doors.gate_a.__class__.objects.get(pk=doors.gate_a.pk).latest_version
    residence_end(actor=SYSTEM, residence=Residence.objects.get(person=resident))
    delta = device_sync_delta(doors.gate_a, before)
    assert delta["deletes"]["people"] == [resident.pk]
    assert len(delta["deletes"]["credentials"]) == 1
    assert delta["version"] > before and not delta["full"]


def test_it_ends_a_future_move_out_at_that_days_midnight(doors, resident):
    leaving = timezone.localdate() + timedelta(days=10)
    residence_end(actor=SYSTEM, residence=Residence.objects.get(person=resident), end_date=leaving)
    (grant,) = _grants(device_access_list(doors.gate_a), resident)
    assert grant.valid_until == local_midnight(leaving)


def test_it_keeps_a_tenant_until_the_end_of_the_lease_day(tree, doors, person_b):
    tenant = PersonFactory(area=tree.house_a2.area)
    lease_end = timezone.localdate() + timedelta(days=30)
    move_in(tenant, tree.house_a2, relation=Residence.Relation.TENANT, lease_end=lease_end)
    credential_issue(actor=SYSTEM, person=tenant, kind="card", value="0BADCAFE")
    (grant,) = _grants(device_access_list(doors.gate_a), tenant)
    assert grant.valid_until == local_midnight(lease_end + timedelta(days=1))
    assert protocol.person_may_pass(protocol.PersonEntry(person_id=tenant.pk, grants=[grant]),
                                    local_midnight(lease_end + timedelta(days=1)) - timedelta(minutes=1))


def test_it_drops_a_tenant_after_the_lease_ends(tree, doors):
    tenant = PersonFactory(area=tree.house_a2.area)
    lease_end = timezone.localdate() + timedelta(days=30)
    move_in(tenant, tree.house_a2, relation=Residence.Relation.TENANT, lease_end=lease_end)
    credential_issue(actor=SYSTEM, person=tenant, kind="card", value="0BADCAFE")
    after_lease = local_midnight(lease_end + timedelta(days=1)) + timedelta(hours=9)
    assert tenant.pk not in people_on(device_access_list(doors.gate_a, after_lease))


def test_it_sweeps_an_ended_lease_out_of_the_stored_list(tree, doors):
    tenant = PersonFactory(area=tree.house_a2.area)
    lease_end = timezone.localdate() + timedelta(days=30)
    move_in(tenant, tree.house_a2, relation=Residence.Relation.TENANT, lease_end=lease_end)
    credential_issue(actor=SYSTEM, person=tenant, kind="card", value="0BADCAFE")
    access_sweep(now=local_midnight(lease_end + timedelta(days=2)))
    assert DeviceEntry.objects.get(device=doors.gate_a, kind="p", ref_id=tenant.pk).deleted


def _staff(tree, role, area, username="guard_1"):
    person = PersonFactory(area=tree.community_a)
    user = User.objects.create_user(username=username, password="Correct-Horse-9", person=person)
    RoleGrant.objects.create(user=user, role=role, area=area)
    credential_issue(actor=SYSTEM, person=person, kind="card", value="0000BEEF")
    return person


def test_it_lets_staff_in_only_within_their_rules_window(tree, doors):
    guard = _staff(tree, "guard", tree.complex_a)
    access_rule_create(actor=SYSTEM, area=tree.complex_a, role="guard", weekdays="12345",
                       start_time=time(7, 0), end_time=time(19, 0))
    (grant,) = _grants(device_access_list(doors.gate_a), guard)
    entry = protocol.PersonEntry(person_id=guard.pk, grants=[grant])
    monday = timezone.localdate() + timedelta(days=(7 - timezone.localdate().weekday()) % 7 or 7)
    assert protocol.person_may_pass(entry, local_midnight(monday) + timedelta(hours=8))
    assert not protocol.person_may_pass(entry, local_midnight(monday) + timedelta(hours=20))
    assert not protocol.person_may_pass(entry, local_midnight(monday) - timedelta(hours=16))  # Sunday 08:00


def test_it_gives_staff_nothing_without_a_rule(tree, doors):
    guard = _staff(tree, "guard", tree.complex_a)
    assert guard.pk not in people_on(device_access_list(doors.gate_a))


def test_it_keeps_a_rule_inside_the_area_the_role_is_held_at(tree, doors):
    guard = _staff(tree, "guard", tree.complex_b)  # a guard of complex B
    access_rule_create(actor=SYSTEM, area=tree.street, role="guard")
    assert guard.pk in people_on(device_access_list(doors.gate_b))
    assert guard.pk not in people_on(device_access_list(doors.gate_a))


def test_it_ends_a_rule_grant_after_its_end_date(tree, doors):
    guard = _staff(tree, "guard", tree.complex_a)
    last_day = timezone.localdate() + timedelta(days=3)
    access_rule_create(actor=SYSTEM, area=tree.complex_a, role="guard", valid_until=last_day)
    (grant,) = _grants(device_access_list(doors.gate_a), guard)
    assert grant.valid_until == local_midnight(last_day + timedelta(days=1))
    assert guard.pk not in people_on(device_access_list(doors.gate_a, local_midnight(last_day + timedelta(days=2))))


def test_it_keeps_a_residents_and_a_staff_grant_apart(tree, doors, resident):
    user = User.objects.create_user(username="resident_guard", password="Correct-Horse-9", person=resident)
    RoleGrant.objects.create(user=user, role="guard", area=tree.complex_a)
    access_rule_create(actor=SYSTEM, area=tree.complex_a, role="guard", weekdays="67")
    grants = _grants(device_access_list(doors.gate_a), resident)
    assert sorted(len(g.windows) for g in grants) == [0, 1]


def test_it_lets_property_company_members_in_by_rule(tree, doors):
    company = organization_create(actor=SYSTEM, name="长庆物业", kind=Organization.Kind.PROPERTY_COMPANY,
                                  area=tree.complex_a, uscc=None)
    worker = PersonFactory(area=tree.community_a)
    organization_member_add(actor=SYSTEM, organization=company, person=worker, role="保洁")
    credential_issue(actor=SYSTEM, person=worker, kind="card", value="00C0FFEE")
    access_rule_create(actor=SYSTEM, area=tree.complex_a, role="property_member", start_time=time(6, 0),
                       end_time=time(22, 0))
    assert worker.pk in people_on(device_access_list(doors.unit_door_a))
    assert worker.pk not in people_on(device_access_list(doors.gate_b))


def test_it_refuses_a_rule_for_a_role_that_opens_no_doors(tree):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        access_rule_create(actor=SYSTEM, area=tree.complex_a, role="auditor")
    assert "role" in caught.value.message_dict
    assert not AccessRule.objects.exists()


def test_it_writes_nothing_when_nothing_changed(doors, resident):
    assert access_recompile() is None


def test_it_gives_every_change_a_higher_version(doors, resident):
    first = access_recompile(person_ids=[resident.pk])
    assert first is None
    issued = credential_issue(actor=SYSTEM, person=resident, kind="pin")
    from shequ.access.services import credential_revoke, current_version

    v1 = current_version()
    credential_revoke(actor=SYSTEM, credential=issued.credential)
    assert current_version() > v1


def _on_door(device, person) -> bool:
    return DeviceEntry.objects.filter(device=device, kind="p", ref_id=person.pk, deleted=False).exists()


def test_a_role_granted_or_revoked_reaches_the_stored_door_list_at_once(tree, doors):
    from shequ.accounts.services import grant_role, revoke_grant

    person = PersonFactory(area=tree.community_a)
    credential_issue(actor=SYSTEM, person=person, kind="card", value="0000CAFE")
    user = User.objects.create_user(username="new_guard", password="Correct-Horse-9", person=person)
    access_rule_create(actor=SYSTEM, area=tree.complex_a, role="guard")

    grant = grant_role(actor=SYSTEM, user=user, role="guard", area=tree.complex_a)
    assert _on_door(doors.gate_a, person)

    revoke_grant(actor=SYSTEM, grant=grant)
    assert not _on_door(doors.gate_a, person)


def test_an_ended_property_membership_leaves_the_stored_door_list_at_once(tree, doors):
    from shequ.registry.services import organization_member_end

    company = organization_create(actor=SYSTEM, name="长庆物业", kind=Organization.Kind.PROPERTY_COMPANY,
                                  area=tree.complex_a, uscc=None)
    access_rule_create(actor=SYSTEM, area=tree.complex_a, role="property_member")
    worker = PersonFactory(area=tree.community_a)
    credential_issue(actor=SYSTEM, person=worker, kind="card", value="00C0FFEF")
    member = organization_member_add(actor=SYSTEM, organization=company, person=worker, role="保洁")
    assert _on_door(doors.unit_door_a, worker)

    organization_member_end(actor=SYSTEM, member=member, end_date=timezone.localdate() - timedelta(days=1))
    assert not _on_door(doors.unit_door_a, worker)
