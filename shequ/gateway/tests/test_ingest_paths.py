"""The ingest's faster paths: rows from validated dicts, the binary stage and the console
feed's grouping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from shequ.access import protocol
from shequ.access.models import QuarantinedMessage
from shequ.access.services.ingest import EventRow, StoredEvent, event_rows, events_store
from shequ.gateway.directory import DeviceDirectory, DeviceInfo
from shequ.gateway.feed import ConsoleFeed
from shequ.gateway.tests.conftest import event_row as row

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's binary stage")


def test_rows_of_validated_events_get_the_defaults_of_an_event():
    parsed = protocol.events_parse_fields({"events": [
        {"event_id": "e1", "kind": "pass", "occurred_at": "2025-03-01T08:00:00+08:00"},
        {"event_id": "e2", "kind": "plate", "occurred_at": "2025-03-01T08:00:01+08:00", "plate": "陕A12345",
         "credential_kind": "plate", "person_id": 9, "direction": "out", "reason": "r", "pass_id": "p"},
    ]})
    models = protocol.events_parse({"events": [
        {"event_id": "e1", "kind": "pass", "occurred_at": "2025-03-01T08:00:00+08:00"}]}).events

    first, second = event_rows(42, parsed.events)

    assert type(first) is EventRow
    assert first == EventRow(42, *models[0].model_dump().values())
    assert second == EventRow(42, "e2", "plate", second.occurred_at, "plate", 9, "陕A12345", "out", "r", "p")


@postgresql_only
def test_it_quarantines_an_event_whose_person_id_no_column_holds_and_stores_the_rest(device):
    stored = events_store([row(device, "e1"), row(device, "e2", person_id=2**70), row(device, "e3")])

    assert sorted(item.row.event_id for item in stored) == ["e1", "e3"]
    (message,) = QuarantinedMessage.objects.all()
    assert message.reason.startswith("event e2: the database refused it")


@postgresql_only
def test_it_quarantines_an_event_with_text_the_database_cannot_hold_and_stores_the_rest(device):
    stored = events_store([row(device, "e1", reason="a\x00b"), row(device, "e2")])

    assert [item.row.event_id for item in stored] == ["e2"]
    assert QuarantinedMessage.objects.get().reason.startswith("event e1: the database refused it")


def test_the_console_feed_keeps_the_latest_events_of_each_group_and_leaves_out_history():
    directory = DeviceDirectory()
    directory.replace([DeviceInfo(1, "d-1", "s", 0, 0, console_group=10), DeviceInfo(2, "d-2", "s", 0, 0, console_group=10),
                       DeviceInfo(3, "d-3", "s", 0, 0, console_group=None)])
    feed = ConsoleFeed(worker=None, directory=directory)
    now = timezone.now()

    def stored(pk, device_pk, occurred_at):
        return StoredEvent(pk, EventRow(device_pk, f"e{pk}", "pass", occurred_at), now)

    feed.add([stored(pk, 1 + pk % 2, now) for pk in range(feed.per_group + 5)]
             + [stored(900, 3, now), stored(901, 3, now - feed.live_window - timedelta(seconds=1))])

    assert [event.pk for event in feed._latest[10]] == list(range(5, feed.per_group + 5))
    assert [event.pk for event in feed._latest[("device", 3)]] == [900]
    assert feed._arrived.is_set()
