"""shequ.access.services.ingest: storing batches of device events idempotently."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from shequ.access.models import AccessEvent, QuarantinedMessage
from shequ.access.services.ingest import (
    QUARANTINE_PAYLOAD_MAX, AlarmsNotRaised, EventRow, QuarantineRow, events_store, events_to_consoles, messages_quarantine,
)
from shequ.gateway.tests.conftest import event_row as row, make_devices

pytestmark = pytest.mark.django_db


def test_it_stores_a_batch_and_returns_the_new_events(device, person_a):
    moment = timezone.now() - timedelta(minutes=3)
    batch = [row(device, "e1", occurred_at=moment, credential_kind="card", person_id=person_a.pk, direction="in"),
             row(device, "e2", "plate", plate="陕A12345", credential_kind="plate", direction="out"),
             row(device, "e3", "refused", reason="expired")]

    stored = events_store(batch)

    assert sorted(item.row.event_id for item in stored) == ["e1", "e2", "e3"]
    first = AccessEvent.objects.get(device=device, event_id="e1")
    assert (first.kind, first.occurred_at, first.credential_kind, first.person_id, first.direction, first.payload) == (
        "pass", moment, "card", person_a.pk, "in", {})
    assert {item.pk for item in stored} == set(AccessEvent.objects.values_list("pk", flat=True))
    assert AccessEvent.objects.get(event_id="e2").plate == "陕A12345"


def test_it_stores_an_event_sent_twice_once(device):
    events_store([row(device, "e1"), row(device, "e2")])

    again = events_store([row(device, "e2"), row(device, "e3")])

    assert [item.row.event_id for item in again] == ["e3"]
    assert sorted(AccessEvent.objects.values_list("event_id", flat=True)) == ["e1", "e2", "e3"]


def test_it_keeps_the_first_of_an_event_repeated_in_a_batch(device):
    stored = events_store([row(device, "e1", reason="first"), row(device, "e1", reason="second")])

    assert len(stored) == 1
    assert AccessEvent.objects.get().reason == "first"


def test_it_keeps_the_same_event_id_of_two_devices_apart(tree):
    from shequ.access.models import Device

    first, second = Device.objects.filter(device_id__in=list(make_devices(tree.unit_a, 2)))

    events_store([row(first, "e1"), row(second, "e1")])

    assert AccessEvent.objects.filter(event_id="e1").count() == 2


def test_it_stores_an_event_of_a_person_who_no_longer_exists_without_the_person(device, person_a):
    gone = person_a.pk + 1000

    events_store([row(device, "e1", person_id=gone), row(device, "e2", person_id=person_a.pk)])

    assert dict(AccessEvent.objects.values_list("event_id", "person_id")) == {"e1": None, "e2": person_a.pk}


def test_it_drops_events_of_a_device_that_no_longer_exists(device):
    pk = device.pk
    device.delete()

    stored = events_store([EventRow(pk, "e1", "pass", timezone.now())])

    assert stored == []
    assert not AccessEvent.objects.exists()


def test_it_quarantines_messages_with_their_reason(device):
    junk = QuarantineRow("shequ/v1/dev/x/event", b"{not json", "malformed JSON")

    events_store([row(device, "e1")], quarantined=[junk])

    message = QuarantinedMessage.objects.get()
    assert (message.topic, bytes(message.payload), message.reason) == ("shequ/v1/dev/x/event", b"{not json",
                                                                      "malformed JSON")
    assert AccessEvent.objects.count() == 1


def test_it_cuts_a_huge_quarantined_message_and_says_so():
    messages_quarantine([QuarantineRow("t" * 300, b"x" * (QUARANTINE_PAYLOAD_MAX + 10), "r" * 200)])

    message = QuarantinedMessage.objects.get()
    assert len(message.topic) == 200
    assert len(bytes(message.payload)) == QUARANTINE_PAYLOAD_MAX
    assert len(message.reason) == 200
    assert message.reason.endswith("(payload truncated)")


def test_it_raises_the_alarm_of_a_forced_entry_with_the_event(device):
    from shequ.alarms.models import Alarm

    stored = events_store([row(device, "e1"), row(device, "f1", "forced", reason="door contact")])

    alarm = Alarm.objects.get()
    forced = next(item for item in stored if item.row.event_id == "f1")
    assert (alarm.kind, alarm.event_id, alarm.device_id, alarm.detail) == ("forced_entry", forced.pk, device.pk,
                                                                            "door contact")


def test_it_raises_no_alarm_again_for_a_resent_forced_entry(device):
    from shequ.alarms.models import Alarm

    events_store([row(device, "f1", "forced")])
    events_store([row(device, "f1", "forced")])

    assert Alarm.objects.count() == 1
    assert Alarm.objects.get().repeat_count == 0


def test_it_stores_the_events_when_the_alarms_fail(device, monkeypatch):
    import logging

    from shequ.alarms import services

    def broken(events):
        raise RuntimeError("a bug in the alarms")

    monkeypatch.setattr(services, "alarms_from_events", broken)
    logged = []
    handler = logging.Handler()
    handler.emit = logged.append
    logging.getLogger("shequ.access.services.ingest").addHandler(handler)
    try:
        stored = events_store([row(device, "f1", "forced")])
    finally:
        logging.getLogger("shequ.access.services.ingest").removeHandler(handler)

    assert len(stored) == 1
    assert AccessEvent.objects.count() == 1
    assert [record.getMessage() for record in logged] == ["alarms failed for 1 stored events"]
    assert logged[0].exc_info is not None  # with the traceback


def test_a_database_failure_during_the_alarms_raises_and_the_resent_batch_raises_the_alarm(device, monkeypatch):
    from shequ.alarms import services
    from shequ.alarms.models import Alarm

    real = services.alarms_from_events

    def lost(events, **_options):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "alarms_from_events", lost)
    with pytest.raises(AlarmsNotRaised) as failure:  # so the gateway acknowledges nothing
        events_store([row(device, "e1"), row(device, "f1", "forced")])
    assert sorted(item.row.event_id for item in failure.value.stored) == ["e1", "f1"]
    assert AccessEvent.objects.count() == 2 and not Alarm.objects.exists()

    monkeypatch.setattr(services, "alarms_from_events", real)
    stored = events_store([row(device, "e1"), row(device, "f1", "forced")])  # the device sends them again

    assert stored == []  # nothing new to store
    assert Alarm.objects.get().event.event_id == "f1"
    assert AccessEvent.objects.count() == 2


def test_it_streams_only_the_latest_events_of_each_console(tree, monkeypatch):
    from shequ.access.models import Device
    from shequ.alarms import services

    streamed = []
    monkeypatch.setattr(services, "events_stream", lambda events: streamed.extend(events))
    # two doors of complex A share its consoles; a gate of complex B has its own
    door_1, door_2 = Device.objects.filter(device_id__in=list(make_devices(tree.unit_a, 2)))
    gate_b = Device.objects.get(device_id=next(iter(make_devices(tree.complex_b, 1))))
    start = timezone.now() - timedelta(minutes=1)
    batch = [row(door, f"a{index}", occurred_at=start + timedelta(milliseconds=index))
             for index in range(120) for door in [(door_1, door_2)[index % 2]]]
    batch += [row(gate_b, f"b{index}", occurred_at=start) for index in range(3)]
    stored = events_store(batch)

    events_to_consoles(stored)

    a_ids = sorted((event.event_id for event in streamed if event.device_id != gate_b.pk), key=lambda e: int(e[1:]))
    assert a_ids == [f"a{index}" for index in range(70, 120)]
    assert sorted(event.event_id for event in streamed if event.device_id == gate_b.pk) == ["b0", "b1", "b2"]
    assert all(event.pk and event.occurred_at for event in streamed)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite does not enforce column lengths")
def test_it_quarantines_the_event_the_database_refuses_and_stores_the_rest(device):
    # past validation (the gateway checks lengths first), a value the column cannot hold
    batch = [row(device, "e1"), row(device, "e2", "plate", plate="X" * 11), row(device, "e3")]

    stored = events_store(batch)

    assert sorted(item.row.event_id for item in stored) == ["e1", "e3"]
    (message,) = QuarantinedMessage.objects.all()
    assert message.reason.startswith("event e2: the database refused it")
