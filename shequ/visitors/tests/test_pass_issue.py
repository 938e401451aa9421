"""Issuing a pass: a signed token for the household's own doors; bad input writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shequ.accounts.models import AuditRecord
from shequ.core import pii
from shequ.core.signing import platform_public_key_text
from shequ.visitors.models import PassStatus, VisitorPass
from shequ.visitors.tests.conftest import issue
from shequ.visitors.token import token_verify

pytestmark = pytest.mark.django_db


def test_it_signs_a_token_the_named_doors_accept(visitor_pass, doors):
    now = timezone.now()
    for door in (doors.gate_a, doors.unit_door_a):
        verdict = token_verify(visitor_pass.token, platform_public_key_text(), device_id=door.device_id, now=now)
        assert verdict.ok
    payload = verdict.payload
    assert (payload.pass_id, payload.max_entries, payload.area_id) == (visitor_pass.pass_id, 2, visitor_pass.area_id)
    assert payload.valid_until == int(visitor_pass.valid_until.timestamp())
    assert visitor_pass.status == PassStatus.ISSUED


def test_the_token_refuses_doors_not_chosen(visitor_pass, doors):
    verdict = token_verify(visitor_pass.token, platform_public_key_text(), device_id=doors.gate_b.device_id,
                           now=timezone.now())
    assert verdict.reason == "wrong_door"


def test_it_stores_the_visitors_phone_encrypted_and_masked(visitor_pass):
    visitor_pass.refresh_from_db()
    assert visitor_pass.phone_masked == "139****5678"
    assert "13912345678" not in visitor_pass.phone_cipher
    assert pii.decrypt(visitor_pass.phone_cipher) == "13912345678"


def test_it_records_the_complex_and_audits_the_issue(visitor_pass, tree):
    assert visitor_pass.complex_id == tree.complex_a.pk
    record = AuditRecord.objects.get(action="visitors.pass_issue")
    assert record.object_id == str(visitor_pass.pk)
    assert record.detail["phone"] == "139****5678"
    assert "13912345678" not in str(record.detail)


def test_share_keys_and_pass_ids_differ_between_passes(tree, doors, resident_user):
    first = issue(resident_user, tree.house_a.area, [doors.gate_a])
    second = issue(resident_user, tree.house_a.area, [doors.gate_a])
    assert first.pass_id != second.pass_id and first.share_key != second.share_key
    assert len(first.share_key) >= 32


def _refused(user, house, door_list, **overrides) -> dict:
    with pytest.raises(ValidationError) as caught:
        issue(user, house, door_list, **overrides)
    assert VisitorPass.objects.count() == 0
    return {field: [error.code for error in errors] for field, errors in caught.value.error_dict.items()}


@pytest.mark.parametrize("door_name", ["gate_b", "other_building_door_a"])
def test_it_refuses_a_door_outside_the_household(tree, doors, resident_user, door_name):
    errors = _refused(resident_user, tree.house_a.area, [doors.gate_a, getattr(doors, door_name)])
    assert errors == {"doors": ["door_not_allowed"]}


def test_it_refuses_no_doors(tree, doors, resident_user):
    assert _refused(resident_user, tree.house_a.area, []) == {"doors": ["required"]}


def test_it_refuses_a_window_that_ends_before_it_starts(tree, doors, resident_user):
    now = timezone.now()
    errors = _refused(resident_user, tree.house_a.area, [doors.gate_a], valid_from=now + timedelta(hours=2),
                      valid_until=now + timedelta(hours=1))
    assert errors == {"valid_until": ["window_order"]}


def test_it_refuses_a_window_already_over(tree, doors, resident_user):
    now = timezone.now()
    errors = _refused(resident_user, tree.house_a.area, [doors.gate_a], valid_from=now - timedelta(hours=3),
                      valid_until=now - timedelta(hours=1))
    assert errors == {"valid_until": ["window_past"]}


def test_it_refuses_a_window_longer_than_thirty_days(tree, doors, resident_user):
    now = timezone.now()
    errors = _refused(resident_user, tree.house_a.area, [doors.gate_a], valid_from=now,
                      valid_until=now + timedelta(days=31))
    assert errors == {"valid_until": ["window_too_long"]}


@pytest.mark.parametrize("entries", [0, 21, -1, "3", True])
def test_it_refuses_entries_out_of_range(tree, doors, resident_user, entries):
    errors = _refused(resident_user, tree.house_a.area, [doors.gate_a], max_entries=entries)
    assert errors == {"max_entries": ["entries_range"]}


def test_it_refuses_a_bad_phone(tree, doors, resident_user):
    assert _refused(resident_user, tree.house_a.area, [doors.gate_a], phone="12345") == {"phone": ["mobile_format"]}


def test_it_refuses_a_bad_plate(tree, doors, resident_user):
    assert _refused(resident_user, tree.house_a.area, [doors.gate_a], plate="ABC") == {"plate": ["plate_format"]}


def test_it_refuses_a_missing_name(tree, doors, resident_user):
    assert _refused(resident_user, tree.house_a.area, [doors.gate_a], visitor_name="  ") == {
        "visitor_name": ["required"]}


def test_it_reports_every_bad_field_at_once(tree, doors, resident_user):
    errors = _refused(resident_user, tree.house_a.area, [doors.gate_b], phone="1", plate="x", max_entries=50)
    assert set(errors) == {"doors", "phone", "plate", "max_entries"}


def test_a_resident_cannot_issue_for_another_household(tree, doors, resident_user):
    with pytest.raises(PermissionDenied):
        issue(resident_user, tree.house_a2.area, [doors.gate_a])
    assert VisitorPass.objects.count() == 0


def test_staff_without_the_capability_cannot_issue(tree, doors, worker):
    with pytest.raises(PermissionDenied):
        issue(worker, tree.house_a.area, [doors.gate_a])
