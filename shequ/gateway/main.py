"""``shequ gateway``: one asyncio process between the MQTT broker and the database.

It subscribes to every device's ``event``, ``heartbeat`` and ``ack`` topics,
checks each message's envelope and signature (``shequ.access.protocol``), and
hands it on: events to the batcher (database thread, ``evack`` after commit),
heartbeats and acks to the control loop, anything unusable to quarantine with
the reason. It never stops on a bad message, a lost broker (reconnects with
backoff and jitter) or a failing database (retries, keeps messages in memory up
to a bound, acknowledges nothing it has not stored).
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

import aiomqtt
import paho.mqtt.client as paho_mqtt
from django.utils import timezone

from shequ.access import protocol
from shequ.access.services.ingest import QuarantineRow, event_rows
from shequ.gateway.backoff import Backoff
from shequ.gateway.broker import DEFAULT_HOST, DEFAULT_PORT, SHUTDOWN_SECONDS, embedded_broker
from shequ.gateway.control import Control, ControlTiming
from shequ.gateway.dbworker import DbWorker
from shequ.gateway.feed import ConsoleFeed
from shequ.gateway.directory import DeviceDirectory, DeviceInfo, device_load, devices_load
from shequ.gateway.ingest import Delivery, EventBatcher
from shequ.gateway.stats import GatewayStats

logger = logging.getLogger("shequ.gateway")

#: unknown device ids being looked up at once, and messages held per id meanwhile
MAX_LOOKUPS = 16
MAX_HELD_PER_LOOKUP = 100
#: publishes queued for the broker; beyond this, evacks are skipped (devices resend)
MAX_PUBLISHING = 10_000
#: seconds a graceful stop gives the last acknowledgements to leave for the broker
PUBLISHES_SENT_SECONDS = 5.0
#: seconds between reloads of one device after a bad signature (its secret may have been rotated)
RELOAD_EVERY = 30.0


@dataclass(frozen=True)
class GatewayConfig:
    broker_host: str = DEFAULT_HOST
    broker_port: int = DEFAULT_PORT
    #: a fixed id with a persistent session: the broker keeps QoS 1 messages for a restarting gateway
    client_id: str = "shequ-gateway"
    clean_session: bool = False
    keepalive: int = 15
    #: seconds to wait for the broker to answer a connect or subscribe
    mqtt_timeout: float = 10.0
    batch_size: int = 2000
    batch_delay: float = 0.05
    #: batches written at once on PostgreSQL (each on its own connection); SQLite writes one at a time
    writers: int = 2
    max_pending_events: int = 100_000
    reconnect_min: float = 0.2
    reconnect_max: float = 30.0
    #: seconds a graceful stop waits for queued events to be stored and acknowledged
    drain_seconds: float = 10.0
    timing: ControlTiming = field(default_factory=ControlTiming)


class Gateway:
    def __init__(self, config: GatewayConfig | None = None, *, store: Callable | None = None) -> None:
        from shequ.access.services.ingest import events_store

        self.config = config or GatewayConfig()
        self.stats = GatewayStats()
        self.directory = DeviceDirectory()
        self.client: aiomqtt.Client | None = None
        #: set while connected and subscribed (tests wait on it)
        self.connected = asyncio.Event()
        self.ingest_worker = DbWorker("gateway-ingest")
        if _database_vendor() == "sqlite":
            # one writer at a time anyway: one thread, one connection, no lock contention
            self.control_worker = self.ingest_worker
            writers = [self.ingest_worker]
        else:
            self.control_worker = DbWorker("gateway-control")
            more = range(2, self.config.writers + 1)
            writers = [self.ingest_worker, *(DbWorker(f"gateway-ingest-{number}") for number in more)]
        self._workers = {*writers, self.control_worker}
        self.batcher = EventBatcher(
            store=store or events_store, workers=writers, on_committed=self._committed,
            stats=self.stats, batch_size=self.config.batch_size, batch_delay=self.config.batch_delay,
            max_pending=self.config.max_pending_events,
        )
        self.feed = ConsoleFeed(self.control_worker, self.directory)
        self.control = Control(worker=self.control_worker, directory=self.directory, publish=self._publish_signed,
                               broadcast=self._publish_broadcast, stats=self.stats, timing=self.config.timing)
        self._accepting = True
        self._refusing = False
        self._lookups: dict[str, list[aiomqtt.Message]] = {}
        self._reloaded: dict[str, float] = {}
        self._background: set[asyncio.Task] = set()

    # --- lifecycle -----------------------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set (then drain and acknowledge what is queued) or the task is
        cancelled (then stop at once, as a crash would: unacknowledged events are resent by devices)."""
        loaded = False
        try:
            await self.control_worker.run(_urls_load)
            loaded = await self._load_directory(stop)
        finally:
            if not loaded:  # stopped (or killed) before the database answered
                self._close_workers()
        if not loaded:
            return
        tasks = [asyncio.create_task(coro, name=name) for name, coro in (
            ("gateway-batcher", self.batcher.run()), ("gateway-control", self.control.run()),
            ("gateway-mqtt", self._mqtt_loop()), ("gateway-feed", self.feed.run()),
        )]
        stopping = asyncio.create_task(stop.wait())
        graceful = True
        try:
            done, _ = await asyncio.wait([stopping, *tasks], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopping and not task.cancelled() and task.exception() is not None:
                    raise task.exception()
        except asyncio.CancelledError:
            graceful = False
            raise
        finally:
            stopping.cancel()
            await self._shutdown(tasks, graceful=graceful)

    async def _load_directory(self, stop: asyncio.Event) -> bool:
        backoff = Backoff(0.5, 10.0)
        while not stop.is_set():
            try:
                devices = await self.control_worker.run(devices_load)
                version = max((device.latest_version for device in devices), default=0)
            except Exception as error:  # noqa: BLE001 - the database may not be up yet
                delay = backoff.next()
                logger.warning("cannot load devices (%s: %s); retrying in %.1f s", type(error).__name__, error, delay)
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                except TimeoutError:
                    pass
                continue
            self.directory.replace(devices)
            self.control.start_from(version)
            logger.info("gateway knows %d active devices", len(devices))
            return True
        return False

    async def _shutdown(self, tasks: list[asyncio.Task], *, graceful: bool) -> None:
        self._accepting = False
        if graceful:
            if not await self.batcher.drain(self.config.drain_seconds):
                logger.warning("stopped with %d events unstored (devices will resend them)", self.batcher.pending)
            await self._publishes_sent(timeout=PUBLISHES_SENT_SECONDS)
        running = [*tasks, *self._background]
        for task in running:
            task.cancel()
        # bounded: aiomqtt's disconnect waits up to mqtt_timeout, and on Python 3.11 it can swallow a
        # cancellation; a task still running after that is left behind rather than hanging the stop
        ended, stuck = await asyncio.wait(running, timeout=self.config.mqtt_timeout) if running else (set(), set())
        for task in ended:  # retrieved, so asyncio does not log them as never retrieved (they were logged)
            if not task.cancelled():
                task.exception()
        if stuck:
            logger.warning("stopping without waiting for %s", ", ".join(sorted(task.get_name() for task in stuck)))
        self._close_workers()
        logger.info("gateway stopped: %s", self.stats.as_dict())

    async def _publishes_sent(self, timeout: float) -> None:
        """Give the last evacks a moment to reach the broker before disconnecting."""
        deadline = time.monotonic() + timeout
        while self.client is not None and self.client._client.want_write() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    def _close_workers(self) -> None:
        for worker in self._workers:
            worker.close()

    # --- MQTT ----------------------------------------------------------------------------------------------------

    async def _mqtt_loop(self) -> None:
        config = self.config
        backoff = Backoff(config.reconnect_min, config.reconnect_max)
        while True:
            try:
                async with aiomqtt.Client(
                    config.broker_host, config.broker_port, identifier=config.client_id,
                    clean_session=config.clean_session, keepalive=config.keepalive, timeout=config.mqtt_timeout,
                    max_inflight_messages=200, max_queued_outgoing_messages=MAX_PUBLISHING, logger=mqtt_logger(),
                ) as client:
                    await client.subscribe(protocol.platform_subscriptions())
                    self.client = client
                    self.stats.connects += 1
                    backoff.reset()
                    logger.info("connected to the broker at %s:%d", config.broker_host, config.broker_port)
                    self.control.announce_all()
                    self.connected.set()
                    async for message in client.messages:
                        self._dispatch_safely(message)
            except aiomqtt.MqttError as error:
                if self.client is not None:
                    logger.warning("lost the broker: %s", error)
                elif backoff.attempts == 0:
                    logger.warning("cannot reach the broker at %s:%d: %s", config.broker_host, config.broker_port,
                                   error)
            finally:
                self.client = None
                self.connected.clear()
            delay = backoff.next()
            logger.info("reconnecting to the broker at %s:%d in %.1f s", config.broker_host, config.broker_port,
                        delay)
            await asyncio.sleep(delay)

    def _publish_signed(self, device: DeviceInfo, name: str, body: dict) -> bool:
        """Sign and publish a platform message to ``device``; False if it cannot go out now.

        Handed straight to paho's queue, which the aiomqtt loop writes out: nothing here
        needs to wait for the broker's PUBACK (a lost evack or state is repeated later),
        and aiomqtt's awaited publish costs time in proportion to the publishes already
        pending, hundreds under load."""
        client = self.client
        if client is None:
            return False
        payload = protocol.message_encode(device_id=device.device_id, body=body, secret=device.secret)
        info = client._client.publish(protocol.topic(device.device_id, name), payload, qos=protocol.QOS[name],
                                      retain=name in protocol.RETAINED)
        if info.rc != paho_mqtt.MQTT_ERR_SUCCESS:  # not connected, or MAX_PUBLISHING queued already
            logger.debug("publish of %s to %s failed: %s", name, device.device_id, paho_mqtt.error_string(info.rc))
            return False
        return True

    def _publish_broadcast(self, area_id: int, name: str, body: dict) -> bool:
        """Sign a broadcast with the platform's Ed25519 key and publish it to the area's
        topic: the broker fans it out to every device subscribed under that area."""
        client = self.client
        if client is None:
            return False
        from shequ.core.signing import platform_private_key

        payload = protocol.broadcast_encode(area_id=area_id, name=name, body=body, private_key=platform_private_key())
        info = client._client.publish(protocol.broadcast_topic(area_id, name), payload,
                                      qos=protocol.BROADCAST_MESSAGES[name])
        if info.rc != paho_mqtt.MQTT_ERR_SUCCESS:
            logger.debug("broadcast of %s to area %s failed: %s", name, area_id, paho_mqtt.error_string(info.rc))
            return False
        return True

    def _committed(self, acks: dict[str, tuple[DeviceInfo, list[str]]], stored: list) -> None:
        self._send_evacks(acks)
        self.feed.add(stored)

    def _send_evacks(self, acks: dict[str, tuple[DeviceInfo, list[str]]]) -> None:
        for device, event_ids in acks.values():
            for start in range(0, len(event_ids), protocol.MAX_EVENTS_PER_MESSAGE):
                chunk = event_ids[start : start + protocol.MAX_EVENTS_PER_MESSAGE]
                if self._publish_signed(device, "evack", protocol.evack_body(chunk)):
                    self.stats.evacks_sent += 1
                else:
                    self.stats.evacks_unsent += 1

    # --- messages ------------------------------------------------------------------------------------------------

    def _dispatch_safely(self, message: aiomqtt.Message) -> None:
        try:
            self._dispatch(message)
        except Exception as error:  # noqa: BLE001 - one message must never stop the gateway
            logger.exception("handling a message on %s failed", message.topic.value[:200])
            self._quarantine(message.topic.value, bytes(message.payload or b""),
                             f"gateway error: {type(error).__name__}: {error}"[:200])

    def _dispatch(self, message: aiomqtt.Message) -> None:
        topic = message.topic.value
        payload = message.payload if isinstance(message.payload, bytes | bytearray) else str(message.payload).encode()
        self.stats.messages += 1
        try:
            device_id, name = protocol.topic_parse(topic)
        except protocol.ProtocolError as error:
            self._quarantine(topic, payload, error.reason)
            return
        if name not in protocol.DEVICE_MESSAGES:
            return  # a platform message (another gateway's, or an echo): not ours to handle
        device = self.directory.get(device_id)
        if device is None:
            self._unknown_device(device_id, message)
            return
        try:
            if name == "event":
                self._on_events(device, topic, protocol.events_open(
                    payload, secret_for=lambda _id: device.secret, topic_device_id=device_id))
                return
            envelope = protocol.envelope_open(payload, secret_for=lambda _id: device.secret, topic_device_id=device_id)
            if name == "heartbeat":
                self.control.heartbeat(device, protocol.heartbeat_parse(envelope.body), timezone.now())
            else:
                self.control.ack(device, protocol.ack_parse(envelope.body))
        except protocol.ProtocolError as error:
            if error.code == "signature":
                self._spawn(self._reload_device(device_id))  # perhaps the secret was rotated
            self._quarantine(topic, payload, error.reason)

    def _on_events(self, device: DeviceInfo, topic: str, parsed: protocol.EventFieldsBatch) -> None:
        rows = event_rows(device.pk, parsed.events)
        quarantined = [QuarantineRow(topic, _event_json(rejected.raw), rejected.reason) for rejected in parsed.rejected]
        ack_ids = [row.event_id for row in rows]
        ack_ids += [rejected.event_id for rejected in parsed.rejected if rejected.event_id]
        self.stats.events_received += len(rows)
        self.stats.events_rejected += len(quarantined)
        if self._accepting and self.batcher.offer(Delivery(device, rows, quarantined, ack_ids)):
            self._refusing = False
            return
        self.stats.dropped += 1
        if self._accepting and not self._refusing:
            logger.warning("refusing event messages: %d events wait for the database (at most %d are kept); "
                           "devices resend what is not acknowledged", self.batcher.pending, self.batcher.max_pending)
        self._refusing = True

    def _quarantine(self, topic: str, payload: bytes, reason: str) -> None:
        logger.debug("quarantined a message on %s: %s", topic[:200], reason)
        if not self._accepting or not self.batcher.offer(Delivery(quarantined=[QuarantineRow(topic, payload, reason)])):
            self.stats.dropped += 1

    def _unknown_device(self, device_id: str, message: aiomqtt.Message) -> None:
        """Look the device up once (it may be new) before calling it unknown."""
        held = self._lookups.get(device_id)
        if held is not None:
            if len(held) < MAX_HELD_PER_LOOKUP:
                held.append(message)
            return  # more of a device not yet known: its events will be resent
        if self.directory.recently_missed(device_id) or len(self._lookups) >= MAX_LOOKUPS:
            self._quarantine(message.topic.value, bytes(message.payload), f"unknown device {device_id!r}")
            return
        self._lookups[device_id] = [message]
        self._spawn(self._look_up(device_id))

    async def _look_up(self, device_id: str) -> None:
        try:
            info = await self.control_worker.run(device_load, device_id)
        except Exception as error:  # noqa: BLE001 - database down: drop them; events are resent, beats repeat
            logger.warning("cannot look up device %s (%s)", device_id, error)
            self._lookups.pop(device_id, None)
            return
        held = self._lookups.pop(device_id, [])
        if info is None:
            self.directory.missed(device_id)
        else:
            self.directory.add(info)
        for message in held:
            self._dispatch_safely(message)

    async def _reload_device(self, device_id: str) -> None:
        now = time.monotonic()
        if now - self._reloaded.get(device_id, -RELOAD_EVERY) < RELOAD_EVERY:
            return  # bad signatures in a row (an impostor?) cost one lookup per RELOAD_EVERY
        if len(self._reloaded) > 10_000:
            self._reloaded.clear()
        self._reloaded[device_id] = now
        old = self.directory.get(device_id)
        info = await self.control_worker.run(device_load, device_id)
        if info is None:
            self.directory.forget(device_id)
            return
        self.directory.add(info)
        if old is None or old.secret != info.secret:
            self.control.announce(info)  # the retained state signed with the old secret is unverifiable now

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _event_json(raw) -> bytes:
    """A rejected event, to keep in quarantine (escaped if it holds text UTF-8 cannot carry)."""
    try:
        return protocol.canonical_json(raw)
    except UnicodeEncodeError:
        return json.dumps(raw, sort_keys=True, separators=(",", ":")).encode()


def _urls_load() -> None:
    """Load the URLconf now. Alarms pushed to the consoles link to their pages, and the first
    ``reverse()`` would otherwise import every app's views (over a second) while the first
    alarm's batch is being stored, delaying that alarm and every event queued behind it."""
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 - populating it is the point


def _database_vendor() -> str:
    from django.db import connection

    return connection.vendor


class _QuietPendingCalls(logging.Filter):
    """aiomqtt warns whenever more than ten publishes await their PUBACK; a gateway has hundreds."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("There are")


def mqtt_logger() -> logging.Logger:
    """The logger for aiomqtt (and paho) clients, without aiomqtt's pending-calls warning."""
    mqtt_logger = logging.getLogger("shequ.gateway.mqtt")
    if not any(isinstance(f, _QuietPendingCalls) for f in mqtt_logger.filters):
        mqtt_logger.addFilter(_QuietPendingCalls())
    return mqtt_logger


# --- entry points -------------------------------------------------------------------------------------------------

async def serve(config: GatewayConfig, *, embedded: bool = False, stop: asyncio.Event | None = None,
                started: Callable[[], None] | None = None, store: Callable | None = None) -> None:
    """Run the gateway (and, with ``embedded``, an amqtt broker on the configured host and port)
    until ``stop`` is set."""
    stop = stop or asyncio.Event()
    broker = embedded_broker(config.broker_host, config.broker_port) if embedded else nullcontext()
    async with broker:
        if embedded:
            logger.info("embedded MQTT broker listening on %s:%d", config.broker_host, config.broker_port)
        if started is not None:
            started()
        await Gateway(config, store=store).run(stop)


def run_gateway(
    *,
    broker_host: str = DEFAULT_HOST,
    broker_port: int = DEFAULT_PORT,
    embedded_broker: bool = False,
    client_id: str = "shequ-gateway",
) -> int:
    """Run until SIGINT or SIGTERM (then store and acknowledge what is queued); the exit status."""
    config = GatewayConfig(broker_host=broker_host, broker_port=broker_port, client_id=client_id)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await serve(config, embedded=embedded_broker, stop=stop)

    from amqtt.errors import BrokerError

    try:
        asyncio.run(main())
    except (OSError, BrokerError) as error:  # the embedded broker's port is taken
        logger.error("cannot start the gateway: %s", error)
        return 1
    return 0


class GatewayThread:
    """The gateway (and optionally the embedded broker) on a thread of their own, for ``shequ demo``:
    in the web process, the guard-room console's in-memory channel layer sees its events."""

    def __init__(self, config: GatewayConfig, *, embedded: bool = False) -> None:
        self.config = config
        self.embedded = embedded
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="shequ-gateway", daemon=True)

    def start(self, timeout: float = 15.0) -> bool:
        """Start and wait until the broker listens; False (see ``error``) if it could not."""
        self._thread.start()
        self._ready.wait(timeout)
        return self.error is None and self._ready.is_set()

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the gateway to stop and wait for it; True once the thread has ended (the broker's port is free).

        The default wait is the sum of every bounded step of a graceful stop, so a slow but healthy stop
        is never mistaken for a hung one."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(self.stop_budget() if timeout is None else timeout)
        return not self._thread.is_alive()

    def stop_budget(self) -> float:
        """Seconds a graceful stop may take at worst: drain, last acknowledgements, the MQTT disconnect,
        each database worker finishing its statement, then the embedded broker's own shutdown."""
        config = self.config
        workers = 1 if _database_vendor() == "sqlite" else config.writers + 1
        broker = SHUTDOWN_SECONDS if self.embedded else 0.0
        return (config.drain_seconds + PUBLISHES_SENT_SECONDS + config.mqtt_timeout
                + workers * DbWorker.CLOSE_SECONDS + broker + 5.0)

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await serve(self.config, embedded=self.embedded, stop=self._stop, started=self._ready.set)

        try:
            asyncio.run(main())
        except BaseException as error:  # noqa: BLE001 - reported to the starting thread
            self.error = error
            logger.error("the gateway stopped: %s", error)
        finally:
            self._ready.set()
