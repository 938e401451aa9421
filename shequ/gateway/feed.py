"""The live feed of ordinary events to the guard-room consoles.

Alarms are raised as events are stored (before the events are acknowledged). Streaming every pass
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
        latest_of: dict[int, deque[StoredEvent]] = {}  # device pk -> its group's latest, looked up once a call
        for event in stored:
            row = event.row
            if row.occurred_at >= cutoff:
                latest = latest_of.get(row.device_pk)
                if latest is None:
                    latest = latest_of[row.device_pk] = self._group_latest(row.device_pk)
                latest.append(event)
        if self._latest:
            self._arrived.set()

    def _group_latest(self, device_pk: int) -> deque[StoredEvent]:
        device = self.directory.get_by_pk(device_pk)
        group = device.console_group if device is not None and device.console_group is not None else (
            "device", device_pk)
        latest = self._latest.get(group)
        if latest is None:
            latest = self._latest[group] = deque(maxlen=self.per_group)
        return latest

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
