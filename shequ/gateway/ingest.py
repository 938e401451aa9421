"""Device events into the database in batches; ``evack`` only after the commit.

Messages are validated on the event loop and queued here. One batch at a time
goes to the database thread: up to ``batch_size`` events, or whatever arrived
within ``batch_delay`` of the first. While the database fails, the batch is
retried with backoff and new messages wait in memory up to ``max_pending``
events; beyond that they are refused. Nothing is lost that way: an event is
acknowledged to its device only once committed, and a device resends what was
not acknowledged (docs/mqtt.md, "the evack rule").
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

from shequ.access.services.ingest import AlarmsNotRaised, EventRow, QuarantineRow
from shequ.gateway.backoff import Backoff
from shequ.gateway.dbworker import DbWorker
from shequ.gateway.directory import DeviceInfo
from shequ.gateway.stats import GatewayStats

logger = logging.getLogger(__name__)

#: ``store(rows, quarantined=...) -> [(device pk, event id) newly stored]``; runs on the database thread
Store = Callable[..., list]
#: ``on_committed({device_id: (device, [event ids])}, stored)`` on the event loop, after the commit
Committed = Callable[[dict[str, tuple[DeviceInfo, list[str]]], list], None]


@dataclass(eq=False)
class Delivery:
    """What one message brings: rows to store, and the ids to acknowledge once they are stored."""

    device: DeviceInfo | None = None
    rows: list[EventRow] = field(default_factory=list)
    quarantined: list[QuarantineRow] = field(default_factory=list)
    ack_ids: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return max(1, len(self.rows) + len(self.quarantined))


class EventBatcher:
    def __init__(
        self,
        *,
        store: Store,
        workers: Sequence[DbWorker],
        on_committed: Committed,
        stats: GatewayStats,
        batch_size: int = 2000,
        batch_delay: float = 0.05,
        max_pending: int = 100_000,
        backoff: Backoff | None = None,
    ) -> None:
        self.store = store
        #: one batch in flight per worker: while one waits for the database, the next is sent
        self.workers = list(workers)
        self.on_committed = on_committed
        self.stats = stats
        self.batch_size = batch_size
        self.batch_delay = batch_delay
        self.max_pending = max_pending
        self.backoff = backoff or Backoff(0.1, 5.0)
        #: True while the database refuses writes (the last attempt failed)
        self.failing = False
        self._queue: deque[Delivery] = deque()
        self._queued = 0
        self._in_flight = 0
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False

    @property
    def pending(self) -> int:
        """Events and quarantined messages not yet committed."""
        return self._queued + self._in_flight

    def offer(self, delivery: Delivery) -> bool:
        """Queue a delivery; False (refused, not acknowledged) when full or closing."""
        size = delivery.size
        if self._closed or self.pending + size > self.max_pending:
            return False
        self._queue.append(delivery)
        self._queued += size
        self._idle.clear()
        self._arrived.set()
        if self._queued >= self.batch_size:
            self._full.set()
        return True

    async def run(self) -> None:
        await asyncio.gather(*(self._write_loop(worker) for worker in self.workers))

    async def _write_loop(self, worker: DbWorker) -> None:
        while True:
            await self._arrived.wait()
            if self._queued < self.batch_size:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.batch_delay)
            batch, size = self._take()
            if batch:
                await self._write(batch, size, worker)
            if not self._queue and not self._in_flight:
                self._idle.set()

    async def drain(self, timeout: float) -> bool:
        """Refuse new deliveries and wait (up to ``timeout``) until the queued ones are stored."""
        self._closed = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def _take(self) -> tuple[list[Delivery], int]:
        taken: list[Delivery] = []
        size = 0
        # whole deliveries only; one larger than a batch goes alone
        while self._queue and (not taken or size + self._queue[0].size <= self.batch_size):
            delivery = self._queue.popleft()
            taken.append(delivery)
            size += delivery.size
        self._queued -= size
        self._in_flight += size
        if not self._queue:
            self._arrived.clear()
        if self._queued < self.batch_size:
            self._full.clear()
        return taken, size

    async def _write(self, batch: list[Delivery], size: int, worker: DbWorker) -> None:
        rows = [row for delivery in batch for row in delivery.rows]
        quarantined = [row for delivery in batch for row in delivery.quarantined]
        stored = await self._store_until_done(rows, quarantined, worker)
        self._in_flight -= size
        self.stats.batches += 1
        self.stats.events_stored += len(stored)
        self.stats.events_already_stored += len(rows) - len(stored)
        self.stats.quarantined += len(quarantined)
        acks: dict[str, tuple[DeviceInfo, list[str]]] = {}
        for delivery in batch:
            if delivery.device is not None and delivery.ack_ids:
                acks.setdefault(delivery.device.device_id, (delivery.device, []))[1].extend(delivery.ack_ids)
        self.on_committed(acks, stored)

    async def _store_until_done(self, rows: Sequence[EventRow], quarantined: Sequence[QuarantineRow],
                                worker: DbWorker) -> list:
        stored_earlier: list = []
        while True:
            try:
                stored = stored_earlier + await worker.run(self.store, rows, quarantined=quarantined)
            except AlarmsNotRaised as error:
                # stored, alarms not raised: the retry raises them (the events come back as already
                # stored, which hands their alarms over again) without storing the quarantined twice
                stored_earlier += error.stored
                quarantined = ()
                await self._after_failure(error, len(rows))
                continue
            except Exception as error:  # noqa: BLE001 - any failure is retried: nothing here is acknowledged yet
                await self._after_failure(error, len(rows))
                continue
            if self.failing:
                logger.warning("storing events works again after %d attempts", self.backoff.attempts + 1)
            self.failing = False
            self.backoff.reset()
            return stored


    async def _after_failure(self, error: Exception, count: int) -> None:
        self.stats.db_failures += 1
        delay = self.backoff.next()
        if not self.failing:
            logger.warning("storing %d events failed (%s: %s); retrying with backoff, %d waiting",
                           count, type(error).__name__, error, self.pending, exc_info=not _is_database_error(error))
        self.failing = True
        await asyncio.sleep(delay)


def _is_database_error(error: Exception) -> bool:
    from django.db import Error

    return isinstance(error, Error)
