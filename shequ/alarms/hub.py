"""One channel-layer member per process for all the consoles it serves.

With a member per console, one push to a complex watched by 500 consoles is 500
messages through the layer: 500 deep copies and 500 scans of every queue in the
in-memory layer, 500 Redis round trips in a row with Redis. The hub joins each
group once for the whole process (per event loop), takes each push once, and hands
it to the consoles of that group through their own in-process queues; each console
then filters and sends as before. A console that cannot keep up (its browser stopped
reading) has its socket closed rather than holding up the others: the page
reconnects and gets a fresh snapshot.

The hubs are per event loop and per channel layer (tests run each scenario on a
loop of its own and may swap the layer); they live as long as they have consoles.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Protocol
from weakref import WeakKeyDictionary

logger = logging.getLogger(__name__)

class HubMember(Protocol):
    def hub_deliver(self, message: dict) -> None: ...

    def hub_failed(self) -> None: ...


# the process's hubs, by event loop then by layer: a console joins the hub of the loop it runs on
_HUBS: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, ConsoleHub]] = WeakKeyDictionary()


class ConsoleHub:
    def __init__(self, layer) -> None:
        self.layer = layer
        self.members: dict[str, set[HubMember]] = defaultdict(set)
        self.channel: str | None = None
        self.task: asyncio.Task | None = None
        self.lock = asyncio.Lock()

    @classmethod
    def of(cls, layer) -> ConsoleHub:
        """The hub of ``layer`` on the running event loop."""
        hubs = _HUBS.setdefault(asyncio.get_running_loop(), {})
        hub = hubs.get(id(layer))
        if hub is None or hub.layer is not layer:
            hub = hubs[id(layer)] = cls(layer)
        return hub

    async def join(self, member: HubMember, groups: list[str]) -> None:
        async with self.lock:
            if self.channel is None:
                # the layer's own prefix: channels_redis polls one process-specific key per process,
                # and a channel under another prefix would never be read
                self.channel = await self.layer.new_channel()
                self.task = asyncio.create_task(self._run(self.channel))
            for group in groups:
                if not self.members[group]:
                    await self.layer.group_add(group, self.channel)
                self.members[group].add(member)

    async def leave(self, member: HubMember, groups: list[str]) -> None:
        async with self.lock:
            for group in groups:
                members = self.members.get(group)
                if members is None:
                    continue
                members.discard(member)
                if not members:
                    del self.members[group]
                    if self.channel is not None:
                        await self.layer.group_discard(group, self.channel)
            if not self.members:
                self._stop()

    async def renew(self) -> None:
        """Join every group again: layers forget members after ``group_expiry`` (a day by default)."""
        async with self.lock:
            if self.channel is not None:
                for group in list(self.members):
                    await self.layer.group_add(group, self.channel)

    def deliver(self, message: dict) -> None:
        """Hand a push to the consoles of its group (to every console if it names none)."""
        group = message.get("group")
        if group:
            targets = list(self.members.get(group, ()))
        else:
            targets = list({member for members in self.members.values() for member in members})
        for member in targets:
            member.hub_deliver(message)

    async def _run(self, channel: str) -> None:
        try:
            while True:
                self.deliver(await self.layer.receive(channel))
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a dead hub must not leave silent consoles behind
            logger.exception("console hub stopped receiving; closing its consoles so they reconnect")
            members = {member for group_members in self.members.values() for member in group_members}
            self.members.clear()
            self.channel, self.task = None, None
            for member in members:
                member.hub_failed()

    def _stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.channel, self.task = None, None
