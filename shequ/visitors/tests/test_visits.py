"""The guard's visits: walk-ins (ID checked, host confirmed), check-in and out, overstay alarms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from shequ.accounts.models import AuditRecord
from shequ.alarms.models import Alarm, AlarmKind
from shequ.core import pii
from shequ.registry.tests.factories import resident_id
from shequ.visitors.models import PassStatus, Visit, VisitKind
from shequ.visitors.services import (
    overstay_grace, pass_revoke, visit_check_in, visit_check_out, visit_walk_in, visitors_tick, visits_overstay_check,
)
from shequ.visitors.tests.conftest import actor, ingest, pass_event

pytestmark = pytest.mark.django_db

VISITOR_ID = resident_id(serial=77)


def walk_in(user, house, **overrides):
    kwargs = {"visitor_name": "赵师傅", "id_type": "resident_id", "id_number": VISITOR_ID, "phone": "",
              "plate": "", "purpose": "维修热水器", "expected_leave_at": timezone.now() + timedelta(hours=2),
              "host_confirmed": True}
    kwargs.update(overrides)
    return visit_walk_in(actor=actor(user), house=house, **kwargs)


def test_the_guard_registers_a_walk_in_with_the_id_encrypted(tree, guard):
    visit = walk_in(guard, tree.house_a.area)
    visit.refresh_from_db()
    assert (visit.kind, visit.complex_id, visit.checked_in_by, visit.departed_at) == (
        VisitKind.WALK_IN, tree.complex_a.pk, guard, None)
    assert visit.id_number_masked == VISITOR_ID[:3] + "*" * 11 + VISITOR_ID[-4:]
    assert VISITOR_ID not in visit.id_number_cipher
    assert pii.decrypt(visit.id_number_cipher) == VISITOR_ID
    assert visit.host_confirmed_at is not None
    record = AuditRecord.objects.get(action="visitors.walk_in")
    assert VISITOR_ID not in str(record.detail)


def _refused(user, house, **overrides) -> dict:
    with pytest.raises(ValidationError) as caught:
        walk_in(user, house, **overrides)
    assert not Visit.objects.exists()
    return {field: [error.code for error in errors] for field, errors in caught.value.error_dict.items()}


def test_it_refuses_an_id_number_with_a_bad_check_digit(tree, guard):
    bad = VISITOR_ID[:-1] + ("0" if VISITOR_ID[-1] != "0" else "1")
    assert _refused(guard, tree.house_a.area, id_number=bad) == {"id_number": ["id_checksum"]}


def test_it_refuses_a_missing_id_number(tree, guard):
    assert _refused(guard, tree.house_a.area, id_number="") == {"id_number": ["required"]}


def test_it_refuses_an_unconfirmed_host(tree, guard):
    assert _refused(guard, tree.house_a.area, host_confirmed=False) == {"host_confirmed": ["host_unconfirmed"]}


def test_it_refuses_a_leave_time_in_the_past(tree, guard):
    errors = _refused(guard, tree.house_a.area, expected_leave_at=timezone.now() - timedelta(minutes=1))
    assert errors == {"expected_leave_at": ["leave_before_now"]}


def test_it_refuses_a_bad_phone_and_plate(tree, guard):
    assert _refused(guard, tree.house_a.area, phone="138", plate="陕") == {
        "phone": ["mobile_format"], "plate": ["plate_format"]}


def test_the_guard_of_another_complex_cannot_register_here(tree, guard_b):
    with pytest.raises(PermissionDenied):
        walk_in(guard_b, tree.house_a.area)
    assert not Visit.objects.exists()


def test_a_resident_cannot_register_walk_ins(tree, resident_user):
    with pytest.raises(PermissionDenied):
        walk_in(resident_user, tree.house_a.area)


def test_the_guard_checks_a_pass_visitor_in_and_out(visitor_pass, guard):
    visit = visit_check_in(actor=actor(guard), visitor_pass=visitor_pass)
    assert (visit.kind, visit.visitor_pass, visit.checked_in_by) == (VisitKind.PASS, visitor_pass, guard)
    visitor_pass.refresh_from_db()
    assert visitor_pass.uses == 0  # no door opened for it
    with pytest.raises(ValidationError) as caught:
        visit_check_in(actor=actor(guard), visitor_pass=visitor_pass)
    assert caught.value.error_dict["visitor_pass"][0].code == "already_inside"
    left = visit_check_out(actor=actor(guard), visit=visit)
    assert left.departed_at is not None and left.checked_out_by == guard
    with pytest.raises(ValidationError):
        visit_check_out(actor=actor(guard), visit=visit)


def test_a_revoked_pass_cannot_be_checked_in(visitor_pass, guard, resident_user):
    pass_revoke(actor=actor(resident_user), visitor_pass=visitor_pass)
    with pytest.raises(ValidationError) as caught:
        visit_check_in(actor=actor(guard), visitor_pass=visitor_pass)
    assert caught.value.error_dict["visitor_pass"][0].code == "pass_not_valid"


def test_the_guard_of_another_complex_cannot_check_out(tree, guard, guard_b):
    visit = walk_in(guard, tree.house_a.area)
    with pytest.raises(PermissionDenied):
        visit_check_out(actor=actor(guard_b), visit=visit)
    visit.refresh_from_db()
    assert visit.departed_at is None


# --- overstay ------------------------------------------------------------------------------------------------------

def test_a_visitor_inside_after_the_pass_ends_raises_exactly_one_alarm(visitor_pass, doors):
    ingest(pass_event(doors.gate_a, visitor_pass))
    late = visitor_pass.valid_until + overstay_grace() + timedelta(minutes=1)
    assert visits_overstay_check(visitor_pass.valid_until) == []  # within the grace
    (alarm,) = visits_overstay_check(late)
    assert visits_overstay_check(late + timedelta(hours=1)) == []
    assert Alarm.objects.filter(kind=AlarmKind.VISITOR_OVERSTAY).count() == 1
    assert (alarm.area_id, alarm.kind) == (visitor_pass.area_id, AlarmKind.VISITOR_OVERSTAY)
    assert "王访客" in alarm.detail
    visit = Visit.objects.get()
    assert (visit.overstay_alarm, visit.overstay_alerted_at) == (alarm, late)


def test_a_visitor_who_left_raises_nothing(visitor_pass, doors):
    now = timezone.now()
    ingest(pass_event(doors.gate_a, visitor_pass, occurred_at=now))
    ingest(pass_event(doors.gate_a, visitor_pass, direction="out", occurred_at=now + timedelta(minutes=5)))
    assert visits_overstay_check(visitor_pass.valid_until + timedelta(hours=2)) == []
    assert not Alarm.objects.exists()


def test_a_walk_in_past_the_expected_leave_time_alarms(tree, guard):
    visit = walk_in(guard, tree.house_a.area, expected_leave_at=timezone.now() + timedelta(hours=1))
    (alarm,) = visits_overstay_check(visit.expected_leave_at + overstay_grace() + timedelta(seconds=1))
    assert alarm.area_id == tree.house_a.area.pk


def test_the_tick_expires_passes_and_alarms_once(visitor_pass, doors):
    ingest(pass_event(doors.gate_a, visitor_pass))
    later = visitor_pass.valid_until + timedelta(hours=1)
    assert visitors_tick(now=later) == {"expired": 1, "overstays": 1}
    assert visitors_tick(now=later) == {"expired": 0, "overstays": 0}
    visitor_pass.refresh_from_db()
    assert visitor_pass.status == PassStatus.EXPIRED


def test_the_management_command_runs_the_tick(visitor_pass, doors, capsys):
    ingest(pass_event(doors.gate_a, visitor_pass))
    call_command("visitors_tick", now=(visitor_pass.valid_until + timedelta(hours=1)).isoformat())
    assert "expired 1, overstay alarms 1" in capsys.readouterr().out
    assert Alarm.objects.filter(kind=AlarmKind.VISITOR_OVERSTAY).count() == 1
