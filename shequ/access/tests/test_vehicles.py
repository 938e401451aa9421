"""Vehicles at the car gate: decisions, the guard's call, occupancy, the page."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from shequ.access.adapters import VendorRecord, vendor_records_store
from shequ.access.models import AccessEvent, Device, EventKind
from shequ.access.services import credential_issue, credential_revoke, device_register
from shequ.access.tests.conftest import move_in
from shequ.access.vehicles import (
    DECISION_ALLOWED, DECISION_PENDING, DECISION_REFUSED, REASON_EXIT, REASON_HELD, REASON_REGISTERED,
    REASON_RESIDENT, plate_normalise, vehicle_held_decide, vehicle_occupancy, vehicle_occupancy_reset,
)
from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.alarms import broadcast
from shequ.registry.services import residence_end, vehicle_create
from shequ.registry.tests.factories import SYSTEM

RESIDENT_PLATE = "陕A12345"
VISITOR_PLATE = "陕A9Z999"
_ids = count(1)


def plate_at(device, plate, direction="in", *, when=None):
    """One plate read at ``device``, stored as the adapters store it; the event."""
    record = VendorRecord(device=device, event_id=f"t-{next(_ids)}", kind=EventKind.PLATE,
                          occurred_at=when or timezone.now(), plate_text=plate, direction=direction)
    return vendor_records_store([record])[0]


@pytest.fixture
def resident_car(tree, person_a):
    residence = move_in(person_a, tree.house_a)
    vehicle_create(actor=SYSTEM, area=tree.complex_a, plate=RESIDENT_PLATE, owner=person_a)
    return residence


@pytest.mark.parametrize("text", ["陕A12345", "陕a12345", "陕A·12345", " 陕A 123 45 ", "陕A-12345"])
def test_it_normalises_plates_as_cameras_report_them(text):
    assert plate_normalise(text) == RESIDENT_PLATE


def test_it_reads_unreadable_text_as_no_plate():
    assert plate_normalise("无牌车") == ""


def test_it_passes_a_residents_car(doors, resident_car, person_a):
    event = plate_at(doors.barrier_a, "陕a·12345")
    assert (event.plate, event.reason, event.person_id) == (RESIDENT_PLATE, REASON_RESIDENT, person_a.pk)
    assert "decision" not in event.payload


def test_it_holds_the_car_of_an_owner_who_moved_out(doors, resident_car):
    residence_end(actor=SYSTEM, residence=resident_car)
    event = plate_at(doors.barrier_a, RESIDENT_PLATE)
    assert event.reason == REASON_HELD


def test_it_holds_a_residents_car_at_another_complexs_gate(tree, doors, resident_car):
    barrier_b = device_register(actor=SYSTEM, device_id="xh-barrier-01", name="b", kind=Device.Kind.VEHICLE_BARRIER,
                                area=tree.complex_b).device
    assert plate_at(barrier_b, RESIDENT_PLATE).reason == REASON_HELD


def test_it_passes_a_car_with_a_live_plate_credential(doors, person_a, tree):
    move_in(person_a, tree.house_a)
    credential_issue(actor=SYSTEM, person=person_a, kind="plate", value="陕A·8B888")
    event = plate_at(doors.barrier_a, "陕A8B888")
    assert (event.reason, event.person_id) == (REASON_REGISTERED, person_a.pk)


def test_it_holds_a_car_whose_plate_credential_was_revoked(doors, person_a, tree):
    move_in(person_a, tree.house_a)
    issued = credential_issue(actor=SYSTEM, person=person_a, kind="plate", value="陕A8B888")
    credential_revoke(actor=SYSTEM, credential=issued.credential)
    assert plate_at(doors.barrier_a, "陕A8B888").reason == REASON_HELD


def test_it_holds_an_unknown_car_with_a_pending_decision(doors):
    event = plate_at(doors.barrier_a, VISITOR_PLATE)
    assert (event.reason, event.payload["decision"]) == (REASON_HELD, DECISION_PENDING)


def test_it_lets_any_car_out(doors):
    event = plate_at(doors.barrier_a, VISITOR_PLATE, "out")
    assert event.reason == REASON_EXIT


def test_it_records_the_guards_allow_with_who_and_when(doors, guard):
    event = plate_at(doors.barrier_a, VISITOR_PLATE)
    vehicle_held_decide(actor=Actor(user=guard, via="web"), event=event, allow=True)
    event.refresh_from_db()
    assert event.payload["decision"] == DECISION_ALLOWED
    assert event.payload["decided_by_id"] == guard.pk
    assert event.payload["decided_at"]
    assert AuditRecord.objects.filter(action="access.vehicle_allowed", actor=guard).exists()


def test_it_decides_a_held_car_only_once(doors, guard):
    event = plate_at(doors.barrier_a, VISITOR_PLATE)
    actor = Actor(user=guard, via="web")
    vehicle_held_decide(actor=actor, event=event, allow=False)
    with pytest.raises(ValidationError):
        vehicle_held_decide(actor=actor, event=event, allow=True)
    event.refresh_from_db()
    assert event.payload["decision"] == DECISION_REFUSED


def test_it_refuses_a_decision_by_someone_without_guard_rights(doors, worker):
    event = plate_at(doors.barrier_a, VISITOR_PLATE)
    with pytest.raises(PermissionDenied):
        vehicle_held_decide(actor=Actor(user=worker, via="web"), event=event, allow=True)
    event.refresh_from_db()
    assert event.payload["decision"] == DECISION_PENDING


# --- occupancy ------------------------------------------------------------------------------------------------------

def test_it_counts_cars_in_minus_cars_out(tree, doors, resident_car):
    plate_at(doors.barrier_a, RESIDENT_PLATE, "in")
    plate_at(doors.barrier_a, "陕A55555", "out")
    plate_at(doors.barrier_a, RESIDENT_PLATE, "in")
    occupancy = vehicle_occupancy(complex_area=tree.complex_a)
    assert (occupancy.count, occupancy.entered, occupancy.left) == (1, 2, 1)


def test_it_never_counts_below_zero(tree, doors, resident_car):
    start = timezone.now() - timedelta(minutes=10)
    plate_at(doors.barrier_a, "陕A55555", "out", when=start)
    plate_at(doors.barrier_a, "陕A55556", "out", when=start + timedelta(minutes=1))
    plate_at(doors.barrier_a, RESIDENT_PLATE, "in", when=start + timedelta(minutes=2))
    assert vehicle_occupancy(complex_area=tree.complex_a).count == 1


def test_it_counts_a_held_car_only_once_the_guard_allows_it(tree, doors, guard):
    event = plate_at(doors.barrier_a, VISITOR_PLATE)
    assert vehicle_occupancy(complex_area=tree.complex_a).count == 0
    vehicle_held_decide(actor=Actor(user=guard, via="web"), event=event, allow=True)
    assert vehicle_occupancy(complex_area=tree.complex_a).count == 1


def test_it_does_not_count_a_refused_car(tree, doors, guard):
    event = plate_at(doors.barrier_a, VISITOR_PLATE)
    vehicle_held_decide(actor=Actor(user=guard, via="web"), event=event, allow=False)
    assert vehicle_occupancy(complex_area=tree.complex_a).count == 0


def test_it_counts_from_the_latest_reset(tree, doors, resident_car, guard):
    before = timezone.now() - timedelta(minutes=5)
    plate_at(doors.barrier_a, RESIDENT_PLATE, "in", when=before)
    plate_at(doors.barrier_a, RESIDENT_PLATE, "in", when=before)
    vehicle_occupancy_reset(actor=Actor(user=guard, via="web"), complex_area=tree.complex_a, count=7)
    plate_at(doors.barrier_a, RESIDENT_PLATE, "out", when=timezone.now() + timedelta(seconds=1))
    occupancy = vehicle_occupancy(complex_area=tree.complex_a)
    assert (occupancy.count, occupancy.entered, occupancy.left) == (6, 0, 1)
    assert occupancy.since is not None


def test_it_refuses_a_negative_reset(tree, doors, guard):
    with pytest.raises(ValidationError):
        vehicle_occupancy_reset(actor=Actor(user=guard, via="web"), complex_area=tree.complex_a, count=-1)


def test_it_refuses_a_reset_outside_the_actors_complex(tree, doors, guard):
    with pytest.raises(PermissionDenied):
        vehicle_occupancy_reset(actor=Actor(user=guard, via="web"), complex_area=tree.complex_b)


def test_it_keeps_complexes_apart(tree, doors, resident_car):
    plate_at(doors.barrier_a, RESIDENT_PLATE, "in")
    assert vehicle_occupancy(complex_area=tree.complex_b).count == 0


# --- the page -------------------------------------------------------------------------------------------------------

def test_it_shows_the_log_occupancy_and_held_cars_to_the_guard(client_for, guard, tree, doors, resident_car):
    plate_at(doors.barrier_a, RESIDENT_PLATE, "in")
    plate_at(doors.barrier_a, VISITOR_PLATE, "in")
    response = client_for(guard).get(reverse("access:vehicle_page"))
    assert response.status_code == 200
    assert [row.plate for row in response.context["rows"]] == [VISITOR_PLATE, RESIDENT_PLATE]
    assert [event.plate for event in response.context["held"]] == [VISITOR_PLATE]
    assert [(row.complex, row.count) for row in response.context["occupancy"]] == [(tree.complex_a, 1)]


def test_it_searches_the_log_by_plate_as_typed(client_for, guard, doors, resident_car):
    plate_at(doors.barrier_a, RESIDENT_PLATE, "in")
    plate_at(doors.barrier_a, VISITOR_PLATE, "in")
    response = client_for(guard).get(reverse("access:vehicle_page"), {"plate": "陕a 12345"})
    assert [row.plate for row in response.context["rows"]] == [RESIDENT_PLATE]


def test_it_searches_the_log_by_time(client_for, guard, doors, resident_car):
    now = timezone.now()
    plate_at(doors.barrier_a, RESIDENT_PLATE, "in", when=now - timedelta(days=2))
    plate_at(doors.barrier_a, VISITOR_PLATE, "in", when=now)
    since = timezone.localtime(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(guard).get(reverse("access:vehicle_page"), {"since": since})
    assert [row.plate for row in response.context["rows"]] == [VISITOR_PLATE]


def test_it_lets_the_guard_allow_a_held_car_from_the_page(client_for, guard, doors):
    event = plate_at(doors.barrier_a, VISITOR_PLATE)
    response = client_for(guard).post(reverse("access:vehicle_decide", args=[event.pk]), {"decision": "allow"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.payload["decision"], event.payload["decided_by_id"]) == (DECISION_ALLOWED, guard.pk)


def test_it_hides_complex_a_from_an_outsider(client_for, outsider, doors, resident_car):
    plate_at(doors.barrier_a, RESIDENT_PLATE, "in")
    plate_at(doors.barrier_a, VISITOR_PLATE, "in")
    response = client_for(outsider).get(reverse("access:vehicle_page"))
    assert list(response.context["rows"]) == []
    assert response.context["held"] == []
    assert all(row.complex != doors.barrier_a.area for row in response.context["occupancy"])


def test_it_refuses_an_outsiders_decision(client_for, outsider, doors):
    event = plate_at(doors.barrier_a, VISITOR_PLATE)
    response = client_for(outsider).post(reverse("access:vehicle_decide", args=[event.pk]), {"decision": "allow"})
    assert response.status_code == 404
    event.refresh_from_db()
    assert event.payload["decision"] == DECISION_PENDING


def test_it_refuses_an_outsiders_reset(client_for, outsider, tree, doors):
    response = client_for(outsider).post(reverse("access:vehicle_occupancy_reset", args=[tree.complex_a.pk]),
                                         {"count": "3"})
    assert response.status_code == 404
    assert not AccessEvent.objects.filter(reason="occupancy_reset").exists()


def test_it_tells_the_guard_console_about_the_decision(doors, guard, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(broadcast, "send_now", sent.extend)
    event = plate_at(doors.barrier_a, VISITOR_PLATE)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        vehicle_held_decide(actor=Actor(user=guard, via="web"), event=event, allow=True)
    [(group, message)] = sent
    assert group == broadcast.home_group(doors.barrier_a.area)
    assert [(item["plate"], item["reason"]) for item in message["items"]] == [(VISITOR_PLATE, "guard_allowed")]
