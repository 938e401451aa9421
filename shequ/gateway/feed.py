"""The live feed of ordinary events to the guard-room consoles.

Alarms are raised as events are stored (same transaction). Streaming every pass
and refusal to the consoles is a display matter: it goes a few times a second,
with only the latest events of each console group (a console is sent the latest
few of its complex), so its cost does not grow with the ingest rate. "Latest" is
by arrival here; the push then orders them by time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence

from django.utils import timezone

from shequ.access.services.ingest import StoredEvent, events_to_consoles
from shequ.gateway.dbworker import DbWorker
from shequ.gateway.directory import DeviceDirectory

logger = logging.getLogger(__name__)


class ConsoleFeed:
    def __init__(self, worker: DbWorker, directory: DeviceDirectory, *, interval: float = 0.5) -> None:
        from shequ.alarms.services import EVENTS_PER_MESSAGE, LIVE_WINDOW

        self.worker = worker
        self.directory = directory
        self.interval = interval
        self.per_group = EVENTS_PER_MESSAGE
        self.live_window = LIVE_WINDOW
        self._latest: dict[object, deque[StoredEvent]] = {}
        self._arrived = asyncio.Event()

    def add(self, stored: Sequence[StoredEvent]) -> None:
        if not stored:
            return
        # an edge emptying its outbox after an outage sends history, not news
        cutoff = timezone.now() - self.live_window
        for event in stored:
            if event.row.occurred_at >= cutoff:
                device = self.directory.get_by_pk(event.row.device_pk)
                group = device.console_group if device is not None and device.console_group is not None else (
                    "device", event.row.device_pk)
                latest = self._latest.get(group)
                if latest is None:
                    latest = self._latest[group] = deque(maxlen=self.per_group)
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
