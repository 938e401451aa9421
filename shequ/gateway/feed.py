"""The live feed of ordinary events to the guard-room consoles.

Alarms are raised as events are stored (same transaction). Streaming every pass
and refusal to the consoles is a display matter: it goes a few times a second,
with only the latest events of each device (a console shows the latest few per
complex), so its cost does not grow with the ingest rate.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence

from django.utils import timezone

from shequ.access.services.ingest import StoredEvent, events_to_consoles
from shequ.gateway.dbworker import DbWorker

logger = logging.getLogger(__name__)


class ConsoleFeed:
    def __init__(self, worker: DbWorker, *, interval: float = 0.25) -> None:
        from shequ.alarms.services import EVENTS_PER_MESSAGE, LIVE_WINDOW

        self.worker = worker
        self.interval = interval
        self.per_device = EVENTS_PER_MESSAGE
        self.live_window = LIVE_WINDOW
        self._latest: dict[int, deque[StoredEvent]] = {}
        self._arrived = asyncio.Event()

    def add(self, stored: Sequence[StoredEvent]) -> None:
        if not stored:
            return
        # an edge emptying its outbox after an outage sends history, not news
        cutoff = timezone.now() - self.live_window
        for event in stored:
            if event.row.occurred_at >= cutoff:
                latest = self._latest.get(event.row.device_pk)
                if latest is None:
                    latest = self._latest[event.row.device_pk] = deque(maxlen=self.per_device)
                latest.append(event)
        if self._latest:
            self._arrived.set()

    async def run(self) -> None:
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            batch = [event for latest in self._latest.values() for event in latest]
            self._latest = {}
            try:
                await self.worker.run(events_to_consoles, batch)
            except Exception as error:  # noqa: BLE001 - consoles catch up from their snapshot on reconnect
                logger.warning("pushing %d events to the consoles failed: %s", len(batch), error)
            await asyncio.sleep(self.interval)
