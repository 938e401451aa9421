"""Two gateway writers holding the same device event (a resend of what was not yet
acknowledged) raise its alarm once, and neither fails (PostgreSQL: SQLite writers are serial)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from shequ.alarms import services
from shequ.alarms.models import Alarm
from shequ.alarms.tests.conftest import store_event

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time"),
]


def test_the_second_writer_waits_for_the_first_and_counts_its_alarm(door_a):
    from shequ.access.models import AccessEvent

    event = store_event(door_a, "forced")
    first_raised, second_started = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first_writer() -> None:
        try:
            with transaction.atomic():
                outcome["first"] = services.alarms_from_events([AccessEvent.objects.get(pk=event.pk)], stream=False)
                first_raised.set()
                assert second_started.wait(5)
                time.sleep(0.5)  # the second writer is inside alarms_from_events by now
        finally:
            connection.close()

    def second_writer() -> None:
        try:
            assert first_raised.wait(5)
            second_started.set()
            outcome["second"] = services.alarms_from_events([AccessEvent.objects.get(pk=event.pk)], stream=False)
        except Exception as error:  # noqa: BLE001 - reported below
            outcome["second"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=first_writer), threading.Thread(target=second_writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert outcome["second"] == []  # counted: the first writer's alarm, not an IntegrityError
    assert [alarm.event_id for alarm in outcome["first"]] == [event.pk]
    assert Alarm.objects.filter(event=event).count() == 1
