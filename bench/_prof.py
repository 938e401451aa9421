"""Benchmark: device events from Mosquitto into PostgreSQL through ``shequ gateway``.

    createdb -h 127.0.0.1 -U postgres ingest_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ingest_bench SHEQU_DATA_DIR=var/ingest-bench \\
        python bench/ingest.py --events 100000

Steps:

1. migrate; seed a small registry (2,000 people) when it is empty; register
   ``--devices`` devices at its unit doors and gates, each with its own secret;
2. make ``--events`` events spread over the devices (passes, refusals, plates, a
   few forced and held doors; most with a person), ids unique per device;
3. baseline, same rows: a raw ``COPY`` into the event table, then ``executemany``
   of one INSERT per row (each timed, committed, then the table emptied);
4. start ``shequ gateway`` as its own process on the broker (Mosquitto at
   127.0.0.1:1883 by default);
5. the devices publish their events signed, ``--per-message`` events a message,
   as edges flushing their outboxes do: every event stays in its device's outbox
   until the gateway's ``evack``; at most ``--window`` messages are unacknowledged
   at once; a message not acknowledged in ``--resend-after`` seconds is sent again;
6. the rate is events / (last evack - first publish): every event stored and
   committed (an evack goes out only after the commit);
7. stop the gateway (SIGTERM) and count: events stored, lost (expected but
   missing), duplicated, unexpected. All three must be 0;
8. print where the CPU went while publishing, an event: the gateway process, the
   devices (this process) and the database server (its processes for this
   database, read from /proc when it runs on this machine), next to the database
   CPU a row of the raw COPY: on a machine shared with other work, the ratio
   follows what that work leaves over, and these say what each side costs.

Target (issue 4): at least 5,000 events/s sustained with none lost or duplicated,
and at least 50 % of the rate of a raw bulk insert of the same rows measured in
the same run. Both raw inserts are measured and the verdict printed against each;
the exit status follows ``--baseline`` (``copy`` by default, the stricter).

Keep ``--window`` under the broker's per-client queue (Mosquitto's
``max_queued_messages``, 1000 by default): beyond it the broker drops messages
for the gateway, and the devices' resends, not the gateway, set the pace.
``--per-message 1`` measures live traffic (each event its own message, each
acknowledged on its own); the default 50 an edge flushing its outbox.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = [("pass", 0.85), ("refused", 0.098), ("plate", 0.05), ("forced", 0.001), ("held_open", 0.001)]
COLUMNS = ("device_id", "event_id", "kind", "occurred_at", "received_at", "credential_kind", "person_id", "plate",
           "direction", "reason", "pass_id", "payload")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--per-message", type=int, default=50, help="events in one MQTT message (1-1000)")
    parser.add_argument("--window", type=int, default=400, help="unacknowledged messages at most, all devices")
    parser.add_argument("--resend-after", type=float, default=15.0, help="seconds before an unacknowledged resend")
    parser.add_argument("--broker-host", default="127.0.0.1")
    parser.add_argument("--broker-port", type=int, default=1883)
    parser.add_argument("--people", type=int, default=2_000, help="people to seed into an empty registry")
    parser.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds of publishing")
    parser.add_argument("--rate", type=float, default=5_000.0, help="target events/s (default %(default)s)")
    parser.add_argument("--ratio", type=float, default=0.5, help="target share of the baseline rate (default %(default)s)")
    parser.add_argument("--baseline", choices=["copy", "executemany"], default="copy",
                        help="the raw bulk insert the target ratio is judged against (default %(default)s; both are "
                             "measured and printed)")
    return parser.parse_args()


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    os.environ.setdefault("SHEQU_DATA_DIR", str(ROOT / "var" / "ingest-bench"))
    import django

    django.setup()


# --- preparing ------------------------------------------------------------------------------------------------------

def prepare_database(people: int) -> None:
    from django.core.management import call_command

    from shequ import seed as seeding

    call_command("migrate", interactive=False, verbosity=0)
    if seeding.registry_is_empty():
        print(f"seeding {people:,} people ...", flush=True)
        seeding.seed(people=people)


def secret_of(index: int) -> str:
    return hashlib.sha256(f"ingest-bench-device-{index}".encode()).hexdigest()


def ensure_devices(count: int) -> list[tuple[int, str, str]]:
    """(pk, device_id, secret) of ``count`` bench devices at the seeded unit doors and gates."""
    from shequ.access.models import Device
    from shequ.core import pii
    from shequ.registry.models import Area

    places = list(Area.objects.filter(level__in=["unit", "complex"]).order_by("pk")[:count])
    if not places:
        sys.exit("the registry has no complexes or units to place devices at")
    wanted = {f"bench-{index:04d}": index for index in range(count)}
    existing = {device.device_id: device for device in Device.objects.filter(device_id__in=list(wanted))}
    new = []
    for device_id, index in wanted.items():
        cipher = pii.encrypt(secret_of(index))
        if device_id in existing:
            existing[device_id].secret_cipher = cipher
            existing[device_id].is_active = True
        else:
            area = places[index % len(places)]
            new.append(Device(device_id=device_id, name=f"bench {index}", area=area, secret_cipher=cipher,
                              kind="unit_door" if area.level == "unit" else "gate"))
    Device.objects.bulk_update(list(existing.values()), ["secret_cipher", "is_active"])
    Device.objects.bulk_create(new)
    pks = dict(Device.objects.filter(device_id__in=list(wanted)).values_list("device_id", "pk"))
    return [(pks[device_id], device_id, secret_of(index)) for device_id, index in wanted.items()]


@dataclass(frozen=True)
class Plan:
    devices: list[tuple[int, str, str]]
    #: per device, its events (protocol dicts), oldest first
    events: dict[str, list[dict]]
    rows: list[tuple]
    total: int


def make_events(devices: list[tuple[int, str, str]], total: int, seed: int = 7) -> Plan:
    from shequ.registry.models import Person

    rng = random.Random(seed)
    person_ids = list(Person.objects.values_list("pk", flat=True)[:5000]) or [None]
    kinds, weights = zip(*KINDS)
    start = datetime.now(UTC) - timedelta(seconds=5)
    run = uuid.uuid4().hex[:6]
    events: dict[str, list[dict]] = {device_id: [] for _pk, device_id, _secret in devices}
    rows = []
    received = datetime.now(UTC)
    for index in range(total):
        pk, device_id, _secret = devices[index % len(devices)]
        kind = rng.choices(kinds, weights)[0]
        event = {"event_id": f"{run}-{index:08d}", "kind": kind,
                 "occurred_at": (start + timedelta(microseconds=index * 37)).isoformat(),
                 "credential_kind": "", "person_id": None, "plate": "", "direction": rng.choice(["in", "out"]),
                 "reason": ""}
        if kind in ("pass", "refused"):
            event["credential_kind"] = rng.choice(["card", "face", "qr", "pin"])
            event["person_id"] = rng.choice(person_ids) if kind == "pass" else None
            event["reason"] = "" if kind == "pass" else rng.choice(["unknown", "expired", "out_of_window"])
        elif kind == "plate":
            event["credential_kind"] = "plate"
            event["plate"] = f"陕A{rng.randrange(10000, 99999)}"
        events[device_id].append(event)
        rows.append((pk, event["event_id"], kind, datetime.fromisoformat(event["occurred_at"]), received,
                     event["credential_kind"], event["person_id"], event["plate"], event["direction"],
                     event["reason"], "", "{}"))
    return Plan(devices, events, rows, total)


# --- baseline ---------------------------------------------------------------------------------------------------------

def empty_events() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # alarms refer to events; the bench database is the benchmark's own
        cursor.execute("TRUNCATE access_accessevent CASCADE")
        cursor.execute("DELETE FROM access_quarantinedmessage")


def baseline_copy(rows: list[tuple]) -> tuple[float, float | None]:
    """Seconds, and the database server's CPU seconds, of a raw COPY of ``rows``."""
    from django.db import connection, transaction

    empty_events()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    cpu_before = process_cpu_seconds(pid)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY access_accessevent ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    seconds = time.perf_counter() - started
    cpu_after = process_cpu_seconds(pid)
    empty_events()
    return seconds, None if cpu_before is None or cpu_after is None else cpu_after - cpu_before


def process_cpu_seconds(pid: int) -> float | None:
    """CPU time a local process has used so far (Linux /proc); None if it cannot be read
    (another machine's database server, say)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class DatabaseCpu:
    """CPU time of the database server's processes serving the bench database (the gateway's
    connections), between ``start`` and ``stop``; None where /proc cannot tell."""

    def __init__(self) -> None:
        self.before: dict[int, float] = {}

    def _backends(self) -> dict[int, float | None]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid()")
            pids = [pid for (pid,) in cursor.fetchall()]
        connection.close()
        return {pid: process_cpu_seconds(pid) for pid in pids}

    def start(self) -> None:
        self.before = self._backends()

    def stop(self) -> float | None:
        after = self._backends()
        if not after or any(cpu is None for cpu in after.values()):
            return None
        return sum(cpu - (self.before.get(pid) or 0.0) for pid, cpu in after.items())


def baseline_executemany(rows: list[tuple]) -> float:
    from django.db import connection, transaction

    empty_events()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO access_accessevent ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})",
            rows,
        )
    seconds = time.perf_counter() - started
    empty_events()
    return seconds


# --- the gateway ------------------------------------------------------------------------------------------------------

class GatewayProcess:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.client_id = f"bench-gateway-{uuid.uuid4().hex[:8]}"
        self.lines: list[str] = []
        self._connected = threading.Event()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shequ", "gateway", "--broker-host", host, "--broker-port", str(port),
             "--client-id", self.client_id],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ},
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.spy = subprocess.Popen(["py-spy", "record", "--pid", str(self.process.pid), "-r", "250", "-f", "raw", "-o", "/tmp/gw.spy", "--threads", "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip())
            if "connected to the broker" in line:
                self._connected.set()

    def wait_connected(self, timeout: float = 60) -> None:
        if not self._connected.wait(timeout):
            self.stop()
            sys.exit("the gateway did not connect to the broker:\n" + "\n".join(self.lines[-20:]))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        time.sleep(0.2)  # the reader thread takes the last lines
        self.spy.wait(30)
        asyncio.run(self._forget_session())

    async def _forget_session(self) -> None:
        """The gateway's session is persistent: without this, the broker would queue every later
        event for a client that never comes back."""
        import aiomqtt

        try:
            async with aiomqtt.Client(self.host, self.port, identifier=self.client_id, clean_session=True, timeout=5):
                pass
        except aiomqtt.MqttError as error:
            print(f"could not drop the gateway's broker session: {error}", file=sys.stderr)

    def cpu_seconds(self) -> float:
        """CPU time the gateway process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def final_stats(self) -> str:
        return next((line for line in reversed(self.lines) if "gateway stopped" in line), "(no final line)")


# --- the devices ------------------------------------------------------------------------------------------------------

@dataclass
class Message:
    device_id: str
    payload: bytes
    ids: set[str]
    sent_at: float = 0.0


@dataclass
class Publisher:
    plan: Plan
    host: str
    port: int
    per_message: int
    window: int
    resend_after: float
    messages: list[Message] = field(default_factory=list)
    waiting: dict[str, dict[str, Message]] = field(default_factory=dict)  # device -> event id -> its message
    first_publish: float = 0.0
    last_evack: float = 0.0
    sent: int = 0
    resent: int = 0
    evacks: int = 0

    def prepare(self) -> None:
        """Sign every message before the clock starts: the edges' work is not the gateway's."""
        from shequ.access import protocol

        secrets = {device_id: secret for _pk, device_id, secret in self.plan.devices}
        queues = []
        for device_id, events in self.plan.events.items():
            queue = deque()
            for start in range(0, len(events), self.per_message):
                chunk = events[start : start + self.per_message]
                payload = protocol.message_encode(device_id=device_id, body={"events": chunk},
                                                  secret=secrets[device_id])
                queue.append(Message(device_id, payload, {event["event_id"] for event in chunk}))
            queues.append(queue)
        # interleave the devices, as many doors report at once
        while any(queues):
            for queue in queues:
                if queue:
                    self.messages.append(queue.popleft())
        self.waiting = {device_id: {} for device_id in self.plan.events}
        self._secrets = secrets

    async def run(self, timeout: float) -> bool:
        import aiomqtt

        from shequ.access import protocol

        open_messages: set[int] = set()
        slots = asyncio.Semaphore(self.window)
        done = asyncio.Event()
        remaining = self.plan.total

        def on_evack(message) -> None:
            nonlocal remaining
            device_id, _name = protocol.topic_parse(message.topic.value)
            secret = self._secrets.get(device_id)
            if secret is None:
                return
            envelope = protocol.envelope_open(message.payload, secret_for=lambda _id: secret,
                                              topic_device_id=device_id)
            self.evacks += 1
            waiting = self.waiting[device_id]
            for event_id in protocol.evack_parse(envelope.body).event_ids:
                owner = waiting.pop(event_id, None)
                if owner is None:
                    continue
                remaining -= 1
                owner.ids.discard(event_id)
                if not owner.ids and id(owner) in open_messages:
                    open_messages.discard(id(owner))
                    slots.release()
            self.last_evack = time.perf_counter()
            if remaining == 0:
                done.set()

        from shequ.gateway.main import mqtt_logger

        async with aiomqtt.Client(self.host, self.port, identifier=f"bench-devices-{uuid.uuid4().hex[:8]}",
                                  max_inflight_messages=self.window, timeout=30, logger=mqtt_logger()) as client:
            await client.subscribe(protocol.topic_filter("evack"), qos=1)

            async def read() -> None:
                async for message in client.messages:
                    on_evack(message)

            def publish(message: Message) -> None:
                # straight into paho's queue, as the gateway does: the evack, not the PUBACK, completes a
                # message, and aiomqtt's awaited publish slows down with every publish already pending
                message.sent_at = time.perf_counter()
                client._client.publish(protocol.topic(message.device_id, "event"), message.payload, qos=1)

            reader = asyncio.create_task(read())
            resender = asyncio.create_task(self._resend(publish, open_messages))
            self.first_publish = time.perf_counter()
            try:
                for message in self.messages:
                    await slots.acquire()
                    open_messages.add(id(message))
                    for event_id in message.ids:
                        self.waiting[message.device_id][event_id] = message
                    publish(message)
                    self.sent += 1
                await asyncio.wait_for(done.wait(), timeout)
                return True
            except TimeoutError:
                return False
            finally:
                reader.cancel()
                resender.cancel()

    async def _resend(self, publish, open_messages: set[int]) -> None:
        by_id = {id(message): message for message in self.messages}
        while True:
            await asyncio.sleep(1.0)
            now = time.perf_counter()
            for key in list(open_messages):
                message = by_id[key]
                if message.ids and now - message.sent_at > self.resend_after:
                    self.resent += 1
                    publish(message)


# --- counting -------------------------------------------------------------------------------------------------------

def count(plan: Plan) -> dict[str, int]:
    from django.db import connection, transaction

    pks = [pk for pk, _device_id, _secret in plan.devices]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_expected (device_id bigint, event_id varchar(64)) ON COMMIT DROP")
        with cursor.cursor.copy("COPY bench_expected (device_id, event_id) FROM STDIN") as copy:
            for row in plan.rows:
                copy.write_row((row[0], row[1]))
        cursor.execute("SELECT count(*), count(DISTINCT (device_id, event_id)) FROM access_accessevent "
                       "WHERE device_id = ANY(%s)", [pks])
        stored, distinct = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM bench_expected x JOIN access_accessevent e "
                       "ON e.device_id = x.device_id AND e.event_id = x.event_id")
        (matched,) = cursor.fetchone()
    return {"stored": stored, "lost": plan.total - matched, "duplicated": stored - distinct,
            "unexpected": distinct - matched}


def main() -> int:
    args = parse_args()
    if not 1 <= args.per_message <= 1000:
        sys.exit("--per-message must be 1-1000")
    setup_django()
    from django.db import connection

    from shequ.gateway.broker import port_is_open

    if connection.vendor != "postgresql":
        sys.exit("run it on PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/ingest_bench")
    if not port_is_open(args.broker_host, args.broker_port):
        sys.exit(f"no MQTT broker at {args.broker_host}:{args.broker_port} (start Mosquitto)")
    prepare_database(args.people)
    devices = ensure_devices(args.devices)
    plan = make_events(devices, args.events)
    print(f"{args.events:,} events from {args.devices} devices, {args.per_message} a message, "
          f"window {args.window} messages; {connection.vendor} {connection.settings_dict['NAME']}", flush=True)

    copy_seconds, copy_db_cpu = baseline_copy(plan.rows)
    many_seconds = baseline_executemany(plan.rows)
    empty_events()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE access_accessevent")
    connection.close()

    gateway = GatewayProcess(args.broker_host, args.broker_port)
    try:
        gateway.wait_connected()
        publisher = Publisher(plan, args.broker_host, args.broker_port, args.per_message, args.window,
                              args.resend_after)
        publisher.prepare()
        database_cpu = DatabaseCpu()
        database_cpu.start()
        cpu_before, devices_before = gateway.cpu_seconds(), time.process_time()
        finished = asyncio.run(publisher.run(args.timeout))
        gateway_cpu, devices_cpu = gateway.cpu_seconds() - cpu_before, time.process_time() - devices_before
        db_cpu = database_cpu.stop()
    finally:
        gateway.stop()
    counts = count(plan)

    seconds = (publisher.last_evack or time.perf_counter()) - publisher.first_publish
    rate = args.events / seconds if finished else 0.0
    copy_rate = args.events / copy_seconds
    many_rate = args.events / many_seconds
    print(f"gateway (MQTT -> PostgreSQL, acknowledged): {seconds:7.2f} s  {rate:10,.0f} events/s"
          + ("" if finished else "  (did not finish)"))
    print(f"raw COPY of the same rows:                  {copy_seconds:7.2f} s  {copy_rate:10,.0f} rows/s")
    print(f"raw executemany of the same rows:           {many_seconds:7.2f} s  {many_rate:10,.0f} rows/s")
    print(f"ratio gateway / COPY: {rate / copy_rate:.0%}   gateway / executemany: {rate / many_rate:.0%}")
    print(f"stored {counts['stored']:,}, lost {counts['lost']}, duplicated {counts['duplicated']}, "
          f"unexpected {counts['unexpected']}; messages {publisher.sent:,} sent, {publisher.resent} resent, "
          f"{publisher.evacks:,} evacks")
    print(f"gateway process CPU while publishing: {gateway_cpu:.1f} s ({gateway_cpu / args.events * 1e6:.0f} us an "
          f"event, {gateway_cpu / seconds:.0%} of one core); the broker, the database, the devices and the gateway "
          f"share {os.cpu_count()} cores")
    per_event = 1e6 / args.events
    print(f"CPU an event while publishing: gateway {gateway_cpu * per_event:.0f} us, devices (this process) "
          f"{devices_cpu * per_event:.0f} us, database "
          + ("?" if db_cpu is None else f"{db_cpu * per_event:.0f} us")
          + "; database CPU a row of the raw COPY: " + ("?" if copy_db_cpu is None else f"{copy_db_cpu * per_event:.0f} us"))
    print(gateway.final_stats())
    clean = counts["lost"] == counts["duplicated"] == counts["unexpected"] == 0
    for name, baseline_rate in (("COPY", copy_rate), ("executemany", many_rate)):
        ok = finished and clean and rate >= args.rate and rate / baseline_rate >= args.ratio
        print(f"against {name}: target {'met' if ok else 'missed'} (>= {args.rate:,.0f} events/s, >= {args.ratio:.0%} "
              f"of the {name} rate, none lost or duplicated)")
    judged = copy_rate if args.baseline == "copy" else many_rate
    met = finished and clean and rate >= args.rate and rate / judged >= args.ratio
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
