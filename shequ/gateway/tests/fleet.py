"""Simulated devices for the gateway tests: what ``shequ edge`` does on the wire, nothing more.

Every event stays in the device's outbox until the platform's ``evack`` names it;
events not acknowledged within ``resend_after`` seconds, and all of them after a
reconnect, are published again. So the tests can check the gateway's promise as
an edge sees it: an acknowledged event is stored, and everything ends up stored once.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiomqtt

from shequ.access import protocol
from shequ.gateway.backoff import Backoff


@dataclass
class Outbox:
    secret: str
    events: dict[str, dict] = field(default_factory=dict)  # event id -> event
    sent_at: dict[str, float] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)


class Fleet:
    def __init__(self, host: str, port: int, secrets: dict[str, str], *, resend_after: float = 1.0,
                 per_message: int = 50, client_id: str | None = None) -> None:
        self.host = host
        self.port = port
        self.outboxes = {device_id: Outbox(secret) for device_id, secret in secrets.items()}
        self.resend_after = resend_after
        self.per_message = per_message
        self.client_id = client_id
        self.client: aiomqtt.Client | None = None
        self.connected = asyncio.Event()
        self.evacks = 0
        #: (device id, message name, body) of verified platform messages other than evack
        self.received: list[tuple[str, str, dict]] = []
        self.arrived = asyncio.Event()
        self._counter = itertools.count(1)

    # --- the devices' side ---------------------------------------------------------------------------------------

    def add(self, device_id: str, count: int, kind: str = "pass", **fields) -> list[str]:
        """New events into a device's outbox (sent by the next :meth:`flush`)."""
        outbox = self.outboxes[device_id]
        ids = []
        for _ in range(count):
            event_id = f"{device_id}-{next(self._counter):07d}"
            outbox.events[event_id] = {"event_id": event_id, "kind": kind,
                                       "occurred_at": datetime.now(UTC).isoformat(), **fields}
            ids.append(event_id)
        return ids

    def unacked(self) -> int:
        return sum(len(outbox.events) for outbox in self.outboxes.values())

    async def flush(self, *, everything: bool = False) -> int:
        """Publish what was never sent, or not acknowledged in time; how many events went out."""
        client = self.client
        if client is None:
            return 0
        now = time.monotonic()
        sent = 0
        for device_id, outbox in self.outboxes.items():
            due = [event for event_id, event in list(outbox.events.items())
                   if everything or now - outbox.sent_at.get(event_id, -1e9) >= self.resend_after]
            for start in range(0, len(due), self.per_message):
                chunk = due[start : start + self.per_message]
                payload = protocol.message_encode(device_id=device_id, body={"events": chunk}, secret=outbox.secret)
                try:
                    await client.publish(protocol.topic(device_id, "event"), payload, qos=1)
                except aiomqtt.MqttError:
                    return sent
                for event in chunk:
                    outbox.sent_at[event["event_id"]] = now
                sent += len(chunk)
        return sent

    async def publish(self, device_id: str, name: str, body: dict, *, qos: int = 1) -> None:
        """A signed message from a device (heartbeat, ack, or a hand-made event body)."""
        payload = protocol.message_encode(device_id=device_id, body=body, secret=self.outboxes[device_id].secret)
        await self.publish_raw(protocol.topic(device_id, name), payload, qos=qos)

    async def publish_raw(self, topic: str, payload: bytes, *, qos: int = 1) -> None:
        await self.connected.wait()
        await self.client.publish(topic, payload, qos=qos)

    async def wait_all_acked(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.unacked():
            if time.monotonic() > deadline:
                return False
            await self.flush()
            await asyncio.sleep(0.05)
        return True

    async def wait_for(self, predicate, timeout: float) -> bool:
        """Wait until ``predicate(self.received)`` holds."""
        deadline = time.monotonic() + timeout
        while not predicate(self.received):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except TimeoutError:
                return False
        return True

    # --- the connection ------------------------------------------------------------------------------------------

    async def run(self) -> None:
        backoff = Backoff(0.05, 0.5)
        while True:
            try:
                async with aiomqtt.Client(self.host, self.port, identifier=self.client_id, keepalive=5, timeout=3,
                                          max_inflight_messages=100) as client:
                    # each device its own topics, as edges do: a wildcard would also bring every retained
                    # state of a shared broker, more than it queues for one client
                    await client.subscribe([subscription for device_id in self.outboxes
                                            for subscription in protocol.device_subscriptions(device_id)])
                    self.client = client
                    self.connected.set()
                    backoff.reset()
                    resender = asyncio.create_task(self._resend_all())
                    try:
                        async for message in client.messages:
                            self._receive(message)
                    finally:
                        resender.cancel()
            except aiomqtt.MqttError:
                pass
            finally:
                self.client = None
                self.connected.clear()
            await asyncio.sleep(backoff.next())

    async def _resend_all(self) -> None:
        # as an edge does after every reconnect: everything not acknowledged, oldest first
        await self.flush(everything=True)

    def _receive(self, message: aiomqtt.Message) -> None:
        try:
            device_id, name = protocol.topic_parse(message.topic.value)
        except protocol.ProtocolError:
            return
        outbox = self.outboxes.get(device_id)
        if outbox is None:
            return  # another test's device on a shared broker
        try:
            envelope = protocol.envelope_open(message.payload, secret_for=lambda _id: outbox.secret,
                                              topic_device_id=device_id)
        except protocol.ProtocolError:
            return  # as an edge does: drop what it cannot verify (a state signed before a secret rotation)
        if name == "evack":
            self.evacks += 1
            for event_id in protocol.evack_parse(envelope.body).event_ids:
                outbox.events.pop(event_id, None)
                outbox.sent_at.pop(event_id, None)
                outbox.acked.add(event_id)
        else:
            self.received.append((device_id, name, envelope.body))
        self.arrived.set()
