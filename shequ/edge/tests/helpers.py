"""Building blocks of the edge tests: sync bodies as the platform sends them, and a
fake platform on an MQTT broker that verifies, stores and acknowledges events."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from contextlib import asynccontextmanager
from datetime import datetime

import aiomqtt
import numpy as np

from shequ.access import protocol
from shequ.edge.client import ClientConfig, EdgeClient
from shequ.edge.door import Door
from shequ.edge.relay import SimulatedRelay

SECRET = "edge-test-secret-0123456789"
DEVICE = "edge-test-gate"
CREDENTIAL_KEY = bytes(range(32))
CARD = "04A1B2C3"
PIN = "246810"
QR = "qr-token-abcdefghijklmnop"


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def person(person_id: int, *grants: dict) -> dict:
    return {"person_id": person_id, "grants": list(grants) or [{}]}


def grant(*, valid_from: datetime | None = None, valid_until: datetime | None = None,
          windows: list[dict] | None = None) -> dict:
    return {"valid_from": iso(valid_from), "valid_until": iso(valid_until), "windows": windows or []}


def credential(credential_id: int, person_id: int, kind: str, value: str, *, valid_from: datetime | None = None,
               valid_until: datetime | None = None) -> dict:
    entry = {"credential_id": credential_id, "person_id": person_id, "kind": kind,
             "valid_from": iso(valid_from), "valid_until": iso(valid_until)}
    if kind == "plate":
        entry.update(plate=value, digest="")
    else:
        entry.update(digest=protocol.credential_digest(CREDENTIAL_KEY, kind, value), plate="")
    return entry


def face(template_id: int, person_id: int, vector: np.ndarray, *, secret: str = SECRET,
         valid_until: datetime | None = None) -> dict:
    raw = np.asarray(vector, dtype="<f4").tobytes()
    return {"template_id": template_id, "person_id": person_id, "valid_until": iso(valid_until),
            "sealed": protocol.seal(secret, protocol.face_purpose(template_id), raw)}


def full(version: int, *, people=(), credentials=(), faces=(), secret: str = SECRET) -> dict:
    return {"version": version, "base": 0, "full": True, "tz": "Asia/Shanghai",
            "credential_key": protocol.seal(secret, protocol.CREDENTIAL_KEY_PURPOSE, CREDENTIAL_KEY),
            "upserts": {"people": list(people), "credentials": list(credentials), "faces": list(faces)},
            "deletes": {}}


def delta(version: int, base: int, *, upserts: dict | None = None, deletes: dict | None = None) -> dict:
    return {"version": version, "base": base, "full": False, "upserts": upserts or {}, "deletes": deletes or {}}


def random_unit_vectors(count: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, 128)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class FakePlatform:
    """What the gateway does for one device, on the wire: verify each message, store
    events by id (exactly once), answer with ``evack``; publish signed syncs and commands."""

    def __init__(self, host: str, port: int, *, device_id: str = DEVICE, secret: str = SECRET,
                 ack_events: bool = True) -> None:
        self.host, self.port = host, port
        self.device_id, self.secret = device_id, secret
        self.ack_events = ack_events
        self.stored: dict[str, dict] = {}
        self.deliveries: collections.Counter[str] = collections.Counter()
        #: events per ``event`` message, in arrival order
        self.batches: list[int] = []
        self.heartbeats: list[dict] = []
        self.acks: list[dict] = []
        self.rejected = 0
        self.changed = asyncio.Event()
        self.client: aiomqtt.Client | None = None
        self._task: asyncio.Task | None = None
        self._ready = asyncio.Event()

    async def __aenter__(self) -> FakePlatform:
        self._task = asyncio.create_task(self._serve())
        await asyncio.wait_for(self._ready.wait(), 10)
        return self

    async def __aexit__(self, *exc) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
            await self._task

    async def _serve(self) -> None:
        async with aiomqtt.Client(self.host, self.port, identifier=f"platform-{self.device_id}", timeout=5) as client:
            self.client = client
            await client.subscribe([(protocol.topic(self.device_id, name), qos)
                                    for name, qos in protocol.DEVICE_MESSAGES.items()])
            self._ready.set()
            async for message in client.messages:
                await self._handle(message)

    async def _handle(self, message) -> None:
        try:
            device_id, name = protocol.topic_parse(message.topic.value)
            envelope = protocol.envelope_open(bytes(message.payload), secret_for=lambda d: self.secret,
                                              topic_device_id=device_id)
        except protocol.ProtocolError:
            self.rejected += 1
            return
        if name == "event":
            batch = protocol.events_parse(envelope.body)
            self.batches.append(len(envelope.body["events"]))
            for event in batch.events:
                self.deliveries[event.event_id] += 1
                self.stored.setdefault(event.event_id, event.model_dump(mode="json"))
            if self.ack_events:
                await self.publish("evack", protocol.evack_body([e.event_id for e in batch.events]))
        elif name == "heartbeat":
            self.heartbeats.append(envelope.body)
        elif name == "ack":
            self.acks.append(envelope.body)
        self.changed.set()

    async def publish(self, name: str, body: dict, *, secret: str | None = None, ts: datetime | None = None,
                      retain: bool = False) -> None:
        payload = protocol.message_encode(device_id=self.device_id, body=body, secret=secret or self.secret, ts=ts)
        await self.client.publish(protocol.topic(self.device_id, name), payload, qos=1, retain=retain)

    async def wait_for(self, condition, timeout: float = 20.0) -> None:
        async def poll() -> None:
            while not condition():
                self.changed.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), 0.2)

        await asyncio.wait_for(poll(), timeout)


@asynccontextmanager
async def edge_running(store, host: str, port: int, *, device_id: str = DEVICE, secret: str = SECRET, **overrides):
    """A door and its MQTT client running in the current loop (reconnecting fast, for tests)."""
    door = Door(store, SimulatedRelay(), secret=secret, direction="in")
    config = dict(host=host, port=port, reconnect_min=0.05, reconnect_max=0.3, heartbeat_every=30,
                  resend_after=30, timeout=5)
    config.update(overrides)
    client = EdgeClient(device_id=device_id, secret=secret, store=store, door=door, config=ClientConfig(**config))
    door.on_event = client.notify
    stop = asyncio.Event()
    task = asyncio.create_task(client.run(stop))
    try:
        yield door, client
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def until(condition, timeout: float = 20.0) -> None:
    async def poll():
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


class Link:
    """The gate's network link, which a test can cut: a TCP relay from a port of its own to the broker."""

    def __init__(self, host: str, target_port: int) -> None:
        from shequ.gateway.broker import free_port

        self.host, self.target_port = host, target_port
        self.port = free_port(host)
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._connect, self.host, self.port)

    async def down(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, upstream_writer}
        await asyncio.gather(self._pump(reader, upstream_writer), self._pump(upstream_reader, writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
