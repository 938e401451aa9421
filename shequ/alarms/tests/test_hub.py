"""The process's console hub: one layer member for all consoles, a queue per console,
and no console left silent when something breaks."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from conftest import make_user
from shequ.alarms import broadcast
from shequ.alarms.hub import ConsoleHub
from shequ.alarms.tests.conftest import ingest
from shequ.alarms.tests.test_consumer import WAIT, _open, run

pytestmark = pytest.mark.django_db(transaction=True)


def test_consoles_of_one_process_share_one_layer_member(tree, guard, door_a):
    second_guard = make_user("guard_a2", "guard", tree.complex_a)
    layer = get_channel_layer()
    group = broadcast.home_group(tree.complex_a)

    async def scenario():
        first, _ = await _open(guard)
        second, _ = await _open(second_guard)
        members = list(layer.groups[group])
        await database_sync_to_async(ingest)(door_a, "forced")
        heard = [await first.receive_json_from(timeout=WAIT), await second.receive_json_from(timeout=WAIT)]
        await first.disconnect()
        still = list(layer.groups.get(group, {}))
        await second.disconnect()
        gone = list(layer.groups.get(group, {}))
        return members, heard, still, gone

    members, heard, still, gone = run(scenario)
    assert len(members) == 1  # the hub, for both consoles
    assert [message["type"] for message in heard] == ["alarms", "alarms"]
    assert still == members  # the other console still listens
    assert gone == []  # the last one gone: the hub leaves the group


def test_a_console_that_stops_reading_is_closed_not_waited_for(guard, monkeypatch):
    from shequ.alarms import consumers

    monkeypatch.setattr(consumers, "INBOX_LIMIT", 2)
    push = broadcast.message("events", [])

    async def scenario():
        console, _ = await _open(guard)
        hub = ConsoleHub.of(get_channel_layer())
        for _ in range(5):  # faster than the console can send: its queue overflows
            hub.deliver(push)
        closed = await console.receive_output(timeout=WAIT)
        return closed

    assert run(scenario)["type"] == "websocket.close"


def test_a_broken_hub_closes_its_consoles_so_they_reconnect(guard, door_a, monkeypatch):
    def broken(self, message):
        raise RuntimeError("a bug in the hub")

    async def scenario():
        console, _ = await _open(guard)
        monkeypatch.setattr(ConsoleHub, "deliver", broken)
        # the hub's waiting receive already holds the old method: the alarm may pass, the event stream breaks it
        await database_sync_to_async(ingest)(door_a, "forced")
        outputs = [await console.receive_output(timeout=WAIT)]
        while outputs[-1]["type"] != "websocket.close" and len(outputs) < 3:
            outputs.append(await console.receive_output(timeout=WAIT))
        return outputs

    assert run(scenario)[-1]["type"] == "websocket.close"
