"""The edge against the real ``shequ gateway`` (embedded amqtt broker, the test database):
an offline backlog of thousands of events ends up stored exactly once."""

from __future__ import annotations

import asyncio

import pytest

from shequ.edge.store import EdgeStore
from shequ.edge.tests.helpers import edge_running, until
from shequ.gateway.tests.conftest import BrokerSpec, fast_config, gateway_running, make_devices, stored_keys
from shequ.gateway.broker import free_port

pytestmark = pytest.mark.django_db(transaction=True)

BACKLOG = 3000


def test_it_delivers_an_offline_backlog_through_the_gateway_exactly_once(tree, tmp_path):
    [(device_id, secret)] = make_devices(tree.unit_a, 1, prefix="edge").items()
    store = EdgeStore(tmp_path / "edge.sqlite3")
    spec = BrokerSpec("amqtt", "127.0.0.1", free_port())

    async def scenario():
        async with edge_running(store, spec.host, spec.port, device_id=device_id, secret=secret) as (door, client):
            for index in range(BACKLOG // 2):  # broker and platform unreachable: decide and keep everything
                door.present("card", f"{index:08X}")  # refused: this door was never synced
                door.door_contact(True)  # forced entry
                door.door_contact(False)
            assert store.outbox_count() == BACKLOG
            async with spec.running(), gateway_running(fast_config(spec)):
                await until(lambda: store.outbox_count() == 0, timeout=45)

    asyncio.run(asyncio.wait_for(scenario(), 60))
    keys = stored_keys([device_id])
    assert len(keys) == BACKLOG
    assert len(set(keys)) == BACKLOG
    store.close()
