"""Fault tests: whatever fails, every event ends up stored exactly once.

A fleet of simulated devices streams events while the gateway is killed, the
broker restarts, or the database connection is cut; the devices resend what was
not acknowledged, as edges do. Afterwards each event is in the database once,
and every event acknowledged at any moment was already stored at that moment.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from shequ.access import protocol
from shequ.access.services.ingest import events_store
from shequ.gateway.broker import embedded_broker, free_port
from shequ.gateway.dbworker import DbWorker
from shequ.gateway.main import Gateway
from shequ.gateway.tests.conftest import (
    Running, fast_config, forget_session, gateway_running, make_devices, run, stored_count, stored_keys, stop,
)
from shequ.gateway.tests.fleet import Fleet

pytestmark = pytest.mark.django_db(transaction=True)

DEVICES = 10
ROUNDS = 20
PER_ROUND = 10  # events per device and round: 2,000 in all
TOTAL = DEVICES * ROUNDS * PER_ROUND


@pytest.fixture
def fleet_devices(tree) -> dict[str, str]:
    return make_devices(tree.unit_a, DEVICES)


async def stream(fleet: Fleet, rounds: int = ROUNDS, pause: float = 0.05) -> None:
    """Events keep happening at the doors, whatever the gateway is going through."""
    for _ in range(rounds):
        for device_id in fleet.outboxes:
            fleet.add(device_id, PER_ROUND)
        await fleet.flush()
        await asyncio.sleep(pause)


async def wait_stored(running: Running, device_ids, at_least: int, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while (count := await running.db(stored_count, device_ids)) < at_least:
        assert time.monotonic() < deadline, f"only {count} events stored"
        await asyncio.sleep(0.05)
    return count


def quarantined_of(device_ids) -> int:
    """Quarantined messages on these devices' topics (a shared broker carries other runs' junk too)."""
    from django.db.models import Q

    from shequ.access.models import QuarantinedMessage

    mine = Q()
    for device_id in device_ids:
        mine |= Q(topic__startswith=f"shequ/v1/dev/{device_id}/")
    return QuarantinedMessage.objects.filter(mine).count()


def acked(fleet: Fleet) -> set[tuple[str, str]]:
    return {(device_id, event_id) for device_id, outbox in fleet.outboxes.items() for event_id in outbox.acked}


def assert_stored_once(fleet: Fleet, device_ids) -> None:
    keys = stored_keys(device_ids)
    assert len(keys) == TOTAL
    assert len(set(keys)) == TOTAL
    assert set(keys) == acked(fleet)
    assert fleet.unacked() == 0


def test_it_stores_every_event_once_when_the_gateway_is_killed_mid_stream(broker, fleet_devices):
    config = fast_config(broker)

    async def scenario():
        async with broker.running():
            fleet = Fleet(broker.host, broker.port, fleet_devices)
            fleet_task = asyncio.create_task(fleet.run())
            first = Running(Gateway(config))
            await first.connected()
            await fleet.connected.wait()
            streaming = asyncio.create_task(stream(fleet))
            await wait_stored(first, fleet_devices, TOTAL // 5)
            await first.kill()
            acked_at_kill = acked(fleet)
            reader = DbWorker("test-reader")  # nobody writes now: a connection of its own is safe
            try:
                stored_at_kill = set(await reader.run(stored_keys, fleet_devices))
            finally:
                reader.close()
            assert not streaming.done(), "the kill must come mid-stream"
            async with gateway_running(config):
                await streaming
                assert await fleet.wait_all_acked(30)
            await stop(fleet_task)
            return fleet, acked_at_kill, stored_at_kill

    try:
        fleet, acked_at_kill, stored_at_kill = run(scenario())
    finally:
        run(forget_session(config), 10)

    assert acked_at_kill <= stored_at_kill
    assert_stored_once(fleet, fleet_devices)


def test_it_stores_every_event_once_when_the_broker_restarts(amqtt_broker, fleet_devices):
    spec = amqtt_broker

    async def scenario():
        broker = embedded_broker(spec.host, spec.port)
        await broker.__aenter__()
        fleet = Fleet(spec.host, spec.port, fleet_devices)
        fleet_task = asyncio.create_task(fleet.run())
        try:
            async with gateway_running(fast_config(spec)) as gateway:
                await fleet.connected.wait()
                streaming = asyncio.create_task(stream(fleet))
                await wait_stored(gateway, fleet_devices, TOTAL // 5)
                # checked as the shutdown starts: amqtt's own shutdown can take its whole bounded 5 s
                assert not streaming.done(), "the restart must come mid-stream"
                await broker.__aexit__(None, None, None)
                await asyncio.sleep(0.5)
                broker = embedded_broker(spec.host, spec.port)
                await broker.__aenter__()
                await streaming
                assert await fleet.wait_all_acked(30)
                connects = gateway.gateway.stats.connects
        finally:
            await stop(fleet_task)
            await broker.__aexit__(None, None, None)
        return fleet, connects

    fleet, connects = run(scenario())

    assert connects >= 2
    assert_stored_once(fleet, fleet_devices)


class Outage:
    """The gateway's store, with its database connections cut for ``seconds`` once armed:
    each writer thread's connection is closed and pointed where no database is (a closed
    port; a SQLite file that cannot exist), then restored. The real database and store do
    the work."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed_at: float | None = None
        self.failed_calls = 0
        self._saved = threading.local()  # each writer thread has a connection of its own

    def arm(self) -> None:
        self.armed_at = time.monotonic()

    def __call__(self, rows, **kwargs):
        from django.db import connection

        cut = self.armed_at is not None and time.monotonic() - self.armed_at < self.seconds
        saved = getattr(self._saved, "settings", None)
        if cut and saved is None:
            self._saved.settings = connection.settings_dict
            _disconnect(connection)
            connection.settings_dict = {**connection.settings_dict, **_nowhere(connection.settings_dict)}
        elif not cut and saved is not None:
            _disconnect(connection)
            connection.settings_dict, self._saved.settings = saved, None
        if cut:
            self.failed_calls += 1
        return events_store(rows, **kwargs)


def _disconnect(connection) -> None:
    connection.close()
    if connection.connection is not None:
        # Django ignores close() on the in-memory SQLite test database (closing would drop it);
        # other connections keep that database alive, so this one can go
        connection.connection.close()
        connection.connection = None


def _nowhere(settings: dict) -> dict:
    if settings["ENGINE"].endswith("sqlite3"):
        return {"NAME": os.path.join(os.sep, "nonexistent-shequ-dir", "db.sqlite3")}
    return {"HOST": "127.0.0.1", "PORT": str(free_port())}


@pytest.mark.parametrize("max_pending", [100_000, 400], ids=["memory", "bounded"])
def test_it_stores_every_event_once_through_a_database_outage(broker, fleet_devices, max_pending):
    outage = Outage(seconds=3.0)

    async def scenario():
        async with broker.running():
            fleet = Fleet(broker.host, broker.port, fleet_devices)
            fleet_task = asyncio.create_task(fleet.run())
            async with gateway_running(fast_config(broker, max_pending_events=max_pending), store=outage) as gateway:
                await fleet.connected.wait()
                streaming = asyncio.create_task(stream(fleet))
                await wait_stored(gateway, fleet_devices, TOTAL // 10)
                outage.arm()
                await asyncio.sleep(1.0)
                acked_in_outage = acked(fleet)
                await asyncio.sleep(1.0)
                # nothing is acknowledged while nothing can be stored
                assert acked(fleet) == acked_in_outage
                await streaming
                assert await fleet.wait_all_acked(30)
                stats = gateway.gateway.stats
            await stop(fleet_task)
            return fleet, stats

    fleet, stats = run(scenario())

    assert outage.failed_calls >= 2
    assert stats.db_failures >= 2
    if max_pending < TOTAL:
        assert stats.dropped > 0  # refused beyond the bound, then resent by the devices
    assert_stored_once(fleet, fleet_devices)


def test_it_changes_nothing_on_duplicates_and_junk(broker, fleet_devices):
    import random

    rng = random.Random(4)
    device_ids = list(fleet_devices)

    def junk() -> tuple[str, bytes]:
        device_id = rng.choice(device_ids)
        name = rng.choice(["event", "heartbeat", "ack"])
        payload = rng.choice([
            bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300))),
            b"null", b"{}", b'{"v": 1}', b"\xff\xfe" * 50, b"[]" * 10, b'{"events": "' + b"x" * 100_000 + b'"}',
            protocol.message_encode(device_id=device_id, body={"events": [{"event_id": 5}]},
                                    secret=fleet_devices[device_id]),
            protocol.message_encode(device_id=device_id, body={"events": [{}] * 3}, secret="not-the-secret"),
        ])
        topic = rng.choice([protocol.topic(device_id, name), f"shequ/v1/dev/{device_id}/{name}/extra",
                            f"shequ/v1/dev/{device_id}"])
        return topic, payload

    async def scenario():
        async with broker.running():
            fleet = Fleet(broker.host, broker.port, fleet_devices)
            fleet_task = asyncio.create_task(fleet.run())
            async with gateway_running(fast_config(broker)) as gateway:
                await fleet.connected.wait()
                for device_id in device_ids:
                    fleet.add(device_id, 20)
                await fleet.flush()
                assert await fleet.wait_all_acked(20)
                before = sorted(await gateway.db(stored_keys, device_ids))
                messages = [junk() for _ in range(100)]
                for topic, payload in messages:
                    await fleet.publish_raw(topic, payload)
                # and every acknowledged event again, twice
                for device_id, outbox in fleet.outboxes.items():
                    replay = [{"event_id": event_id, "kind": "pass", "occurred_at": "2025-03-01T08:00:00+08:00"}
                              for event_id in sorted(outbox.acked)]
                    for _ in range(2):
                        await fleet.publish(device_id, "event", {"events": replay})
                # a last good event proves the gateway is still working
                fleet.add(device_ids[0], 1)
                await fleet.flush()
                assert await fleet.wait_all_acked(20)
                after = sorted(await gateway.db(stored_keys, device_ids))
                stats = gateway.gateway.stats
            await stop(fleet_task)
            readable = sum(1 for topic, _payload in messages if topic.count("/") == 4)
            return before, after, stats, readable

    before, after, stats, readable = run(scenario())

    assert len(after) == len(before) + 1 == DEVICES * 20 + 1
    assert set(before) < set(after)
    assert stats.events_already_stored >= 2 * DEVICES * 20
    # each junk message on a topic the gateway reads is quarantined, one row each; the rest never reach it
    assert quarantined_of(device_ids) == readable > 0
