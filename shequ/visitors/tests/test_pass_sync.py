"""Revoked and used-up passes reach the doors they name in the next sync, and leave after the pass's end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shequ.access import protocol
from shequ.access.models import DeviceEntry, EntryKind
from shequ.access.services import access_person_changed, access_sweep, device_sync_delta
from shequ.core.signing import platform_public_key_text
from shequ.visitors.models import PassStatus
from shequ.visitors.services import pass_revoke, passes_expire
from shequ.visitors.tests.conftest import actor, ingest, issue, pass_event

pytestmark = pytest.mark.django_db


def _version(device) -> int:
    device.refresh_from_db()
    return device.latest_version


def _delta(device, since: int) -> protocol.Sync:
    return protocol.sync_parse(device_sync_delta(device, since))


def test_revoking_reaches_each_named_door_in_its_next_delta(visitor_pass, doors, resident_user):
    before = {door.pk: _version(door) for door in (doors.gate_a, doors.unit_door_a, doors.gate_b)}
    pass_revoke(actor=actor(resident_user), visitor_pass=visitor_pass)
    for door in (doors.gate_a, doors.unit_door_a):
        assert _version(door) > before[door.pk]
        (entry,) = _delta(door, before[door.pk]).upserts.revoked_passes
        assert entry.pass_id == visitor_pass.pass_id
        assert entry.until == visitor_pass.valid_until
    assert _version(doors.gate_b) == before[doors.gate_b.pk]  # a door the pass never named hears nothing


def test_a_revoked_pass_is_in_a_full_snapshot_with_the_platform_key(visitor_pass, doors, resident_user):
    pass_revoke(actor=actor(resident_user), visitor_pass=visitor_pass)
    snapshot = _delta(doors.gate_a, 0)
    assert [entry.pass_id for entry in snapshot.upserts.revoked_passes] == [visitor_pass.pass_id]
    assert snapshot.platform_key == platform_public_key_text()


def test_revoking_is_audited_and_cannot_be_done_twice(visitor_pass, resident_user):
    revoked = pass_revoke(actor=actor(resident_user), visitor_pass=visitor_pass)
    assert (revoked.status, revoked.revoked_by) == (PassStatus.REVOKED, resident_user)
    with pytest.raises(ValidationError) as caught:
        pass_revoke(actor=actor(resident_user), visitor_pass=visitor_pass)
    assert caught.value.error_dict["status"][0].code == "not_revocable"


def test_another_household_cannot_revoke(visitor_pass, neighbour):
    with pytest.raises(PermissionDenied):
        pass_revoke(actor=actor(neighbour), visitor_pass=visitor_pass)
    visitor_pass.refresh_from_db()
    assert visitor_pass.status == PassStatus.ISSUED


def test_the_guard_of_the_complex_may_revoke(visitor_pass, guard):
    assert pass_revoke(actor=actor(guard), visitor_pass=visitor_pass).status == PassStatus.REVOKED


def test_the_guard_of_another_complex_may_not(visitor_pass, guard_b):
    with pytest.raises(PermissionDenied):
        pass_revoke(actor=actor(guard_b), visitor_pass=visitor_pass)


def test_exhaustion_reaches_every_named_door(tree, doors, resident_user):
    one_entry = issue(resident_user, tree.house_a.area, [doors.gate_a, doors.unit_door_a], max_entries=1)
    before = _version(doors.unit_door_a)
    ingest(pass_event(doors.gate_a, one_entry))
    one_entry.refresh_from_db()
    assert (one_entry.status, one_entry.uses) == (PassStatus.EXHAUSTED, 1)
    # the unit door has not seen the pass, yet it must refuse it from its next sync
    assert [e.pass_id for e in _delta(doors.unit_door_a, before).upserts.revoked_passes] == [one_entry.pass_id]


def test_the_doors_forget_a_refused_pass_after_its_end(visitor_pass, doors, resident_user):
    pass_revoke(actor=actor(resident_user), visitor_pass=visitor_pass)
    after_revoke = _version(doors.gate_a)
    passes_expire(now=visitor_pass.valid_until + timedelta(seconds=1))
    delta = _delta(doors.gate_a, after_revoke)
    assert delta.deletes.revoked_passes == [visitor_pass.pass_id]
    assert _delta(doors.gate_a, 0).upserts.revoked_passes == []
    visitor_pass.refresh_from_db()
    assert visitor_pass.edges_cleared
    # and only once
    assert passes_expire(now=visitor_pass.valid_until + timedelta(minutes=5)) == 0
    assert _version(doors.gate_a) == delta.version


def test_issued_passes_past_their_end_expire(visitor_pass):
    assert passes_expire(now=visitor_pass.valid_until) == 1
    visitor_pass.refresh_from_db()
    assert visitor_pass.status == PassStatus.EXPIRED


def test_recompiling_people_leaves_refused_passes_alone(visitor_pass, doors, resident_user, person_a):
    pass_revoke(actor=actor(resident_user), visitor_pass=visitor_pass)
    access_person_changed(person_ids=[person_a.pk])
    access_sweep()
    entry = DeviceEntry.objects.get(device=doors.gate_a, kind=EntryKind.REVOKED_PASS)
    assert (entry.deleted, entry.data["pass_id"]) == (False, visitor_pass.pass_id)


def test_a_full_sweep_after_the_end_drops_the_entry(visitor_pass, doors, resident_user):
    pass_revoke(actor=actor(resident_user), visitor_pass=visitor_pass)
    access_sweep(now=visitor_pass.valid_until + timedelta(seconds=1))
    entry = DeviceEntry.objects.get(device=doors.gate_a, kind=EntryKind.REVOKED_PASS)
    assert (entry.deleted, entry.data) == (True, {"pass_id": visitor_pass.pass_id})


def test_an_issued_pass_sends_nothing_to_the_doors(visitor_pass, doors):
    assert not DeviceEntry.objects.filter(kind=EntryKind.REVOKED_PASS).exists()
    assert timezone.now() < visitor_pass.valid_until
