"""The simulated terminals on a real (embedded) broker: they keep only notices the platform
signed, once each, latest version, withdrawn ones gone; and their SOS goes through the real
gateway into the database once, raising one SOS alarm."""

from __future__ import annotations

import asyncio
import time
import uuid

import aiomqtt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shequ.access import protocol
from shequ.core import signing
from shequ.gateway.broker import embedded_broker, free_port
from shequ.gateway.tests.conftest import BrokerSpec, fast_config, gateway_running, run
from shequ.terminals.sim import Simulator, Terminal, TerminalSpec, config_for
from shequ.terminals.tests.conftest import broadcast, moments, notice_body

HOST = "127.0.0.1"
PLATFORM = Ed25519PrivateKey.generate()
PUBLIC = signing.public_key_text(PLATFORM)
AREAS = (1, 5, 9)


def fast(port: int, **changes):
    return config_for(HOST, port, timeout=3.0, reconnect_min=0.05, reconnect_max=0.5, **changes)


async def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def deliver(messages: list[tuple[int, bytes]], area_ids=AREAS) -> Simulator:
    """Publish (area id, raw broadcast) messages on the area topics to one listening terminal;
    returns the simulator once the terminal has handled them all."""
    port = free_port()
    spec = TerminalSpec(device_id=f"t-{uuid.uuid4().hex[:8]}", secret="s" * 32, area_ids=tuple(area_ids))

    async def scenario():
        async with embedded_broker(HOST, port):
            simulator = Simulator([spec], config=fast(port), platform_key=PUBLIC)
            await simulator.start()
            assert await simulator.wait_connected(10)
            async with aiomqtt.Client(HOST, port, timeout=3) as publisher:
                for area_id, raw in messages:
                    await publisher.publish(protocol.broadcast_topic(area_id, "notice"), raw, qos=1)
            handled = await wait_until(lambda: sum(simulator.outcomes().values()) == len(messages))
            await simulator.stop()
            assert handled, simulator.outcomes()
            return simulator

    return run(scenario())


def shown(simulator: Simulator) -> list[tuple[str, str]]:
    [terminal] = simulator.terminals.values()
    return [(notice.notice_id, notice.title) for notice in terminal.board.current()]


def test_a_terminal_shows_a_notice_of_an_area_above_it_and_reports_when_it_got_it():
    simulator = deliver([(1, broadcast(1, notice_body(42, urgent=True), PLATFORM))])

    assert shown(simulator) == [("42", "停水通知")]
    [(device_id, receipt)] = simulator.receipts["42"].items()
    assert device_id in simulator.terminals
    assert receipt.arrived <= receipt.verified


def test_a_forged_and_an_altered_notice_are_dropped():
    genuine = broadcast(5, notice_body(2, title="停水通知"), PLATFORM)

    simulator = deliver([
        (5, broadcast(5, notice_body(1, title="假通知"), Ed25519PrivateKey.generate())),
        (5, genuine.replace("停水".encode(), "停电".encode())),
        (5, genuine),
    ])

    assert shown(simulator) == [("2", "停水通知")]
    assert simulator.outcomes() == {"bad_signature": 2, "new": 1}
    assert "1" not in simulator.receipts


def test_a_repeated_notice_is_kept_once_and_a_newer_version_replaces_it():
    first, second = moments(2)
    original = broadcast(9, notice_body(7, title="停水通知"), PLATFORM, at=first)

    simulator = deliver([(9, original), (9, original),
                         (9, broadcast(9, notice_body(7, title="停水时间变更"), PLATFORM, at=second))])

    assert shown(simulator) == [("7", "停水时间变更")]
    assert simulator.outcomes() == {"new": 1, "repeat": 1, "updated": 1}


def test_a_withdrawn_notice_is_dropped():
    published, withdrawn = moments(2)

    simulator = deliver([
        (5, broadcast(5, notice_body(7), PLATFORM, at=published)),
        (5, broadcast(5, notice_body(8, title="电梯维保"), PLATFORM, at=published)),
        (5, broadcast(5, {"op": "withdraw", "notice_id": 7}, PLATFORM, at=withdrawn)),
    ])

    assert shown(simulator) == [("8", "电梯维保")]


# --- through the real gateway ---------------------------------------------------------------------------------------

class LosesFirstEvack(Terminal):
    """A terminal whose first evack is lost on the way, so it sends its SOS again."""

    lost = 0

    async def _dispatch(self, name, envelope) -> None:
        if name == "evack" and not self.lost:
            self.lost += 1
            return
        await super()._dispatch(name, envelope)


@pytest.mark.django_db(transaction=True)
def test_an_sos_pressed_on_a_terminal_is_stored_once_and_raises_one_sos_alarm(tree):
    from shequ.access.models import AccessEvent
    from shequ.alarms.models import Alarm
    from shequ.terminals.tests.conftest import make_terminal

    device, secret = make_terminal(tree.house_a.area, f"sim-{uuid.uuid4().hex[:8]}")
    spec = TerminalSpec(device.device_id, secret, tuple(protocol.area_ids_of_path(device.area.path)))
    broker = BrokerSpec("amqtt", HOST, free_port())

    async def scenario():
        async with broker.running(), gateway_running(fast_config(broker)):
            terminal = LosesFirstEvack(spec, config=fast(broker.port, resend_after=0.3, poll_every=0.1))
            stop = asyncio.Event()
            task = asyncio.create_task(terminal.run(stop))
            await asyncio.wait_for(terminal.listening.wait(), 10)
            event_id = terminal.sos()
            acknowledged = await wait_until(lambda: terminal.unacknowledged() == 0)
            stop.set()
            await task
            return event_id, acknowledged, terminal.lost

    event_id, acknowledged, lost = run(scenario())

    assert acknowledged and lost == 1  # sent at least twice: once before the lost evack, once after
    [event] = AccessEvent.objects.filter(device=device)
    assert (event.event_id, event.kind) == (event_id, "sos")
    [alarm] = Alarm.objects.filter(device=device)
    assert (alarm.kind, alarm.area_id, alarm.event_id) == ("sos", tree.house_a.area.pk, event.pk)


@pytest.mark.django_db(transaction=True)
def test_a_terminal_without_the_platform_key_learns_it_from_its_first_full_sync(tree):
    from shequ.access.models import Device
    from shequ.access.services.outbound import outbound_broadcast
    from shequ.terminals.tests.conftest import make_terminal

    device, secret = make_terminal(tree.house_a.area, f"sim-{uuid.uuid4().hex[:8]}")
    # a list compiled for it: the gateway answers its first heartbeat (version 0) with a full snapshot
    Device.objects.filter(pk=device.pk).update(latest_version=1)
    spec = TerminalSpec(device.device_id, secret, tuple(protocol.area_ids_of_path(device.area.path)))
    broker = BrokerSpec("amqtt", HOST, free_port())

    async def scenario():
        async with broker.running(), gateway_running(fast_config(broker)) as gateway:
            simulator = Simulator([spec], config=fast(broker.port), platform_key="")
            terminal = simulator.terminals[spec.device_id]
            await simulator.start()
            assert await simulator.wait_connected(10)
            learned = await wait_until(lambda: terminal.board.platform_key != "")
            await gateway.db(lambda: outbound_broadcast(area=tree.complex_a, name="notice", body=notice_body("n-1")))
            reached = await simulator.wait_notice("n-1", timeout=10)
            await simulator.stop()
            return learned, reached, terminal

    learned, reached, terminal = run(scenario())

    assert learned and reached
    assert terminal.board.platform_key == signing.platform_public_key_text()
    assert terminal.store.synced_version == 1


@pytest.mark.django_db(transaction=True)
def test_a_notice_queued_for_a_complex_reaches_its_terminals_and_no_other_community(tree):
    from shequ.access.services.outbound import outbound_broadcast
    from shequ.core.signing import platform_public_key_text
    from shequ.terminals.tests.conftest import make_terminal

    places = {"a": tree.house_a.area, "a2": tree.house_a2.area, "b": tree.house_b.area}
    specs = []
    for name, area in places.items():
        device, secret = make_terminal(area, f"sim-{name}-{uuid.uuid4().hex[:8]}")
        specs.append(TerminalSpec(device.device_id, secret, tuple(protocol.area_ids_of_path(area.path))))
    broker = BrokerSpec("amqtt", HOST, free_port())

    async def scenario():
        async with broker.running(), gateway_running(fast_config(broker)) as gateway:
            simulator = Simulator(specs, config=fast(broker.port), platform_key=platform_public_key_text())
            await simulator.start()
            assert await simulator.wait_connected(10)
            await gateway.db(lambda: outbound_broadcast(area=tree.complex_a, name="notice",
                                                        body=notice_body("n-1", urgent=True)))
            reached = await simulator.wait_notice("n-1", timeout=10, count=2)
            # the other community's terminal is subscribed too: a notice to it would have arrived by now
            await gateway.db(lambda: outbound_broadcast(area=tree.community_b, name="notice", body=notice_body("n-2")))
            await simulator.wait_notice("n-2", timeout=10, count=1)
            await simulator.stop()
            return reached, simulator

    reached, simulator = run(scenario())

    assert reached
    assert sorted(simulator.receipts["n-1"]) == sorted(spec.device_id for spec in specs[:2])
    assert list(simulator.receipts["n-2"]) == [specs[2].device_id]
