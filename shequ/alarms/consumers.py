"""The consoles' WebSockets: read-only push channels.

The guard-room console (:class:`ConsoleConsumer`) needs a logged-in user past the
second factor who may watch alarms somewhere (``alarms.view``); the community
police console (:class:`PoliceConsoleConsumer`) needs ``alarms.police``; the
street console (:class:`StreetConsoleConsumer`) ``alarms.view``. A console joins
the groups of its user's areas, receives a snapshot (open alarms, and latest
events in the guard room) and then every change as it happens, filtered to what
its kind of console shows (``selectors.ConsoleMode``). Pushes reach it through the
process's :class:`~shequ.alarms.hub.ConsoleHub` (one layer member for all consoles)
and a queue of its own. Acknowledging, dispatching and closing go through ordinary
POSTs (CSRF, audit with the client's address), never through this socket.

Close codes before the handshake completes: 4401 not logged in, 4403 no second
factor or no right to watch alarms.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from shequ.access.models import AccessEvent
from shequ.alarms import broadcast, payloads, selectors
from shequ.alarms.hub import ConsoleHub

logger = logging.getLogger(__name__)

NOT_LOGGED_IN = 4401
FORBIDDEN = 4403
#: seconds between re-checks of the user's grants (a revoked grant ends the console)
RECHECK_SECONDS = 60.0
CATCHUP_LIMIT = 100
CATCHUP_OVERLAP = timedelta(seconds=5)
#: pushes waiting to be sent to one console; more means its browser stopped reading
INBOX_LIMIT = 200


def _second_factor_ok(user, session) -> bool:
    from shequ.accounts.services import user_needs_second_factor
    from shequ.accounts.views.access import SECOND_FACTOR_OK

    return bool(session is not None and session.get(SECOND_FACTOR_OK)) or not user_needs_second_factor(user)


def _fresh_user(user):
    """The user with grants read now: the scope's user object caches its grants."""
    from shequ.accounts.models import User

    return User.objects.filter(pk=user.pk, is_active=True).first()


class ConsoleConsumer(AsyncJsonWebsocketConsumer):
    mode: selectors.ConsoleMode = selectors.GUARD
    groups_joined: list[str]
    paths: list[str]

    async def connect(self) -> None:
        self.groups_joined, self.paths, self.housekeeping, self.pusher, self.hub = [], [], None, None, None
        self.inbox: asyncio.Queue[dict] = asyncio.Queue(maxsize=INBOX_LIMIT)
        self.falling_behind = False
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=NOT_LOGGED_IN)
            return
        allowed = await database_sync_to_async(self._load_access)(user)
        if not allowed:
            await self.close(code=FORBIDDEN)
            return
        broadcast.remember_console_loop(self.channel_layer, asyncio.get_running_loop())
        self.hub = ConsoleHub.of(self.channel_layer)
        await self.hub.join(self, self.groups_joined)  # pushes queue up from now on: none is lost
        try:
            await self.accept()
            snapshot, cursor = await database_sync_to_async(self._snapshot)()
            await self.send_json({"type": "snapshot", **snapshot})
        except BaseException:
            await self.hub.leave(self, self.groups_joined)  # no console here to queue for
            raise
        self.pusher = asyncio.create_task(self._push_loop())
        self.housekeeping = asyncio.create_task(self._housekeep(cursor))

    def _load_access(self, user) -> bool:
        if not _second_factor_ok(user, self.scope.get("session")):
            return False
        user = _fresh_user(user)
        if user is None:
            return False
        self.user = user
        self.paths = selectors.console_paths(user=user, capability=self.mode.capability)
        self.groups_joined = selectors.console_groups(user=user, capability=self.mode.capability) if self.paths else []
        return bool(self.paths)

    def _snapshot(self) -> tuple[dict, Cursor]:
        # the cursor first: anything stored after it reaches the console by a push or the catch-up
        cursor = Cursor(alarms_since=timezone.now(),
                        event_pk=AccessEvent.objects.aggregate(top=Max("pk"))["top"] or 0)
        return selectors.console_snapshot(user=self.user, mode=self.mode), cursor

    async def disconnect(self, code: int) -> None:
        for task in (self.housekeeping, self.pusher):
            if task is not None:
                task.cancel()
        if self.hub is not None:
            await self.hub.leave(self, self.groups_joined)

    # --- pushes, from the hub -------------------------------------------------------------------------------------

    def hub_deliver(self, message: dict) -> None:
        try:
            self.inbox.put_nowait(message)
        except asyncio.QueueFull:
            if not self.falling_behind:
                self.falling_behind = True
                logger.warning("console %s is %d pushes behind; closing it so it reloads its snapshot",
                               self.channel_name, INBOX_LIMIT)
                _keep(asyncio.ensure_future(self.close()))

    def hub_failed(self) -> None:
        _keep(asyncio.ensure_future(self.close()))

    async def _push_loop(self) -> None:
        while True:
            await self.console_push(await self.inbox.get())

    async def receive_json(self, content, **kwargs) -> None:
        # the socket is push-only; a ping keeps proxies from closing an idle console
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    def _visible(self, path: str) -> bool:
        return any(path.startswith(granted) for granted in self.paths)

    async def console_push(self, event: dict) -> None:
        """A push from :mod:`shequ.alarms.broadcast` (through the hub), filtered to the
        user's grants and to what this console shows."""
        kind = event["kind"]
        if kind == "events" and not self.mode.events:
            return
        shows = self.mode.shows if kind == "alarms" else _always
        items = [item for item in event["items"] if self._visible(item["area_path"]) and shows(item)]
        if items:
            await self.send_json({"type": event["kind"], "items": items})

    async def _housekeep(self, cursor: Cursor) -> None:
        """Re-check the grants now and then, and (with the in-memory layer) pick up
        rows another process wrote, which that process could not push here."""
        catchup = float(getattr(settings, "SHEQU_CONSOLE_CATCHUP_SECONDS", 0) or 0)
        interval = catchup or RECHECK_SECONDS
        since_check = 0.0
        try:
            while True:
                await asyncio.sleep(interval)
                since_check += interval
                if since_check >= RECHECK_SECONDS:
                    since_check = 0.0
                    if not await database_sync_to_async(self._still_allowed)():
                        await self.close(code=FORBIDDEN)
                        return
                    # channel layers drop group members after ``group_expiry`` (a day by default),
                    # and a guard-room console stays open for days: joining again renews them
                    await self.hub.renew()
                if catchup:
                    alarms, events = await database_sync_to_async(self._rows_after)(cursor)
                    if alarms:
                        await self.send_json({"type": "alarms", "items": alarms})
                    if events:
                        await self.send_json({"type": "events", "items": events})
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a broken catch-up must not leave a silent console open
            logger.exception("console housekeeping failed; closing the socket so the page reconnects")
            await self.close()

    def _still_allowed(self) -> bool:
        user = _fresh_user(self.user)
        return user is not None and selectors.console_paths(user=user, capability=self.mode.capability) == self.paths

    def _rows_after(self, cursor: Cursor) -> tuple[list[dict], list[dict]]:
        """Alarms changed and events stored since the last look, minus what was already sent."""
        now = timezone.now()
        changed = selectors.alarm_list(user=self.user, mode=self.mode).filter(
            updated_at__gt=cursor.alarms_since - CATCHUP_OVERLAP)
        alarms = [item for item in payloads.alarm_items(changed[:CATCHUP_LIMIT]) if cursor.is_new_alarm(item)]
        cursor.alarms_since = now
        if not self.mode.events:
            return alarms, []
        events = selectors.recent_events(user=self.user, limit=CATCHUP_LIMIT, after_pk=cursor.event_pk)
        if events:
            cursor.event_pk = max(event.pk for event in events)
        return alarms, list(reversed(selectors.event_items(events)))


class PoliceConsoleConsumer(ConsoleConsumer):
    """The community police console: SOS alarms and alarms escalated to the police."""

    mode = selectors.POLICE


class StreetConsoleConsumer(ConsoleConsumer):
    """The street console: alarms escalated to the street."""

    mode = selectors.STREET


def _always(item: dict) -> bool:
    return True


# tasks scheduled without a waiter: the loop keeps only weak references to them
_closing_tasks: set[asyncio.Future] = set()


def _keep(task: asyncio.Future) -> None:
    _closing_tasks.add(task)
    task.add_done_callback(_closing_tasks.discard)


@dataclass
class Cursor:
    """Where the catch-up stands: alarms changed since a time (looked at with some
    overlap, since a transaction may commit a little after it stamped its rows) and
    events after a primary key. ``sent`` keeps the revision last sent per alarm."""

    alarms_since: datetime
    event_pk: int
    sent: dict[int, int] = field(default_factory=dict)

    def is_new_alarm(self, item: dict) -> bool:
        if self.sent.get(item["id"]) == item["rev"]:
            return False
        self.sent[item["id"]] = item["rev"]
        if len(self.sent) > 4 * CATCHUP_LIMIT:  # keep it small: only the overlap window matters
            for key in list(self.sent)[: len(self.sent) - 2 * CATCHUP_LIMIT]:
                del self.sent[key]
        return True
