"""Pass events from the doors: uses counted once per event, arrivals and departures logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shequ.access.models import AccessEvent
from shequ.visitors.models import PassStatus, PassUse, Visit, VisitKind
from shequ.visitors.services import pass_events_record
from shequ.visitors.tests.conftest import ingest, pass_event

pytestmark = pytest.mark.django_db


def test_the_ingest_counts_a_use_and_logs_the_arrival(visitor_pass, doors):
    (event,) = ingest(pass_event(doors.gate_a, visitor_pass))
    visitor_pass.refresh_from_db()
    assert (visitor_pass.uses, visitor_pass.status) == (1, PassStatus.ISSUED)
    visit = Visit.objects.get()
    assert (visit.kind, visit.visitor_pass, visit.arrival_event_id, visit.departed_at) == (
        VisitKind.PASS, visitor_pass, event.pk, None)
    assert (visit.area_id, visit.expected_leave_at, visit.phone_masked) == (
        visitor_pass.area_id, visitor_pass.valid_until, "139****5678")


def test_recording_the_same_events_twice_counts_them_once(visitor_pass, doors):
    events = ingest(pass_event(doors.gate_a, visitor_pass))
    assert pass_events_record(events) == []
    assert pass_events_record(list(AccessEvent.objects.all())) == []
    visitor_pass.refresh_from_db()
    assert visitor_pass.uses == 1
    assert PassUse.objects.count() == 1
    assert Visit.objects.count() == 1


def test_an_event_delivered_twice_by_the_gateway_counts_once(visitor_pass, doors):
    row = pass_event(doors.gate_a, visitor_pass, event_id="same-id")
    ingest(row)
    ingest(row)
    visitor_pass.refresh_from_db()
    assert visitor_pass.uses == 1


def test_the_gate_then_the_unit_door_is_one_visit_and_two_uses(visitor_pass, doors):
    now = timezone.now()
    ingest(pass_event(doors.gate_a, visitor_pass, occurred_at=now),
           pass_event(doors.unit_door_a, visitor_pass, occurred_at=now + timedelta(minutes=2)))
    visitor_pass.refresh_from_db()
    assert visitor_pass.uses == 2
    assert Visit.objects.count() == 1


def test_reaching_the_entries_uses_the_pass_up(visitor_pass, doors):
    ingest(pass_event(doors.gate_a, visitor_pass), pass_event(doors.unit_door_a, visitor_pass))
    visitor_pass.refresh_from_db()
    assert (visitor_pass.uses, visitor_pass.status) == (2, PassStatus.EXHAUSTED)
    assert visitor_pass.exhausted_at is not None


def test_an_exit_event_ends_the_visit(visitor_pass, doors):
    now = timezone.now()
    ingest(pass_event(doors.gate_a, visitor_pass, occurred_at=now))
    ingest(pass_event(doors.gate_a, visitor_pass, direction="out", occurred_at=now + timedelta(minutes=30)))
    visit = Visit.objects.get()
    assert visit.departed_at == now + timedelta(minutes=30)


def test_refused_pass_events_are_not_uses(visitor_pass, doors):
    ingest(pass_event(doors.gate_a, visitor_pass, kind="refused"))
    visitor_pass.refresh_from_db()
    assert visitor_pass.uses == 0
    assert not Visit.objects.exists()


def test_events_of_an_unknown_pass_are_stored_and_ignored(visitor_pass, doors):
    row = pass_event(doors.gate_a, visitor_pass)._replace(pass_id="never-issued")
    (event,) = ingest(row)
    assert event.pass_id == "never-issued"
    assert not PassUse.objects.exists()


def test_uses_beyond_the_entries_are_still_counted(visitor_pass, doors):
    # doors count locally and offline: the platform reconciles whatever they report
    ingest(*(pass_event(doors.gate_a, visitor_pass) for _ in range(3)))
    visitor_pass.refresh_from_db()
    assert (visitor_pass.uses, visitor_pass.status) == (3, PassStatus.EXHAUSTED)
