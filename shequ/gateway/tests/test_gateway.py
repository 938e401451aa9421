"""The gateway end to end through a real broker: events stored and acknowledged,
bad messages quarantined, heartbeats recorded (against amqtt and Mosquitto)."""

from __future__ import annotations

import asyncio

import pytest

from shequ.access import protocol
from shequ.gateway.tests.conftest import fast_config, gateway_running, run, stored_count, stored_keys, stop
from shequ.gateway.tests.fleet import Fleet

pytestmark = pytest.mark.django_db(transaction=True)


def quarantined_reasons(topic_part: str) -> list[str]:
    from shequ.access.models import QuarantinedMessage

    return list(QuarantinedMessage.objects.filter(topic__contains=topic_part).order_by("pk")
                .values_list("reason", flat=True))


def test_it_stores_events_and_acknowledges_them(broker, devices):
    async def scenario():
        async with broker.running():
            fleet = Fleet(broker.host, broker.port, devices)
            fleet_task = asyncio.create_task(fleet.run())
            async with gateway_running(fast_config(broker)) as gateway:
                await fleet.connected.wait()
                for device_id in devices:
                    fleet.add(device_id, 30)
                await fleet.flush()
                assert await fleet.wait_all_acked(20)
                count = await gateway.db(stored_count, devices)
            await stop(fleet_task)
            return count, fleet

    count, fleet = run(scenario())

    assert count == 4 * 30
    assert sorted(stored_keys(devices)) == sorted((device_id, event_id) for device_id, outbox in fleet.outboxes.items()
                                                  for event_id in outbox.acked)


def test_it_stores_the_fields_of_an_event(broker, devices, person_a):
    from shequ.access.models import AccessEvent

    device_id = next(iter(devices))

    async def scenario():
        async with broker.running():
            fleet = Fleet(broker.host, broker.port, devices)
            fleet_task = asyncio.create_task(fleet.run())
            async with gateway_running(fast_config(broker)):
                await fleet.connected.wait()
                fleet.add(device_id, 1, kind="refused", credential_kind="card", person_id=person_a.pk,
                          plate="", direction="in", reason="expired")
                await fleet.flush()
                assert await fleet.wait_all_acked(10)
            await stop(fleet_task)

    run(scenario())

    event = AccessEvent.objects.get(device__device_id=device_id)
    assert (event.kind, event.credential_kind, event.person_id, event.direction, event.reason) == (
        "refused", "card", person_a.pk, "in", "expired")
    assert event.received_at >= event.occurred_at


def test_it_acknowledges_a_duplicate_again_without_storing_it_twice(broker, devices):
    device_id = next(iter(devices))
    event = {"event_id": "dup-1", "kind": "pass", "occurred_at": "2025-03-01T08:00:00+08:00"}

    async def scenario():
        async with broker.running():
            fleet = Fleet(broker.host, broker.port, devices)
            fleet_task = asyncio.create_task(fleet.run())
            async with gateway_running(fast_config(broker)) as gateway:
                await fleet.connected.wait()
                # the same event twice in a message, then the message again after each acknowledgement
                for sent in range(1, 4):
                    await fleet.publish(device_id, "event", {"events": [event, event]})
                    deadline = asyncio.get_running_loop().time() + 10
                    while fleet.evacks < sent and asyncio.get_running_loop().time() < deadline:
                        await asyncio.sleep(0.02)
                count = await gateway.db(stored_count, devices)
            await stop(fleet_task)
            return count, fleet.evacks

    count, evacks = run(scenario())

    assert (count, evacks) == (1, 3)


def test_it_quarantines_bad_messages_and_keeps_going(broker, devices):
    first, second = list(devices)[:2]
    good = protocol.message_encode(device_id=first, body={"events": [
        {"event_id": "ok-1", "kind": "pass", "occurred_at": "2025-03-01T08:00:00+08:00"}]}, secret=devices[first])
    envelope = protocol.envelope_build(device_id=first, body={"events": []}, secret=devices[first])
    wrong_version = protocol.envelope_encode({**envelope, "v": 2})
    bad_messages = [
        (protocol.topic(first, "event"), b"{not json"),
        (protocol.topic(first, "event"), b"[1, 2, 3]"),
        # signed with another device's secret
        (protocol.topic(first, "event"), protocol.message_encode(
            device_id=first, body={"events": []}, secret=devices[second])),
        # a valid envelope of the first device published under the second's topic
        (protocol.topic(second, "event"), good),
        (protocol.topic(first, "event"), wrong_version),
        (protocol.topic(first, "heartbeat"), protocol.message_encode(device_id=first, body={"uptime": "x"},
                                                                      secret=devices[first])),
        (protocol.topic(first, "ack"), protocol.message_encode(device_id=first, body={"type": "nonsense"},
                                                                secret=devices[first])),
    ]

    async def scenario():
        async with broker.running():
            fleet = Fleet(broker.host, broker.port, devices)
            fleet_task = asyncio.create_task(fleet.run())
            async with gateway_running(fast_config(broker)) as gateway:
                await fleet.connected.wait()
                for topic, payload in bad_messages:
                    await fleet.publish_raw(topic, payload)
                await fleet.publish_raw(protocol.topic(first, "event"), good)
                deadline = asyncio.get_running_loop().time() + 10
                while not fleet.outboxes[first].acked and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.05)
                count = await gateway.db(stored_count, devices)
            await stop(fleet_task)
            return count, fleet.outboxes[first].acked

    count, acked = run(scenario())

    assert (count, acked) == (1, {"ok-1"})
    reasons = quarantined_reasons(first) + quarantined_reasons(second)
    assert len(reasons) == len(bad_messages)
    assert any(reason.startswith("malformed JSON") for reason in reasons)
    assert "envelope is not a JSON object" in reasons
    assert reasons.count("bad signature") == 1
    assert any("does not match topic device" in reason for reason in reasons)
    assert any("unsupported protocol version" in reason for reason in reasons)
    assert any(reason.startswith("heartbeat:") for reason in reasons)
    assert any("ack has unknown type" in reason for reason in reasons)


def test_it_quarantines_messages_of_an_unknown_device(broker, devices):
    stranger = "gwt-stranger-" + next(iter(devices)).split("-")[1]

    async def scenario():
        async with broker.running():
            fleet = Fleet(broker.host, broker.port, devices)
            fleet_task = asyncio.create_task(fleet.run())
            async with gateway_running(fast_config(broker)) as gateway:
                await fleet.connected.wait()
                payload = protocol.message_encode(device_id=stranger, body={"events": [
                    {"event_id": "x-1", "kind": "forced", "occurred_at": "2025-03-01T08:00:00+08:00"}]},
                    secret="guessed")
                await fleet.publish_raw(protocol.topic(stranger, "event"), payload)
                deadline = asyncio.get_running_loop().time() + 10
                while (not await gateway.db(quarantined_reasons, stranger)
                       and asyncio.get_running_loop().time() < deadline):
                    await asyncio.sleep(0.05)
            await stop(fleet_task)

    run(scenario())

    assert quarantined_reasons(stranger) == [f"unknown device {stranger!r}"]


def test_it_stores_the_good_events_of_a_batch_and_quarantines_the_bad_one(broker, devices):
    device_id = next(iter(devices))
    body = {"events": [
        {"event_id": "good-1", "kind": "pass", "occurred_at": "2025-03-01T08:00:00+08:00"},
        {"event_id": "bad-1", "kind": "teleported", "occurred_at": "2025-03-01T08:00:01+08:00"},
        {"event_id": "good-2", "kind": "plate", "occurred_at": "2025-03-01T08:00:02+08:00", "plate": "陕A12345"},
    ]}

    async def scenario():
        async with broker.running():
            fleet = Fleet(broker.host, broker.port, devices)
            fleet_task = asyncio.create_task(fleet.run())
            async with gateway_running(fast_config(broker)):
                await fleet.connected.wait()
                await fleet.publish(device_id, "event", body)
                deadline = asyncio.get_running_loop().time() + 10
                while not fleet.outboxes[device_id].acked and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.05)
            await stop(fleet_task)
            return fleet.outboxes[device_id].acked

    acked = run(scenario())

    # the bad event is acknowledged too: it is kept in quarantine and must not block the outbox
    assert acked == {"good-1", "bad-1", "good-2"}
    assert sorted(event_id for _device, event_id in stored_keys(devices)) == ["good-1", "good-2"]
    (reason,) = quarantined_reasons(device_id)
    assert reason.startswith("event 1: kind")


def test_it_records_heartbeats(broker, devices):
    from shequ.access.models import Device

    device_id = next(iter(devices))

    async def scenario():
        async with broker.running():
            fleet = Fleet(broker.host, broker.port, devices)
            fleet_task = asyncio.create_task(fleet.run())
            async with gateway_running(fast_config(broker)) as gateway:
                await fleet.connected.wait()
                await fleet.publish(device_id, "heartbeat",
                                    protocol.heartbeat_body(uptime=12.5, synced_version=0, outbox=3), qos=0)
                deadline = asyncio.get_running_loop().time() + 10
                while gateway.gateway.stats.heartbeats < 1 and asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(0.05)
            await stop(fleet_task)

    run(scenario())

    assert Device.objects.get(device_id=device_id).last_heartbeat_at is not None
    others = Device.objects.filter(device_id__in=list(devices)).exclude(device_id=device_id)
    assert not others.filter(last_heartbeat_at__isnull=False).exists()


def test_it_accepts_a_device_registered_after_it_started(broker, tree):
    from shequ.gateway.tests.conftest import make_devices

    async def scenario():
        async with broker.running():
            async with gateway_running(fast_config(broker)) as gateway:
                late = await gateway.db(make_devices, tree.unit_a, 1)
                fleet = Fleet(broker.host, broker.port, late)
                fleet_task = asyncio.create_task(fleet.run())
                await fleet.connected.wait()
                fleet.add(next(iter(late)), 3)
                await fleet.flush()
                assert await fleet.wait_all_acked(10)
                count = await gateway.db(stored_count, late)
            await stop(fleet_task)
            return count

    assert run(scenario()) == 3


def test_it_follows_a_rotated_device_secret(broker, devices):
    from shequ.access.models import Device
    from shequ.access.services import device_secret_rotate
    from shequ.accounts.audit import Actor

    device_id = next(iter(devices))

    def rotate() -> str:
        return device_secret_rotate(actor=Actor.system(), device=Device.objects.get(device_id=device_id))

    async def scenario():
        async with broker.running():
            fleet = Fleet(broker.host, broker.port, devices, resend_after=0.3)
            fleet_task = asyncio.create_task(fleet.run())
            async with gateway_running(fast_config(broker)) as gateway:
                await fleet.connected.wait()
                fleet.outboxes[device_id].secret = await gateway.db(rotate)
                fleet.add(device_id, 2)
                await fleet.flush()
                # the first try fails the old secret, makes the gateway reload the device; the resend passes
                assert await fleet.wait_all_acked(10)
            await stop(fleet_task)

    run(scenario())

    assert sorted(stored_keys(devices))[0][0] == device_id
    assert any(reason == "bad signature" for reason in quarantined_reasons(device_id))


def test_it_raises_a_fault_for_a_device_gone_silent(broker, devices):
    from datetime import timedelta

    from django.utils import timezone

    from shequ.access.models import Device
    from shequ.gateway.control import ControlTiming

    silent, fine = list(devices)[:2]
    Device.objects.filter(device_id=silent).update(last_heartbeat_at=timezone.now() - timedelta(hours=1))
    Device.objects.filter(device_id=fine).update(last_heartbeat_at=timezone.now())
    timing = ControlTiming(heartbeat_flush=0.1, sync_poll=0.1, offline_check=0.1, directory_refresh=3600, jobs=False)

    async def scenario():
        async with broker.running():
            async with gateway_running(fast_config(broker, timing=timing)) as gateway:
                deadline = asyncio.get_running_loop().time() + 10
                while asyncio.get_running_loop().time() < deadline:
                    if await gateway.db(_fault_raised, silent):
                        break
                    await asyncio.sleep(0.05)

    run(scenario())

    assert Device.objects.get(device_id=silent).fault_raised_at is not None
    assert Device.objects.get(device_id=fine).fault_raised_at is None


def _fault_raised(device_id: str) -> bool:
    from shequ.access.models import Device

    return Device.objects.filter(device_id=device_id, fault_raised_at__isnull=False).exists()
