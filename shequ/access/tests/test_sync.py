"""Versioned sync deltas and snapshots (what the gateway pushes)."""

from __future__ import annotations

import struct

import pytest

from shequ.access import protocol
from shequ.access.models import Device, TemplatePlacement
from shequ.access.services import (
    access_credential_key, access_history_compact, credential_issue, credential_revoke, device_latest_version,
    device_sync_applied, device_sync_delta, devices_changed_since, face_consent_record, face_template_enrol,
)
from shequ.access.tests.conftest import CARD_A
from shequ.registry.tests.factories import SYSTEM

pytestmark = pytest.mark.django_db

VECTOR = struct.pack("<128f", *[i / 128 for i in range(128)])


def _latest(device) -> int:
    return device_latest_version(device)


def test_it_sends_a_full_snapshot_to_a_device_at_version_zero(doors, resident):
    body = device_sync_delta(doors.gate_a, 0)
    sync = protocol.sync_parse(body)
    assert sync.full and sync.base == 0 and sync.version == _latest(doors.gate_a)
    assert [p.person_id for p in sync.upserts.people] == [resident.pk]


def test_it_seals_the_credential_key_for_the_device_in_a_snapshot(doors, resident):
    body = device_sync_delta(doors.gate_a, 0)
    secret = doors.secrets["cqf-gate-01"]
    key = protocol.unseal(secret, protocol.CREDENTIAL_KEY_PURPOSE, body["credential_key"])
    assert key == access_credential_key()
    (credential,) = body["upserts"]["credentials"]
    assert credential["digest"] == protocol.credential_digest(key, "card", CARD_A)


def test_it_sends_a_revoked_credential_as_a_delete_in_the_next_delta(doors, resident):
    before = _latest(doors.gate_a)
    card = resident.credentials.get(kind="card")
    credential_issue(actor=SYSTEM, person=resident, kind="qr")  # keep the person on the list
    middle = _latest(doors.gate_a)
    credential_revoke(actor=SYSTEM, credential=card)
    delta = protocol.sync_parse(device_sync_delta(doors.gate_a, middle))
    assert delta.deletes.credentials == [card.pk]
    assert delta.upserts.credentials == [] and delta.upserts.people == []
    assert delta.base == middle and delta.version > middle > before


def test_it_sends_every_change_since_an_older_version(doors, resident):
    before = _latest(doors.gate_a)
    qr = credential_issue(actor=SYSTEM, person=resident, kind="qr").credential
    credential_revoke(actor=SYSTEM, credential=resident.credentials.get(kind="card"))
    delta = device_sync_delta(doors.gate_a, before)
    assert [c["credential_id"] for c in delta["upserts"]["credentials"]] == [qr.pk]
    assert len(delta["deletes"]["credentials"]) == 1


def test_it_sends_an_empty_delta_to_a_device_that_is_up_to_date(doors, resident):
    latest = _latest(doors.gate_a)
    body = device_sync_delta(doors.gate_a, latest)
    assert body["version"] == body["base"] == latest and not body["full"]
    assert not any(body["upserts"].values()) and not any(body["deletes"].values())


def test_it_sends_a_snapshot_to_a_device_claiming_a_version_never_issued(doors, resident):
    body = device_sync_delta(doors.gate_a, _latest(doors.gate_a) + 100)
    assert body["full"] and body["upserts"]["people"]


def test_it_sends_a_snapshot_to_a_device_behind_the_compacted_history(doors, resident):
    old = _latest(doors.gate_a)
    credential_issue(actor=SYSTEM, person=resident, kind="qr")
    credential_revoke(actor=SYSTEM, credential=resident.credentials.get(kind="card"))
    access_history_compact(upto_version=_latest(doors.gate_a))
    body = device_sync_delta(doors.gate_a, old)
    assert body["full"]
    assert {c["kind"] for c in body["upserts"]["credentials"]} == {"qr"}


def test_it_leaves_other_complexes_devices_unchanged(doors, resident):
    before = _latest(doors.gate_b)
    credential_issue(actor=SYSTEM, person=resident, kind="pin")
    assert _latest(doors.gate_b) == before


def test_it_tells_the_gateway_which_devices_changed(doors, resident):
    mark = max(_latest(d) for d in (doors.gate_a, doors.gate_b, doors.unit_door_a, doors.barrier_a))
    credential_issue(actor=SYSTEM, person=resident, kind="pin")
    changed = dict(devices_changed_since(mark))
    assert set(changed) == {"cqf-gate-01", "cqf-03-2-door"}


def test_it_records_an_applied_version_but_never_beyond_the_latest(doors, resident):
    latest = _latest(doors.gate_a)
    assert device_sync_applied(doors.gate_a, latest + 50) == latest
    assert Device.objects.get(pk=doors.gate_a.pk).synced_version == latest


def test_it_never_moves_an_applied_version_backwards(doors, resident):
    latest = _latest(doors.gate_a)
    device_sync_applied(doors.gate_a, latest)
    device_sync_applied(doors.gate_a, 1)
    assert Device.objects.get(pk=doors.gate_a.pk).synced_version == latest


def _enrol(resident, devices):
    consent = face_consent_record(actor=SYSTEM, person=resident, method="paper", devices=devices)
    return face_template_enrol(actor=SYSTEM, consent=consent, embedding=VECTOR)


def test_it_seals_a_face_template_that_only_its_device_can_open(doors, resident):
    template = _enrol(resident, [doors.gate_a])
    (face,) = device_sync_delta(doors.gate_a, 0)["upserts"]["faces"]
    assert face["template_id"] == template.pk
    assert protocol.unseal(doors.secrets["cqf-gate-01"], protocol.face_purpose(template.pk), face["sealed"]) == VECTOR
    with pytest.raises(protocol.ProtocolError):
        protocol.unseal(doors.secrets["cqf-03-2-door"], protocol.face_purpose(template.pk), face["sealed"])


def test_it_sends_a_face_only_to_the_doors_the_consent_names(doors, resident):
    _enrol(resident, [doors.gate_a])
    assert device_sync_delta(doors.gate_a, 0)["upserts"]["faces"]
    assert device_sync_delta(doors.unit_door_a, 0)["upserts"]["faces"] == []


def test_it_marks_a_pushed_template_present_once_the_device_applied_it(doors, resident):
    template = _enrol(resident, [doors.gate_a])
    placement = TemplatePlacement.objects.get(template=template, device=doors.gate_a)
    assert placement.state == TemplatePlacement.State.TO_PUSH
    device_sync_applied(doors.gate_a, placement.version - 1)
    placement.refresh_from_db()
    assert placement.state == TemplatePlacement.State.TO_PUSH
    device_sync_applied(doors.gate_a, _latest(doors.gate_a))
    placement.refresh_from_db()
    assert placement.state == TemplatePlacement.State.PRESENT and placement.confirmed_at


def test_it_withholds_a_face_once_the_last_non_face_credential_expired(doors, resident):
    from datetime import timedelta

    from django.utils import timezone

    from shequ.access.services import device_access_list

    card = resident.credentials.get(kind="card")
    card.valid_until = timezone.now() + timedelta(days=1)
    card.save()
    _enrol(resident, [doors.gate_a])
    later = timezone.now() + timedelta(days=2)
    assert device_access_list(doors.gate_a, later)["faces"] == []
    assert device_access_list(doors.gate_a)["faces"]


def test_a_device_with_an_empty_list_still_gets_a_first_snapshot_with_the_keys(tree):
    from shequ.access.services import device_register
    from shequ.core.signing import platform_public_key_text

    terminal = device_register(actor=SYSTEM, device_id="terminal-0301", name="0301室内机", kind="indoor_terminal",
                               area=tree.house_a.area).device

    assert Device.objects.get(pk=terminal.pk).latest_version > 0
    sync = protocol.sync_parse(device_sync_delta(terminal, 0))
    assert sync.full and sync.platform_key == platform_public_key_text() and sync.credential_key
