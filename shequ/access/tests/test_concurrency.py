"""Compilations running at once on PostgreSQL: versions commit in order, nothing is lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from shequ.access.models import DeviceEntry
from shequ.access.services import credential_issue, device_sync_delta
from shequ.access.tests.conftest import move_in
from shequ.registry.tests.factories import SYSTEM, PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_keeps_every_change_when_many_compile_at_once(tree, doors):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite runs one writer at a time anyway")
    people = []
    for n in range(6):
        person = PersonFactory(area=tree.house_a2.area)
        move_in(person, tree.house_a2)
        people.append(person)
    errors: list[BaseException] = []

    def issue(person):
        try:
            credential_issue(actor=SYSTEM, person=person, kind="pin")
        except BaseException as exc:  # reported below, so a thread's failure fails the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads) and errors == []

    versions = sorted(DeviceEntry.objects.filter(device=doors.gate_a, kind="c").values_list("version", flat=True))
    assert len(versions) == len(set(versions)) == 6  # one version per compilation, none shared
    snapshot = device_sync_delta(doors.gate_a, 0)
    assert {p["person_id"] for p in snapshot["upserts"]["people"]} == {p.pk for p in people}
    # a device that saw any prefix of the versions catches up with exactly the rest
    middle = versions[2]
    delta = device_sync_delta(doors.gate_a, middle)
    assert len(delta["upserts"]["credentials"]) == 3
