"""Terminal simulator: many indoor/outdoor terminals in one asyncio process.

Each terminal is what a real one is on the wire: its own MQTT connection (client
id = device id), heartbeats, its device topics and the broadcast topics of its
area and every area above it. It is the edge's client (``shequ.edge.client``:
outbox kept until ``evack``, resends, syncs, commands) with a door-less in-memory
store, plus the broadcast side: notices verified with the platform's Ed25519 key
and kept on a :class:`~shequ.terminals.board.NoticeBoard`. SOS is an ``sos``
event in the outbox, like a door's events.

The platform key arrives in a full ``sync`` (``platform_key``); terminals are
also provisioned with it (``platform_key=``), since a terminal whose device list
never changes may never be sent a sync.

``shequ terminals simulate`` runs it from the command line (:func:`main`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, replace

import aiomqtt

from shequ.access import protocol
from shequ.edge.client import ClientConfig, EdgeClient
from shequ.edge.store import EdgeStore
from shequ.terminals.board import NoticeBoard, Offer

logger = logging.getLogger("shequ.terminals.sim")

BROADCAST_PREFIX = protocol.BROADCAST_ROOT + "/"
#: terminals send few events: the outbox is polled rarely (an SOS wakes it at once)
TERMINAL_CONFIG = ClientConfig(poll_every=10.0, resend_after=10.0)


@dataclass(frozen=True)
class TerminalSpec:
    device_id: str
    secret: str
    #: the ids of the terminal's area and of every area above it, root first (``protocol.area_ids_of_path``)
    area_ids: tuple[int, ...]
    kind: str = "indoor_terminal"


@dataclass(frozen=True)
class Receipt:
    """When a terminal got a notice (``time.monotonic()``): the message handed over by the broker, then verified."""

    arrived: float
    verified: float


NoticeCallback = Callable[["Terminal", Offer, Receipt], None]


class Terminal(EdgeClient):
    """One terminal: the edge client without a door, plus broadcasts and an SOS button."""

    def __init__(self, spec: TerminalSpec, *, config: ClientConfig = TERMINAL_CONFIG, platform_key: str = "",
                 on_notice: NoticeCallback | None = None) -> None:
        super().__init__(device_id=spec.device_id, secret=spec.secret, store=EdgeStore(":memory:"), config=config)
        self.spec = spec
        self.board = NoticeBoard(platform_key, spec.area_ids)
        self.on_notice = on_notice
        #: outcome -> how many broadcasts ended so (new, repeat, bad_signature, ...)
        self.outcomes: dict[str, int] = defaultdict(int)
        #: set while connected and subscribed to the broadcast topics
        self.listening = asyncio.Event()

    # --- the buttons -----------------------------------------------------------------------------------------------

    def sos(self, reason: str = "") -> str:
        """Press SOS: an ``sos`` event, kept until the platform's ``evack``. Returns its event id."""
        event = self.store.event_add("sos", reason=reason)
        self.notify()
        return event["event_id"]

    def unacknowledged(self) -> int:
        """Events still waiting for the platform's ``evack``."""
        return self.store.outbox_count()

    # --- what the edge client does not know ------------------------------------------------------------------------

    async def _receive(self, client: aiomqtt.Client) -> None:
        # the edge subscribes to its device topics only; a terminal also hears its areas
        await client.subscribe(protocol.broadcast_subscriptions(list(self.spec.area_ids)))
        self.listening.set()
        try:
            await super()._receive(_DeviceMessages(client, self._broadcast))
        finally:
            self.listening.clear()

    async def _sync(self, sync: protocol.Sync) -> None:
        if sync.platform_key:
            self.board.platform_key = sync.platform_key
        await super()._sync(sync)

    def _broadcast(self, message: aiomqtt.Message) -> None:
        arrived = time.monotonic()
        offer = self.board.offer(bytes(message.payload))
        self.outcomes[offer.outcome] += 1
        if offer.outcome in ("bad_signature", "malformed", "no_key", "other_area"):
            logger.warning("terminal %s dropped a broadcast on %s: %s (%s)", self.device_id, message.topic.value,
                           offer.reason, offer.outcome)
        if self.on_notice is not None:
            self.on_notice(self, offer, Receipt(arrived, time.monotonic()))


class _DeviceMessages:
    """The client as the edge's receive loop sees it: broadcasts are taken out of
    ``messages`` (handed to ``on_broadcast``), device messages pass through."""

    def __init__(self, client: aiomqtt.Client, on_broadcast: Callable[[aiomqtt.Message], None]) -> None:
        self._client = client
        self._on_broadcast = on_broadcast

    @property
    def messages(self) -> AsyncIterator[aiomqtt.Message]:
        return self._split()

    async def _split(self) -> AsyncIterator[aiomqtt.Message]:
        async for message in self._client.messages:
            if not message.topic.value.startswith(BROADCAST_PREFIX):
                yield message
                continue
            try:
                self._on_broadcast(message)
            except Exception:
                # one broadcast that breaks the board must not take the terminal's link down
                logger.exception("broadcast on %s could not be handled", message.topic.value)


class Simulator:
    """Many terminals, one process. Start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(self, specs: Iterable[TerminalSpec], *, config: ClientConfig = TERMINAL_CONFIG,
                 platform_key: str = "", connect_at_once: int = 50) -> None:
        self.terminals: dict[str, Terminal] = {
            spec.device_id: Terminal(spec, config=config, platform_key=platform_key, on_notice=self._noticed)
            for spec in specs}
        self.config = config
        self.connect_at_once = connect_at_once
        #: notice id -> device id -> first receipt of its newest version
        self.receipts: dict[str, dict[str, Receipt]] = defaultdict(dict)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._changed = asyncio.Event()

    # --- running ---------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect every terminal, at most ``connect_at_once`` connecting at a time (a crowd
        of simultaneous connects overflows the broker's listen backlog); returns once all
        have started, connected or not (those not connected keep retrying with backoff)."""
        gate = asyncio.Semaphore(self.connect_at_once)
        for terminal in self.terminals.values():
            await gate.acquire()
            self._tasks.append(asyncio.create_task(terminal.run(self._stop), name=f"terminal-{terminal.device_id}"))
            waiter = asyncio.create_task(_listening_or_timeout(terminal, self.config.timeout))
            waiter.add_done_callback(lambda _task: gate.release())
            self._tasks.append(waiter)

    def connected(self) -> int:
        """Terminals connected and subscribed to their broadcast topics."""
        return sum(terminal.listening.is_set() for terminal in self.terminals.values())

    async def wait_connected(self, timeout: float) -> bool:
        """Wait until every terminal is connected and subscribed."""
        deadline = time.monotonic() + timeout
        for terminal in self.terminals.values():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(terminal.listening.wait(), remaining)
        return self.connected() == len(self.terminals)

    async def stop(self, grace: float | None = None) -> int:
        """Disconnect every terminal; those not done within ``grace`` seconds (the MQTT
        timeout by default) are cancelled. Returns how many had to be cancelled.

        Some never finish by themselves: Python 3.11's ``asyncio.wait_for`` (inside
        aiomqtt's publish) drops a cancellation that arrives just as the publish completes,
        so the edge client's heartbeat loop goes on and its session waits for it forever.
        Under thousands of terminals that happens to a few percent of them."""
        self._stop.set()
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return 0
        _done, late = await asyncio.wait(tasks, timeout=self.config.timeout if grace is None else grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if late:
            logger.warning("%d terminal tasks did not stop in time and were cancelled", len(late))
        return len(late)

    # --- commands --------------------------------------------------------------------------------------------------

    def sos(self, device_id: str, reason: str = "") -> str:
        return self.terminals[device_id].sos(reason)

    def unacknowledged(self) -> int:
        return sum(terminal.unacknowledged() for terminal in self.terminals.values())

    async def wait_acknowledged(self, timeout: float) -> bool:
        """Wait until the platform has acknowledged every event (SOS) of every terminal."""
        deadline = time.monotonic() + timeout
        while self.unacknowledged():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    # --- notices ---------------------------------------------------------------------------------------------------

    def _noticed(self, terminal: Terminal, offer: Offer, receipt: Receipt) -> None:
        if offer.changed:
            received = self.receipts[offer.notice_id]
            if offer.outcome == "updated" or offer.outcome == "withdrawn":
                received.pop(terminal.device_id, None)  # the receipt is of the newest version
            received.setdefault(terminal.device_id, receipt)
            self._changed.set()

    def holders(self, notice_id: str | int) -> list[str]:
        """Terminals showing the notice now."""
        return [device_id for device_id, terminal in self.terminals.items() if terminal.board.get(notice_id)]

    async def wait_notice(self, notice_id: str | int, timeout: float, count: int | None = None) -> bool:
        """Wait until ``count`` terminals (all by default) have received and verified the notice."""
        wanted = len(self.terminals) if count is None else count
        received = self.receipts[str(notice_id)]
        deadline = time.monotonic() + timeout
        while len(received) < wanted:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return True

    def outcomes(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for terminal in self.terminals.values():
            for outcome, number in terminal.outcomes.items():
                totals[outcome] += number
        return dict(totals)

    def status(self) -> dict:
        return {"terminals": len(self.terminals), "connected": self.connected(),
                "unacknowledged": self.unacknowledged(), "broadcasts": self.outcomes()}

    # --- clean-up --------------------------------------------------------------------------------------------------

    async def forget_sessions(self, at_once: int = 50) -> int:
        """Drop the terminals' persistent sessions at the broker (after :meth:`stop`), so a
        shared broker does not keep queueing notices for simulated terminals that are gone."""
        gate = asyncio.Semaphore(at_once)
        config = self.config

        async def forget(device_id: str) -> bool:
            async with gate:
                try:
                    async with aiomqtt.Client(config.host, config.port, identifier=device_id, clean_session=True,
                                              timeout=config.timeout):
                        return True
                except aiomqtt.MqttError:
                    return False

        return sum(await asyncio.gather(*(forget(device_id) for device_id in self.terminals)))


async def _listening_or_timeout(terminal: Terminal, timeout: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(terminal.listening.wait(), timeout)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def config_for(host: str, port: int, **changes) -> ClientConfig:
    return replace(TERMINAL_CONFIG, host=host, port=port, **changes)


# --- command line -------------------------------------------------------------------------------------------------

HELP = """commands (one a line on standard input, each answered with one JSON line):
  status                      connected terminals, events awaiting evack, broadcasts by outcome
  sos DEVICE_ID [REASON]      press SOS on a terminal
  notices DEVICE_ID           the notices a terminal shows
  receipts NOTICE_ID          how many terminals verified a notice, and when (seconds after the first)
  list                        the simulated terminals
  quit"""


def main(argv: list[str] | None = None) -> int:
    """``shequ terminals simulate``: register or load terminals under an area and run them."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="shequ terminals simulate", description="室内/室外终端模拟器",
                                     epilog=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--area", required=True, help="区域编码（终端装在其下的房屋、楼栋和小区）")
    parser.add_argument("--count", type=int, default=10, help="终端数量（默认 10）")
    parser.add_argument("--kind", choices=["indoor", "outdoor", "mixed"], default="mixed",
                        help="indoor 室内（房屋）、outdoor 室外（楼栋和小区的灯杆）、mixed 混合（默认）")
    parser.add_argument("--prefix", default="sim", help="设备编号前缀（默认 sim；编号为 前缀-00001 等）")
    parser.add_argument("--broker-host", default="127.0.0.1", help="MQTT 代理地址（默认 127.0.0.1）")
    parser.add_argument("--broker-port", type=int, default=1883, help="MQTT 代理端口（默认 1883）")
    parser.add_argument("--heartbeat", type=float, default=30.0, help="心跳间隔（秒，默认 30）")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")

    from shequ.accounts.audit import Actor
    from shequ.core.signing import platform_public_key_text
    from shequ.registry.models import Area
    from shequ.terminals.services import terminals_provision

    area = Area.objects.filter(code=args.area).first()
    if area is None:
        print(f"区域编码“{args.area}”不存在。", file=sys.stderr)
        return 2
    specs = terminals_provision(actor=Actor.system(via="cli"), area=area, count=args.count, kind=args.kind,
                                prefix=args.prefix)
    if not specs:
        print("该区域下没有可安装终端的位置（房屋、楼栋或小区）。", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("shequ.edge").setLevel(logging.WARNING)  # one "connected" line per terminal is noise
    config = config_for(args.broker_host, args.broker_port, heartbeat_every=args.heartbeat)
    asyncio.run(_serve(Simulator(specs, config=config, platform_key=platform_public_key_text())))
    return 0


async def _serve(simulator: Simulator) -> None:
    import json
    import sys

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    await simulator.start()
    await simulator.wait_connected(simulator.config.timeout)
    print(json.dumps({"ok": True, **simulator.status()}), flush=True)
    try:
        while True:
            line = (await reader.readline()).decode("utf-8", "replace")
            if not line:
                break  # end of input
            if not line.strip():
                continue
            answer = command_answer(simulator, line)
            if answer is None:
                break
            print(json.dumps(answer, ensure_ascii=False, default=str), flush=True)
    finally:
        await simulator.stop()


def command_answer(simulator: Simulator, line: str) -> dict | None:
    """One input line to its JSON answer (None: quit). A bad line is answered, never fatal."""
    command, _, rest = line.strip().partition(" ")
    value, _, extra = rest.strip().partition(" ")
    if command == "quit":
        return None
    if command == "status":
        return {"ok": True, **simulator.status()}
    if command == "list":
        return {"ok": True, "terminals": [{"device_id": t.device_id, "kind": t.spec.kind,
                                           "connected": t.listening.is_set()} for t in simulator.terminals.values()]}
    if command in ("sos", "notices") and value not in simulator.terminals:
        return {"ok": False, "error": f"unknown terminal {value!r}"}
    if command == "sos":
        return {"ok": True, "event_id": simulator.sos(value, extra.strip())}
    if command == "notices":
        return {"ok": True, "notices": [{"notice_id": n.notice_id, "title": n.title, "urgent": n.urgent,
                                         "ts": n.ts.isoformat()} for n in simulator.terminals[value].board.current()]}
    if command == "receipts" and value:
        received = simulator.receipts.get(value, {})
        if not received:
            return {"ok": True, "notice_id": value, "terminals": 0}
        first = min(receipt.verified for receipt in received.values())
        delays = [receipt.verified - first for receipt in received.values()]
        return {"ok": True, "notice_id": value, "terminals": len(received), "of": len(simulator.terminals),
                "p50": round(percentile(delays, 0.5), 4), "p99": round(percentile(delays, 0.99), 4),
                "last": round(max(delays), 4)}
    return {"ok": False, "error": f"unknown command {command!r}", "help": HELP}
