"""The edge on MQTT (embedded amqtt broker, a fake platform that verifies and acknowledges):
offline operation, outbox delivery exactly once, syncs, commands, forged messages."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from shequ.access import protocol
from shequ.edge.tests import helpers as h
from shequ.edge.tests.helpers import edge_running, until
from shequ.edge.tests.conftest import ALICE, BOB
from shequ.gateway.broker import embedded_broker, free_port

HOST = "127.0.0.1"
TIMEOUT = 60


def run(coro, timeout: float = TIMEOUT):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture
def port():
    return free_port()


def test_it_delivers_thousands_of_events_made_offline_once_after_reconnecting(synced, port):
    async def scenario():
        async with embedded_broker(HOST, port), h.FakePlatform(HOST, port) as platform:
            link = h.Link(HOST, port)  # the gate's network, cut for now
            async with edge_running(synced, HOST, link.port) as (door, client):
                # platform unreachable: the door keeps deciding and keeps every event
                decisions = [door.present("card", h.CARD if i % 3 else "DEADBEEF") for i in range(3000)]
                assert sum(d.allow for d in decisions) == 2000
                assert len(door.relay.commands) == 2000
                assert synced.outbox_count() == 3000
                assert not client.connected.is_set()
                made = {item.event_id for item in synced.outbox_due(now=0, resend_after=0, limit=5000)}
                await link.up()
                await platform.wait_for(lambda: len(platform.stored) == 3000, timeout=40)
                await until(lambda: synced.outbox_count() == 0)
                await link.down()
        assert set(platform.stored) == made
        assert set(platform.deliveries.values()) == {1}
        assert platform.batches == [1000, 1000, 1000]  # oldest first, in full batches

    run(scenario())


def test_it_resends_unacknowledged_events_and_the_duplicates_change_nothing(synced, port):
    async def scenario():
        async with embedded_broker(HOST, port), h.FakePlatform(HOST, port, ack_events=False) as platform:
            async with edge_running(synced, HOST, port, resend_after=0.5, poll_every=0.1) as (door, client):
                for _ in range(10):
                    door.present("card", h.CARD)
                await platform.wait_for(lambda: platform.deliveries and min(platform.deliveries.values()) >= 2)
                assert synced.outbox_count() == 10  # no evack, nothing forgotten
                platform.ack_events = True
                await until(lambda: synced.outbox_count() == 0)
                # a repeated evack, and one for ids the door never had
                await platform.publish("evack", {"event_ids": list(platform.stored)})
                await platform.publish("evack", {"event_ids": ["unknown-1", "unknown-2"]})
                door.present("card", h.CARD)
                await platform.wait_for(lambda: len(platform.stored) == 11)
                await until(lambda: synced.outbox_count() == 0)
        assert len(platform.stored) == 11

    run(scenario())


def test_it_refuses_a_revoked_card_after_the_next_sync(synced, port):
    async def scenario():
        async with embedded_broker(HOST, port), h.FakePlatform(HOST, port) as platform:
            async with edge_running(synced, HOST, port) as (door, client):
                await until(client.connected.is_set)
                assert door.present("card", "0B0B0B0B").allow
                await platform.publish("sync", h.delta(11, 10, deletes={"credentials": [5]}))
                await platform.wait_for(lambda: {"type": "sync_applied", "version": 11} in platform.acks)
                decision = door.present("card", "0B0B0B0B")
                assert (decision.allow, decision.reason) == (False, "revoked")
                assert door.present("card", h.CARD).allow  # the others still pass

    run(scenario())


def test_it_asks_again_when_a_delta_leaves_a_gap(synced, port):
    async def scenario():
        async with embedded_broker(HOST, port), h.FakePlatform(HOST, port) as platform:
            async with edge_running(synced, HOST, port) as (door, client):
                await platform.wait_for(lambda: len(platform.heartbeats) == 1)
                await platform.publish("sync", h.delta(14, 12, deletes={"credentials": [1]}))
                await platform.wait_for(lambda: len(platform.heartbeats) == 2)
                assert platform.heartbeats[-1]["synced_version"] == 10
                assert door.present("card", h.CARD).allow

    run(scenario())


def test_it_ignores_a_sync_not_signed_by_the_platform(synced, port):
    async def scenario():
        async with embedded_broker(HOST, port), h.FakePlatform(HOST, port) as platform:
            async with edge_running(synced, HOST, port) as (door, client):
                await until(client.connected.is_set)
                await platform.publish("sync", h.delta(11, 10, deletes={"credentials": [1]}), secret="forged")
                await platform.publish("sync", h.delta(12, 10, deletes={"credentials": [2]}))
                await platform.wait_for(lambda: platform.acks)
                assert platform.acks == [{"type": "sync_applied", "version": 12}]
                assert door.present("card", h.CARD).allow

    run(scenario())


def test_it_learns_from_the_retained_state_that_it_is_behind(synced, port):
    async def scenario():
        async with embedded_broker(HOST, port), h.FakePlatform(HOST, port) as platform:
            await platform.publish("state", {"latest_version": 15}, retain=True)
            async with edge_running(synced, HOST, port) as (door, client):
                # one heartbeat on connecting, one more because the state says 15 > 10
                await platform.wait_for(lambda: len(platform.heartbeats) >= 2)
                assert {beat["synced_version"] for beat in platform.heartbeats} == {10}

    run(scenario())


def test_it_opens_on_a_fresh_command_once(synced, port):
    async def scenario():
        async with embedded_broker(HOST, port), h.FakePlatform(HOST, port) as platform:
            async with edge_running(synced, HOST, port) as (door, client):
                await until(client.connected.is_set)
                await platform.publish("cmd", {"cmd": "open", "cmd_id": "c-1", "seconds": 3})
                await platform.publish("cmd", {"cmd": "open", "cmd_id": "c-1", "seconds": 3})  # replayed
                await platform.publish("cmd", {"cmd": "open", "cmd_id": "c-2"},
                                       ts=datetime.now(UTC) - timedelta(minutes=5))  # delayed
                await platform.publish("cmd", {"cmd": "fly", "cmd_id": "c-3"})
                await platform.wait_for(lambda: len(platform.acks) == 3)
                await platform.wait_for(lambda: len(platform.stored) == 1)
        assert [seconds for _, seconds in door.relay.commands] == [3]
        assert [(e["kind"], e["reason"]) for e in platform.stored.values()] == [("remote_unlock", "c-1")]
        assert [(a["cmd_id"], a["ok"], a["reason"]) for a in platform.acks] == [
            ("c-1", True, ""), ("c-2", False, "stale"), ("c-3", False, "unknown command fly")]

    run(scenario())


def test_it_confirms_deleted_face_templates(store, port):
    async def scenario():
        vectors = h.random_unit_vectors(2)
        store.sync_apply(protocol.sync_parse(h.full(
            1, people=[h.person(ALICE), h.person(BOB)],
            faces=[h.face(1, ALICE, vectors[0]), h.face(2, BOB, vectors[1])])), secret=h.SECRET)
        async with embedded_broker(HOST, port), h.FakePlatform(HOST, port) as platform:
            async with edge_running(store, HOST, port) as (door, client):
                await until(client.connected.is_set)
                assert len(door.gallery) == 2
                await platform.publish("sync", h.delta(2, 1, deletes={"faces": [2]}))
                await platform.wait_for(lambda: {"type": "face_deleted", "template_ids": [2]} in platform.acks)
                assert door.gallery.template_ids.tolist() == [1]
        assert store.face_deletions_pending() == []

    run(scenario())


def test_it_keeps_deciding_while_the_broker_restarts(synced, port):
    async def scenario():
        async with edge_running(synced, HOST, port) as (door, client):
            async with embedded_broker(HOST, port), h.FakePlatform(HOST, port) as platform:
                await until(client.connected.is_set)
                door.present("card", h.CARD)
                await platform.wait_for(lambda: len(platform.stored) == 1)
            await until(lambda: not client.connected.is_set())
            assert door.present("pin", h.PIN).allow
            async with embedded_broker(HOST, port), h.FakePlatform(HOST, port) as platform:
                await platform.wait_for(lambda: len(platform.stored) == 1)
                await until(lambda: synced.outbox_count() == 0)
                assert [e["credential_kind"] for e in platform.stored.values()] == ["pin"]

    run(scenario())


def test_it_sends_heartbeats_with_its_version_and_outbox(synced, port):
    async def scenario():
        async with embedded_broker(HOST, port), h.FakePlatform(HOST, port, ack_events=False) as platform:
            async with edge_running(synced, HOST, port, heartbeat_every=0.1) as (door, client):
                door.present("card", h.CARD)
                await platform.wait_for(lambda: len(platform.heartbeats) >= 3 and platform.heartbeats[-1]["outbox"])
        beat = platform.heartbeats[-1]
        assert (beat["synced_version"], beat["outbox"]) == (10, 1)
        assert isinstance(beat["uptime"], float)

    run(scenario())


def test_it_stops_even_when_a_publish_loses_the_cancellation(synced, port, monkeypatch):
    from shequ.edge.client import EdgeClient

    real_publish = EdgeClient._publish

    async def publish_that_swallows_cancellation(self, name, body):  # Python 3.11's wait_for, at the wrong moment
        await real_publish(self, name, body)
        if name == "heartbeat":
            try:
                await asyncio.sleep(0.5)
            except asyncio.CancelledError:
                pass

    monkeypatch.setattr(EdgeClient, "_publish", publish_that_swallows_cancellation)

    async def scenario():
        async with embedded_broker(HOST, port), h.FakePlatform(HOST, port) as platform:
            async with edge_running(synced, HOST, port, heartbeat_every=0.01):  # stopping waits 10 s at most
                await platform.wait_for(lambda: len(platform.heartbeats) >= 2)

    run(scenario(), timeout=30)
