"""The gateway publishes what web processes queue (``shequ.access.services.outbound``):
commands to one device signed with its secret, broadcasts to an area signed with
the platform's Ed25519 key; sent rows are marked, expired ones dropped."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import aiomqtt
import pytest
from django.utils import timezone

from shequ.access import protocol
from shequ.gateway.tests.conftest import fast_config, gateway_running, run, stop
from shequ.gateway.tests.fleet import Fleet

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def door(tree):
    from shequ.access.services import device_register
    from shequ.accounts.audit import Actor

    return device_register(actor=Actor.system(), device_id=f"gwo-door-{uuid.uuid4().hex[:8]}", name="1号门",
                           kind="unit_door", area=tree.unit_a)


async def _until(predicate, seconds: float = 10.0) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.05)
    return False


def test_a_queued_command_reaches_its_device_signed_and_is_marked_sent(broker, door):
    from shequ.access.models import Outbound
    from shequ.access.services.outbound import outbound_command

    device = door.device

    async def scenario():
        async with broker.running():
            async with gateway_running(fast_config(broker)) as gateway:
                fleet = Fleet(broker.host, broker.port, {device.device_id: door.secret})
                fleet_task = asyncio.create_task(fleet.run())
                await asyncio.wait_for(fleet.connected.wait(), 10)
                cmd_id = await gateway.db(lambda: outbound_command(device=device, cmd="open", params={"seconds": 5}))
                got = await fleet.wait_for(
                    lambda received: [body for _d, name, body in received if name == "cmd"], 10)
                sent = await _until(lambda: gateway.db(
                    lambda: Outbound.objects.filter(sent_at__isnull=False).exists()))
            await stop(fleet_task)
            return cmd_id, got, sent, [body for _d, name, body in fleet.received if name == "cmd"]

    cmd_id, got, sent, commands = run(scenario())

    assert got and sent
    assert commands == [{"cmd": "open", "cmd_id": cmd_id, "seconds": 5}]


def test_a_broadcast_reaches_subscribers_of_the_area_with_a_valid_platform_signature(broker, tree):
    from shequ.access.services.outbound import outbound_broadcast
    from shequ.core.signing import platform_public_key_text

    public_key = platform_public_key_text()
    area_ids = protocol.area_ids_of_path(tree.house_a.area.path)

    async def scenario():
        async with broker.running():
            async with gateway_running(fast_config(broker)) as gateway:
                async with aiomqtt.Client(broker.host, broker.port, identifier=f"t-{uuid.uuid4().hex[:8]}") as client:
                    await client.subscribe(protocol.broadcast_subscriptions(area_ids))
                    await gateway.db(lambda: outbound_broadcast(area=tree.complex_a, name="notice",
                                                                body={"notice_id": 7, "title": "停水通知"}))
                    async with asyncio.timeout(10):
                        async for message in client.messages:
                            return str(message.topic), message.payload

    topic, payload = run(scenario())

    envelope = protocol.broadcast_open(payload, public_key)
    assert topic == protocol.broadcast_topic(tree.complex_a.pk, "notice")
    assert envelope["body"] == {"notice_id": 7, "title": "停水通知"}
    with pytest.raises(protocol.ProtocolError):
        protocol.broadcast_open(payload.replace("停水".encode(), "停电".encode()), public_key)


def test_an_expired_command_is_dropped_not_sent(door):
    from shequ.access.models import Outbound
    from shequ.access.services.outbound import outbound_command, outbound_pending

    outbound_command(device=door.device, cmd="open")
    later = timezone.now() + protocol.CMD_MAX_SKEW + timedelta(seconds=1)

    assert outbound_pending(now=later) == []
    assert Outbound.objects.get().dropped is True


def test_a_malformed_command_is_refused_when_queued(door):
    from shequ.access.models import Outbound
    from shequ.access.services.outbound import outbound_command

    with pytest.raises(protocol.ProtocolError):
        outbound_command(device=door.device, cmd="")
    assert not Outbound.objects.exists()
