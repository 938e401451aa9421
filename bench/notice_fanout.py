"""Benchmark: an urgent notice reaches 4,000 simulated terminals through Mosquitto.

    python bench/notice_fanout.py                   # creates and uses the database notice_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/notice_bench python bench/notice_fanout.py

Steps:

1. its own PostgreSQL database (``createdb notice_bench`` unless DATABASE_URL names
   one), migrated; a small registry seeded when empty (``--people``);
2. ``--terminals`` terminals registered (or loaded, on later runs) through
   ``shequ.terminals.services.terminals_provision`` in the complex with the most
   houses: indoor ones in its homes, one in ten on lamp posts (complex, buildings);
3. ``shequ gateway`` started as its own process on the broker (Mosquitto,
   127.0.0.1:1883);
4. the simulator (``shequ.terminals.sim``) connects every terminal, one MQTT
   connection each, persistent sessions as real terminals keep, heartbeats every
   30 s; the run waits until the gateway has recorded every first heartbeat;
5. baseline: one bare paho publish, to the complex's broadcast topic all terminals
   subscribe to, of a broadcast of the same size; the time to the last receipt;
6. the notice: drafted, submitted and approved beforehand (two staff users of the
   community, four eyes), then the clock starts and ``notices.services.notice_publish``
   runs (recipient rows, the broadcast queued in ``access.Outbound``); the gateway
   polls the queue, signs and publishes; the clock stops when the last terminal has
   verified the platform's signature. Per-terminal latency is from the publish call;
7. clean-up: the terminals' sessions and retained states are removed from the broker.

Target (issue 5): every terminal within 10 s. Exit status 0 only when met.

Mosquitto's defaults that matter at this size: ``max_connections`` is unlimited,
``max_queued_messages`` (1000 a client) and ``max_inflight_messages`` (20) do not
bind with one notice a terminal; the file limit of the broker's process (read
from /proc below) must exceed the connection count; the listener's accept backlog
is 100 in Mosquitto 2.0 (``ss -ltn`` shows it as Send-Q), which is why the
simulator connects at most ``--connect-at-once`` terminals at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import resource
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "notice_bench"
PREFIX = "nfb"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--terminals", type=int, default=4_000)
    parser.add_argument("--target", type=float, default=10.0, help="seconds to the last terminal (default %(default)s)")
    parser.add_argument("--broker-host", default="127.0.0.1")
    parser.add_argument("--broker-port", type=int, default=1883)
    parser.add_argument("--people", type=int, default=3_000, help="people to seed into an empty registry")
    parser.add_argument("--connect-at-once", type=int, default=50, help="terminals connecting at the same time")
    parser.add_argument("--timeout", type=float, default=60.0, help="give up on a notice after this many seconds")
    parser.add_argument("--keep-sessions", action="store_true",
                        help="leave the terminals' sessions and retained states on the broker")
    return parser.parse_args()


# --- set-up ---------------------------------------------------------------------------------------------------------

def ensure_database() -> None:
    if os.environ.get("DATABASE_URL"):
        return
    done = subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], capture_output=True, text=True)
    if done.returncode and "already exists" not in done.stderr:
        sys.exit(f"createdb {DATABASE} failed: {done.stderr.strip()}")
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    # the device secrets are encrypted with this directory's keys: keep it with the database
    os.environ.setdefault("SHEQU_DATA_DIR", str(ROOT / "var" / DATABASE))
    import django

    django.setup()


def raise_file_limit(needed: int) -> str:
    """One socket a terminal, plus the broker's, the database's and the gateway's files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            sys.exit(f"open files: hard limit {hard} < {needed} needed; raise it (ulimit -Hn) and run again")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
        return f"open files: soft limit raised {soft} -> {needed} (hard {hard})"
    return f"open files: soft limit {soft} (>= {needed} needed)"


def broker_notes(port: int) -> list[str]:
    """What this machine's Mosquitto allows, where it can be read."""
    notes = []
    pid = subprocess.run(["pgrep", "-o", "mosquitto"], capture_output=True, text=True).stdout.strip()
    if pid:
        try:
            limit = next(line for line in Path(f"/proc/{pid}/limits").read_text().splitlines()
                         if line.startswith("Max open files"))
            notes.append(f"mosquitto (pid {pid}) {' '.join(limit.split()[:5])} {limit.split()[3]}")
        except (OSError, StopIteration):
            pass
    listen = subprocess.run(["ss", "-ltn", f"sport = :{port}"], capture_output=True, text=True).stdout.splitlines()
    for line in listen[1:]:
        fields = line.split()
        if len(fields) >= 4:
            notes.append(f"listener {fields[3]}: accept backlog {fields[2]}")
    return notes


def prepare(people: int, count: int):
    """Migrate, seed, place the terminals; returns (complex, specs)."""
    from django.core.management import call_command

    from shequ import seed as seeding
    from shequ.accounts.audit import Actor
    from shequ.registry.models import Area
    from shequ.terminals.services import terminals_provision

    call_command("migrate", interactive=False, verbosity=0)
    if seeding.registry_is_empty():
        print(f"seeding {people:,} people ...", flush=True)
        seeding.seed(people=people)
    complexes = list(Area.objects.filter(level=Area.Level.COMPLEX).active())
    houses = {area.pk: Area.objects.filter(path__startswith=area.path, level=Area.Level.HOUSE).count()
              for area in complexes}
    target = next(area for area in complexes if area.pk == max(houses, key=houses.get))
    started = time.perf_counter()
    specs = terminals_provision(actor=Actor.system(via="bench"), area=target, count=count, kind="mixed",
                                prefix=PREFIX)
    print(f"{len(specs):,} terminals in {target.name} ({houses[target.pk]:,} houses) ready in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    return target, specs


def staff_pair(community):
    """A drafter and an approver of the community (notices take four eyes)."""
    from shequ.accounts.audit import Actor
    from shequ.accounts.models import RoleGrant, User

    actors = []
    for name in ("bench-notice-author", "bench-notice-approver"):
        user, _created = User.objects.get_or_create(username=name, defaults={"display_name": name})
        RoleGrant.objects.get_or_create(user=user, role="community_staff", area=community)
        actors.append(Actor(user=user, via="bench"))
    return actors


def approved_notice(target):
    """An urgent terminal notice for the complex, approved and ready to publish."""
    from shequ.notices.services import notice_approve, notice_draft, notice_submit

    community = target.parent
    author, approver = staff_pair(community)
    notice = notice_draft(actor=author, area=community, title="紧急通知：燃气管道抢修",
                          body="因燃气管道泄漏抢修，今晚20时至明晨6时小区停气，请关闭燃气阀门，注意安全。",
                          category="safety", urgent=True, audience_areas=[target], channels=["terminals", "residents"])
    notice_submit(actor=author, notice=notice)
    notice_approve(actor=approver, notice=notice)
    return notice, approver


def wait_heartbeats(device_ids: list[str], since, timeout: float) -> int:
    """Wait until the gateway has recorded a heartbeat of every terminal since ``since``:
    the first-connect storm is written before the clock starts."""
    from shequ.access.models import Device

    deadline = time.monotonic() + timeout
    while True:
        recorded = Device.objects.filter(device_id__in=device_ids, last_heartbeat_at__gte=since).count()
        if recorded == len(device_ids) or time.monotonic() > deadline:
            return recorded
        time.sleep(0.5)


# --- measuring ------------------------------------------------------------------------------------------------------

async def progress(simulator, started: float) -> None:
    while True:
        await asyncio.sleep(15)
        print(f"  {time.monotonic() - started:5.0f} s: {simulator.connected():,} terminals connected", flush=True)


async def bare_publish(host: str, port: int, topic: str, payload: bytes) -> float:
    """One paho publish (QoS 1, as the gateway's), straight into paho's queue as the gateway
    does; returns the monotonic time just before it. Through aiomqtt, which drives paho from
    this event loop: paho's own loop thread uses select(), which cannot watch a socket whose
    number is above 1024, and this process holds a socket per terminal."""
    import aiomqtt

    async with aiomqtt.Client(host, port, identifier=f"bench-bare-{uuid.uuid4().hex[:8]}", timeout=30) as client:
        started = time.monotonic()
        client._client.publish(topic, payload, qos=1)
        await asyncio.sleep(1)  # let the PUBACK come before disconnecting (the clock runs on the receivers)
        return started


def latencies(simulator, notice_id: str, since: float, field: str) -> list[float]:
    return sorted(getattr(receipt, field) - since for receipt in simulator.receipts[notice_id].values())


async def measure(args, target, specs) -> dict:
    from django.utils import timezone

    from shequ.access import protocol
    from shequ.core.signing import platform_private_key, platform_public_key_text
    from shequ.notices.broadcast import notice_broadcast_body
    from shequ.notices.services import notice_publish
    from shequ.terminals.sim import Simulator, config_for

    figures: dict = {}
    simulator = Simulator(specs, config=config_for(args.broker_host, args.broker_port, timeout=30.0, keepalive=60),
                          platform_key=platform_public_key_text(), connect_at_once=args.connect_at_once)
    connect_started, since = time.monotonic(), timezone.now()
    reporter = asyncio.create_task(progress(simulator, connect_started))
    await simulator.start()
    connected = await simulator.wait_connected(timeout=300)
    reporter.cancel()
    figures["connect_seconds"] = time.monotonic() - connect_started
    print(f"{simulator.connected():,} of {len(specs):,} terminals connected and subscribed in "
          f"{figures['connect_seconds']:.1f} s", flush=True)
    try:
        if not connected:
            return figures
        recorded = await asyncio.to_thread(wait_heartbeats, [spec.device_id for spec in specs], since, 120)
        print(f"gateway recorded {recorded:,} first heartbeats", flush=True)
        notice, approver = await asyncio.to_thread(approved_notice, target)
        topic = protocol.broadcast_topic(target.pk, "notice")

        # baseline: the same size of message, published bare to the topic every terminal hears
        body = {**notice_broadcast_body(notice), "notice_id": f"baseline-{uuid.uuid4().hex[:6]}",
                "published_at": protocol.timestamp(timezone.localtime())}
        payload = protocol.broadcast_encode(area_id=target.pk, name="notice", body=body,
                                            private_key=platform_private_key())
        started = await bare_publish(args.broker_host, args.broker_port, topic, payload)
        figures["baseline_done"] = await simulator.wait_notice(body["notice_id"], args.timeout)
        figures["baseline"] = latencies(simulator, body["notice_id"], started, "arrived")
        figures["baseline_verified"] = latencies(simulator, body["notice_id"], started, "verified")
        figures["baseline_bytes"] = len(payload)

        # the notice, through the notices service, the queue, the gateway and the broker
        started, wall = time.monotonic(), time.time()
        await asyncio.to_thread(notice_publish, actor=approver, notice=notice)
        figures["publish_call"] = time.monotonic() - started
        figures["notice_done"] = await simulator.wait_notice(str(notice.pk), args.timeout)
        figures["notice"] = latencies(simulator, str(notice.pk), started, "verified")
        figures["notice_arrived"] = latencies(simulator, str(notice.pk), started, "arrived")
        figures["gateway_sent"] = await asyncio.to_thread(sent_after, notice, wall)
        figures["notice_bytes"] = len(protocol.broadcast_encode(
            area_id=target.pk, name="notice", body=notice_broadcast_body(notice), private_key=platform_private_key()))
        figures["outcomes"] = simulator.outcomes()
    finally:
        stopping = time.monotonic()
        late = await simulator.stop(grace=20)
        print(f"terminals stopped in {time.monotonic() - stopping:.1f} s ({late} cancelled)", flush=True)
        if not args.keep_sessions:
            forgotten = await simulator.forget_sessions()
            await forget_states(args.broker_host, args.broker_port, [spec.device_id for spec in specs])
            print(f"broker clean-up: {forgotten:,} terminal sessions and their retained states removed", flush=True)
    return figures


def sent_after(notice, wall: float) -> float | None:
    """Seconds from the publish call to the gateway marking the queued broadcast sent."""
    from shequ.access.models import Outbound

    sent = (Outbound.objects.filter(name="notice", body__notice_id=notice.pk, sent_at__isnull=False)
            .order_by("sent_at").values_list("sent_at", flat=True).first())
    return sent.timestamp() - wall if sent else None


async def forget_states(host: str, port: int, device_ids: list[str]) -> None:
    """The gateway leaves a retained ``state`` for every device it knows; a shared broker keeps them."""
    import aiomqtt

    from shequ.access import protocol

    async with aiomqtt.Client(host, port, timeout=30) as client:
        for device_id in device_ids:
            await client.publish(protocol.topic(device_id, "state"), b"", qos=0, retain=True)


def percentile(values: list[float], share: float) -> float:
    from shequ.terminals.sim import percentile as pick

    return pick(values, share)


def report(figures: dict, args, total: int) -> bool:
    notice, baseline = figures.get("notice", []), figures.get("baseline", [])
    if not notice or not baseline:
        print("the notice or the baseline did not reach the terminals")
        return False
    last, base_last = notice[-1], baseline[-1]
    print(f"baseline, bare paho publish ({figures['baseline_bytes']:,} bytes) -> {len(baseline):,} terminals: "
          f"last receipt {base_last:.3f} s, p50 {percentile(baseline, .5):.3f} s, p99 {percentile(baseline, .99):.3f} s"
          f" (verified: last {figures['baseline_verified'][-1]:.3f} s)")
    print(f"urgent notice via notice_publish -> Outbound -> gateway -> Mosquitto ({figures['notice_bytes']:,} bytes) "
          f"-> {len(notice):,} of {total:,} terminals verified: last {last:.3f} s, p50 {percentile(notice, .5):.3f} s, "
          f"p99 {percentile(notice, .99):.3f} s; the publish call itself {figures['publish_call']:.3f} s")
    arrived, sent = figures["notice_arrived"], figures["gateway_sent"]
    print(f"  where the time went: publish call {figures['publish_call']:.3f} s, gateway marked it sent at "
          f"{sent if sent is not None else float('nan'):.3f} s, first terminal received it at {arrived[0]:.3f} s, "
          f"last at {arrived[-1]:.3f} s, last verified at {last:.3f} s")
    print(f"ratio notice / baseline, last terminal: {last / base_last:.1f}x (receipt), "
          f"{last / figures['baseline_verified'][-1]:.1f}x (verified); p50 {percentile(notice, .5) / percentile(baseline, .5):.1f}x; "
          f"fan-out alone (last receipt - first receipt) {arrived[-1] - arrived[0]:.3f} s vs baseline "
          f"{base_last - baseline[0]:.3f} s")
    print(f"broadcasts by outcome on the terminals: {figures['outcomes']}")
    met = figures["notice_done"] and len(notice) == total and last <= args.target
    print(f"target {'met' if met else 'missed'}: every terminal within {args.target:.0f} s")
    return met


def main() -> int:
    args = parse_args()
    print(raise_file_limit(args.terminals + 1_000))
    ensure_database()
    setup_django()
    from django.db import connection

    from ingest import GatewayProcess
    from shequ.gateway.broker import port_is_open

    if connection.vendor != "postgresql":
        sys.exit("run it on PostgreSQL (DATABASE_URL)")
    if not port_is_open(args.broker_host, args.broker_port):
        sys.exit(f"no MQTT broker at {args.broker_host}:{args.broker_port} (start Mosquitto)")
    for note in broker_notes(args.broker_port):
        print(note)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("shequ.edge").setLevel(logging.WARNING)  # a "connected" line per terminal
    target, specs = prepare(args.people, args.terminals)
    connection.close()

    gateway = GatewayProcess(args.broker_host, args.broker_port)
    try:
        gateway.wait_connected()
        figures = asyncio.run(measure(args, target, specs))
    finally:
        gateway.stop()
    print(gateway.final_stats())
    print(f"{os.cpu_count()} cores shared by Mosquitto, PostgreSQL, the gateway and the {len(specs):,} terminals "
          f"(one process, threads: {threading.active_count()})")
    return 0 if report(figures, args, len(specs)) else 1


if __name__ == "__main__":
    sys.exit(main())
