"""Pushing alarms and events to the consoles through the channel layer.

One group per complex ("home" group): everything that happens at a complex's
doors, or below it, goes to that complex's group; a device placed above the
complex level (a community office door) uses its own area's group. A console
joins (through its process's hub, :mod:`shequ.alarms.hub`) the home groups of
the areas its user may watch and drops items outside the user's grant paths, so
a guard granted on one building of a complex sees only that building.

Sending happens after the surrounding transaction commits (a console that
reacts at once must find the alarm in the database), and never fails the
caller: the rows are stored, and a console that missed a message gets the state
again from its snapshot on reconnect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

from shequ.registry.models.area import LEVEL_DEPTH, AreaLevel

logger = logging.getLogger(__name__)

GROUP_PREFIX = "alarms.area."
#: the consumer handler every console message goes to (``console.push`` -> ``console_push``)
MESSAGE_TYPE = "console.push"
#: seconds a sender waits for the console loop to take its messages
SEND_TIMEOUT = 5.0
#: attribute on an in-memory layer naming the event loop its consumers run on
CONSOLE_LOOP_ATTR = "shequ_console_loop"


def home_area_id(path: str, level: str) -> int:
    """The id of the complex above (or at) an area, or the area itself above complex level.

    The tree's levels never skip (``CHILD_LEVEL``), so the complex is a fixed
    number of steps above any area below it, and the path alone finds it.
    """
    ids = [int(part) for part in path.strip("/").split("/") if part]
    steps_below = LEVEL_DEPTH[AreaLevel(level)] - LEVEL_DEPTH[AreaLevel.COMPLEX]
    return ids[-1 - steps_below] if steps_below > 0 else ids[-1]


def group_name(area_id: int) -> str:
    return f"{GROUP_PREFIX}{area_id}"


def home_group(area) -> str:
    return group_name(home_area_id(area.path, area.level))


def message(kind: str, items: list[dict]) -> dict:
    """A group message: ``kind`` is "alarms" or "events"; each item carries its ``area_path``."""
    return {"type": MESSAGE_TYPE, "kind": kind, "items": items}


def publish(messages: Iterable[tuple[str, dict]]) -> None:
    """Send (group, message) pairs once the current transaction commits."""
    messages = list(messages)
    if messages:
        transaction.on_commit(lambda: send_now(messages))


def remember_console_loop(layer, loop: asyncio.AbstractEventLoop) -> None:
    """Called by consumers: an in-memory layer's queues belong to the loop its consumers run on."""
    if isinstance(layer, InMemoryChannelLayer):
        setattr(layer, CONSOLE_LOOP_ATTR, loop)


def send_now(messages: list[tuple[str, dict]]) -> None:
    """Send to the channel layer from whatever thread the caller is on.

    The in-memory layer's asyncio queues are not thread-safe: a message put from
    another thread's loop may sit unseen until the consumers' loop wakes for
    something else. So, when a console loop is known and running, sends are
    handed to that loop. Redis layers work from any loop.
    """
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for group, body in messages:
            # the group rides along: a process's hub hands the push to that group's consoles only
            await layer.group_send(group, {**body, "group": group})

    target = getattr(layer, CONSOLE_LOOP_ATTR, None)
    if target is not None and (target.is_closed() or not target.is_running()):
        target = None
    if target is None and isinstance(layer, InMemoryChannelLayer):
        return  # no console has ever run in this process: nobody here could receive it
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    try:
        if running is not None:
            # a sync caller on a loop's own thread cannot wait for that loop: schedule and return
            if target is None or target is running:
                _keep(running.create_task(send_all()))
            else:
                asyncio.run_coroutine_threadsafe(send_all(), target).add_done_callback(_log_failure)
        elif target is not None:
            asyncio.run_coroutine_threadsafe(send_all(), target).result(timeout=SEND_TIMEOUT)
        else:
            async_to_sync(send_all)()
    except Exception:  # noqa: BLE001 - the rows are stored; a console catches up on reconnect
        logger.exception("could not push %d console message(s)", len(messages))


# tasks scheduled without a waiter: the loop keeps only weak references to them
_pending: set[asyncio.Task] = set()


def _keep(task: asyncio.Task) -> None:
    _pending.add(task)
    task.add_done_callback(_pending.discard)
    task.add_done_callback(_log_failure)


def _log_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("could not push console messages", exc_info=future.exception())
