"""Fixtures of the gateway tests: a broker (embedded amqtt, or Mosquitto when it listens
on 127.0.0.1:1883), registered devices with known secrets, a fast gateway configuration.

The gateway writes on its own threads, so these tests commit for real
(``transaction=True``). On SQLite the test database is shared in-memory, where a
read can collide with a write of another connection: tests read through the
gateway's own database thread (``gateway.ingest_worker``) while it runs.
"""

from __future__ import annotations

import asyncio
import gc
import uuid
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass

import aiomqtt
import pytest

from shequ.gateway.broker import embedded_broker, free_port, port_is_open
from shequ.gateway.control import ControlTiming
from shequ.gateway.main import Gateway, GatewayConfig

MOSQUITTO = ("127.0.0.1", 1883)
#: every scenario runs under this many seconds (the suite must stay bounded)
SCENARIO_TIMEOUT = 50


@dataclass
class BrokerSpec:
    kind: str
    host: str
    port: int

    def running(self):
        """Start the embedded broker for the block (Mosquitto is already running)."""
        return embedded_broker(self.host, self.port) if self.kind == "amqtt" else nullcontext()


@pytest.fixture(params=["amqtt", "mosquitto"])
def broker(request) -> BrokerSpec:
    if request.param == "mosquitto":
        if not port_is_open(*MOSQUITTO):
            pytest.skip("Mosquitto is not listening on 127.0.0.1:1883 (start it to run the gateway tests against it)")
        return BrokerSpec("mosquitto", *MOSQUITTO)
    return BrokerSpec("amqtt", "127.0.0.1", free_port())


@pytest.fixture
def amqtt_broker() -> BrokerSpec:
    return BrokerSpec("amqtt", "127.0.0.1", free_port())


def make_devices(area, count: int, prefix: str = "gwt") -> dict[str, str]:
    """``count`` active devices at ``area``; returns {device_id: secret}. Ids are unique per
    run: on a shared Mosquitto, other test runs' devices must not be ours."""
    from shequ.access.models import Device
    from shequ.core import pii

    run = uuid.uuid4().hex[:8]
    secrets = {f"{prefix}-{run}-{index}": f"secret-{run}-{index}" for index in range(count)}
    Device.objects.bulk_create([
        Device(device_id=device_id, name=device_id, kind="unit_door", area=area, secret_cipher=pii.encrypt(secret))
        for device_id, secret in secrets.items()
    ])
    return secrets


@pytest.fixture
def devices(tree) -> dict[str, str]:
    return make_devices(tree.unit_a, 4)


@pytest.fixture
def device(tree):
    """One registered device at a unit door of community A (a model instance)."""
    from shequ.access.models import Device

    (device_id,) = make_devices(tree.unit_a, 1)
    return Device.objects.get(device_id=device_id)


def event_row(device, event_id: str, kind: str = "pass", **fields):
    """An EventRow of ``device`` as the gateway hands it to ``events_store``; now unless ``occurred_at``."""
    from django.utils import timezone

    from shequ.access.services.ingest import EventRow

    return EventRow(device.pk, event_id, kind, fields.pop("occurred_at", timezone.now()), **fields)


def fast_config(spec: BrokerSpec, **overrides) -> GatewayConfig:
    values = dict(
        broker_host=spec.host, broker_port=spec.port, client_id=f"gwtest-{uuid.uuid4().hex[:10]}",
        batch_delay=0.02, reconnect_min=0.05, reconnect_max=0.5, drain_seconds=5.0, mqtt_timeout=3.0, keepalive=5,
        timing=ControlTiming(heartbeat_flush=0.1, sync_poll=0.1, sync_resend=2.0, offline_check=3600, jobs=False,
                             directory_refresh=3600, stats_log=3600),
    )
    values.update(overrides)
    return GatewayConfig(**values)


class Running:
    """A gateway serving in a task of the current loop."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(gateway.run(self.stop))

    async def connected(self, timeout: float = 10) -> None:
        await asyncio.wait_for(self.gateway.connected.wait(), timeout)

    async def db(self, func, *args):
        """Run ``func`` on the gateway's database thread (see the module docstring)."""
        return await self.gateway.ingest_worker.run(func, *args)

    async def shutdown(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 15)

    async def kill(self) -> None:
        """Stop at once, as a crash: no draining, no last acknowledgements."""
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass


@asynccontextmanager
async def gateway_running(config: GatewayConfig, **kwargs):
    running = Running(Gateway(config, **kwargs))
    try:
        await running.connected()
        yield running
    finally:
        if not running.task.done():
            await running.shutdown()
        await forget_session(config)
        await forget_states(config, [device.device_id for device in running.gateway.directory])


async def forget_states(config: GatewayConfig, device_ids: list[str]) -> None:
    """Clear the retained states the gateway left: a shared broker would keep them for ever."""
    from shequ.access import protocol

    try:
        async with aiomqtt.Client(config.broker_host, config.broker_port, timeout=5) as client:
            for device_id in device_ids:
                await client.publish(protocol.topic(device_id, "state"), b"", qos=1, retain=True)
    except aiomqtt.MqttError:
        pass


async def forget_session(config: GatewayConfig) -> None:
    """Drop the gateway's persistent session, so a shared broker keeps no queue for a test client."""
    if config.clean_session:
        return
    try:
        async with aiomqtt.Client(config.broker_host, config.broker_port, identifier=config.client_id,
                                  clean_session=True, timeout=3):
            pass
    except aiomqtt.MqttError:
        pass


def run(coro, timeout: float = SCENARIO_TIMEOUT):
    """Run a scenario on a fresh loop, bounded in time."""
    with asyncio.Runner() as runner:
        try:
            return runner.run(asyncio.wait_for(coro, timeout))
        finally:
            runner.run(_collect_clients())


async def _collect_clients() -> None:
    # a paho client collected after its loop closed complains from __del__: collect them while it runs
    gc.collect()
    await asyncio.sleep(0.01)


def stored_keys(device_ids) -> list[tuple[str, str]]:
    """(device id, event id) of every stored event of these devices, duplicates kept."""
    from shequ.access.models import AccessEvent

    return list(AccessEvent.objects.filter(device__device_id__in=list(device_ids))
                .values_list("device__device_id", "event_id"))


def stored_count(device_ids) -> int:
    from shequ.access.models import AccessEvent

    return AccessEvent.objects.filter(device__device_id__in=list(device_ids)).count()


async def stop(task: asyncio.Task) -> None:
    """Cancel a task and let it finish (an MQTT client must close its socket while the loop runs)."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
