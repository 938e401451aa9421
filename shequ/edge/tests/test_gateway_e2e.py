"""The edge against the real ``shequ gateway`` (the test database; the embedded amqtt
broker, and Mosquitto when it listens on 127.0.0.1:1883): an offline backlog of
thousands of events ends up stored exactly once."""

from __future__ import annotations

import asyncio

import aiomqtt
import pytest

from shequ.edge.store import EdgeStore
from shequ.edge.tests.helpers import edge_running, until
from shequ.gateway.tests.conftest import broker, fast_config, gateway_running, make_devices, stored_keys  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

BACKLOG = 3000


def test_it_delivers_an_offline_backlog_through_the_gateway_exactly_once(tree, tmp_path, broker):  # noqa: F811
    """amqtt: the broker itself is down while the door works. Mosquitto: the broker runs
    but the gateway is down, so events reach nobody and no evack comes back."""
    [(device_id, secret)] = make_devices(tree.unit_a, 1, prefix="edge").items()
    store = EdgeStore(tmp_path / "edge.sqlite3")

    async def scenario():
        # the edge may reach a broker before the gateway has subscribed; a broker keeps nothing for a
        # subscriber it has not seen yet, so those batches are lost there and the edge's resend brings them
        async with edge_running(store, broker.host, broker.port, device_id=device_id, secret=secret,
                                resend_after=2.0) as (door, client):
            for index in range(BACKLOG // 2):
                door.present("card", f"{index:08X}")  # refused: this door was never synced
                door.door_contact(True)  # forced entry
                door.door_contact(False)
            assert store.outbox_count() == BACKLOG
            async with broker.running(), gateway_running(fast_config(broker)):
                await until(lambda: store.outbox_count() == 0, timeout=45)
        if broker.kind == "mosquitto":  # leave no persistent session behind on a shared broker
            async with aiomqtt.Client(broker.host, broker.port, identifier=device_id, clean_session=True, timeout=5):
                pass

    asyncio.run(asyncio.wait_for(scenario(), 60))
    keys = stored_keys([device_id])
    assert len(keys) == BACKLOG
    assert len(set(keys)) == BACKLOG
    store.close()
