"""The edge's MQTT side (aiomqtt): events out of the outbox, syncs and commands in.

The door never waits for this: decisions are written to the outbox and the
client sends them when it can. While the broker is unreachable it retries with
exponential backoff and jitter; once connected it resends everything not yet
acknowledged (oldest first, at most 1000 events a message), then keeps sending
new events as they come. An event leaves the outbox only when the platform names
it in an ``evack`` (docs/mqtt.md, "The evack rule"): an MQTT PUBACK only means
the broker has it.

It subscribes to its own ``evack``, ``sync``, ``cmd`` and ``state`` with a
persistent session, sends a heartbeat at once on connecting (it carries the
synced version, so a platform with news answers with a ``sync``) and then every
``heartbeat_every`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiomqtt

from shequ.access import protocol
from shequ.edge.store import EdgeStore
from shequ.gateway.backoff import Backoff

logger = logging.getLogger("shequ.edge")


@dataclass(frozen=True)
class ClientConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    keepalive: int = 30
    heartbeat_every: float = 30.0
    #: events sent but not acknowledged after this long go again
    resend_after: float = 30.0
    batch_size: int = protocol.MAX_EVENTS_PER_MESSAGE
    #: sent-but-unacknowledged events allowed at once: a long outbox is not dumped on the broker in one go
    max_in_flight: int = 5 * protocol.MAX_EVENTS_PER_MESSAGE
    reconnect_min: float = 0.5
    reconnect_max: float = 30.0
    #: seconds to wait for the broker to answer a connect or a QoS 1 publish
    timeout: float = 10.0
    #: how often the flusher looks for events due again when nothing new arrives
    poll_every: float = 1.0


class EdgeClient:
    def __init__(self, *, device_id: str, secret: str, store: EdgeStore, door=None,
                 config: ClientConfig | None = None, clock: Callable[[], float] = time.time) -> None:
        self.device_id = device_id
        self.secret = secret
        self.store = store
        # the store learns its door: visitor passes are checked against the doors they name
        store.device_bind(device_id)
        self.door = door
        self.config = config or ClientConfig()
        self.clock = clock
        self.connected = asyncio.Event()
        self.started = time.monotonic()
        self._client: aiomqtt.Client | None = None
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Something entered the outbox: send it now rather than at the next poll."""
        self._wake.set()

    # ---------------------------------------------------------------- connection

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, serve, reconnect with backoff; return when ``stop`` is set."""
        backoff = Backoff(self.config.reconnect_min, self.config.reconnect_max)
        while not stop.is_set():
            try:
                await self._session(stop, backoff)
            except aiomqtt.MqttError as error:
                logger.info("broker %s:%s unreachable or lost: %s", self.config.host, self.config.port, error)
            except Exception:
                # the door keeps deciding whatever happens here; log, back off, try again
                logger.exception("MQTT session failed")
            finally:
                self.connected.clear()
                self._client = None
            if stop.is_set():
                break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff.next())

    async def _session(self, stop: asyncio.Event, backoff: Backoff) -> None:
        client = aiomqtt.Client(self.config.host, self.config.port, identifier=self.device_id, clean_session=False,
                                keepalive=self.config.keepalive, timeout=self.config.timeout)
        try:
            await self._serve(client, stop, backoff)
        finally:
            _retrieve_disconnect_error(client)

    async def _serve(self, client: aiomqtt.Client, stop: asyncio.Event, backoff: Backoff) -> None:
        async with client:
            self._client = client
            await client.subscribe(protocol.device_subscriptions(self.device_id))
            backoff.reset()
            # evacks for what was in flight may have been lost with the connection
            self.store.outbox_unsend_all()
            self.connected.set()
            logger.info("connected to %s:%s", self.config.host, self.config.port)
            await self._heartbeat()
            await self._confirm_face_deletions()
            tasks = [asyncio.create_task(coro) for coro in
                     (self._receive(client), self._flush(), self._heartbeats(), stop.wait())]
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()

    async def _publish(self, name: str, body: dict) -> None:
        if self._client is None:
            raise aiomqtt.MqttError("not connected")
        payload = protocol.message_encode(device_id=self.device_id, body=body, secret=self.secret)
        await self._client.publish(protocol.topic(self.device_id, name), payload, qos=protocol.QOS[name],
                                   timeout=self.config.timeout)
        _stop_if_cancelled()

    # ---------------------------------------------------------------- outgoing

    async def _flush(self) -> None:
        config = self.config
        while True:
            self._wake.clear()
            now = self.clock()
            room = config.max_in_flight - self.store.outbox_in_flight(now=now, resend_after=config.resend_after)
            due = (self.store.outbox_due(now=now, resend_after=config.resend_after,
                                         limit=min(config.batch_size, room)) if room > 0 else [])
            if due:
                await self._publish("event", protocol.events_body([item.event for item in due]))
                self.store.outbox_mark_sent([item.event_id for item in due], now=now)
                continue
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), config.poll_every)

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat_every)
            await self._heartbeat()

    async def _heartbeat(self) -> None:
        await self._publish("heartbeat", protocol.heartbeat_body(
            uptime=float(time.monotonic() - self.started), synced_version=self.store.synced_version,
            outbox=self.store.outbox_count()))

    async def _confirm_face_deletions(self) -> None:
        pending = self.store.face_deletions_pending()
        for start in range(0, len(pending), 10_000):
            chunk = pending[start:start + 10_000]
            await self._publish("ack", protocol.face_deleted_body(chunk))
            self.store.face_deletions_confirmed(chunk)

    # ---------------------------------------------------------------- incoming

    async def _receive(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            try:
                _device, name = protocol.topic_parse(message.topic.value)
                envelope = protocol.envelope_open(
                    bytes(message.payload), secret_for=lambda d: self.secret if d == self.device_id else None,
                    topic_device_id=self.device_id)
                await self._dispatch(name, envelope)
            except protocol.ProtocolError as error:
                # anyone on the broker can publish to our topics: drop what the platform did not sign
                logger.warning("dropped message on %s: %s (%s)", message.topic.value, error.reason, error.code)
            except aiomqtt.MqttError:
                raise  # the connection is gone: reconnect
            except Exception:
                # one message that breaks a handler must not take the door's link down
                logger.exception("message on %s could not be handled", message.topic.value)

    async def _dispatch(self, name: str, envelope: protocol.Envelope) -> None:
        if name == "evack":
            acked = protocol.evack_parse(envelope.body).event_ids
            self.store.outbox_ack(acked)
            self.notify()  # room in the in-flight window
        elif name == "sync":
            await self._sync(protocol.sync_parse(envelope.body))
        elif name == "state":
            if protocol.state_parse(envelope.body).latest_version > self.store.synced_version:
                await self._heartbeat()  # the gateway answers a behind heartbeat with a sync
        elif name == "cmd":
            await self._command(envelope)

    async def _sync(self, sync: protocol.Sync) -> None:
        outcome = self.store.sync_apply(sync, secret=self.secret)
        if outcome.status == "gap":
            logger.info("sync %s from base %s skipped: this door is at %s", sync.version, sync.base, outcome.version)
            await self._heartbeat()
            return
        if outcome.status == "applied" and outcome.faces_changed and self.door is not None:
            self.door.reload_gallery()
        # a stale sync is acknowledged too: the platform may have missed our first ack
        await self._publish("ack", protocol.sync_applied_body(outcome.version))
        await self._confirm_face_deletions()

    async def _command(self, envelope: protocol.Envelope) -> None:
        command = protocol.cmd_parse(envelope.body)
        if not protocol.cmd_is_fresh(envelope):
            logger.warning("command %s refused: sent at %s", command.cmd_id, envelope.ts)
            await self._cmd_result(command.cmd_id, False, "stale")
            return
        if not self.store.command_first_seen(command.cmd_id, now=self.clock()):
            logger.warning("command %s refused: replayed", command.cmd_id)
            return
        if command.cmd == "open" and self.door is not None:
            seconds = command.params.get("seconds")
            seconds = float(seconds) if isinstance(seconds, (int, float)) and 0 < seconds <= 60 else None
            self.door.remote_unlock(command.cmd_id, seconds)
            await self._cmd_result(command.cmd_id, True)
        elif command.cmd == "resync":
            self.store.forget_version()
            await self._cmd_result(command.cmd_id, True)
            await self._heartbeat()
        else:
            await self._cmd_result(command.cmd_id, False, f"unknown command {command.cmd[:20]}")

    async def _cmd_result(self, cmd_id: str, ok: bool, reason: str = "") -> None:
        await self._publish("ack", protocol.cmd_result_body(cmd_id=cmd_id, ok=ok, reason=reason))


def _stop_if_cancelled() -> None:
    """End the current task if someone cancelled it meanwhile. On Python 3.11, ``asyncio.wait_for``
    (inside aiomqtt's publish) loses a cancellation that arrives as the publish completes
    (CPython gh-86296, fixed in 3.12): the loop would go on and the client's stop wait for ever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _retrieve_disconnect_error(client: aiomqtt.Client) -> None:
    """aiomqtt keeps the cause of an unexpected disconnection in a future that nobody
    awaits when a publish, not the message iterator, met the broken connection; asyncio
    would then log "Future exception was never retrieved". We handled it as MqttError."""
    future = getattr(client, "_disconnected", None)
    if isinstance(future, asyncio.Future) and future.done() and not future.cancelled():
        future.exception()
