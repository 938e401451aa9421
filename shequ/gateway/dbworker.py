"""A thread for the gateway's database work, so the event loop keeps reading MQTT.

Django's ORM is synchronous and its connections belong to the thread that opened
them. Each worker is one thread, hence one connection, which it drops after any
database error: the next call connects afresh, which is how the gateway rides
out a database restart or a network cut.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
logger = logging.getLogger(__name__)


class DbWorker:
    #: seconds ``close`` waits by default for the statement still running
    CLOSE_SECONDS = 5.0

    def __init__(self, name: str) -> None:
        self.name = name
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def run(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``func(*args, **kwargs)`` on the worker's thread and wait for it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(_call, func, args, kwargs))

    def close(self, timeout: float | None = None) -> None:
        """Close the worker's connection and end its thread. Waits up to ``timeout`` for work
        still running (a write stuck on a dead database is left to finish on its own)."""
        try:
            closing = self._executor.submit(_close_connection)
        except RuntimeError:  # already closed
            return
        self._executor.shutdown(wait=False)
        timeout = self.CLOSE_SECONDS if timeout is None else timeout
        try:
            closing.result(timeout)
        except TimeoutError:
            logger.warning("database worker %s did not finish in %.0f s", self.name, timeout)


def _call(func: Callable[..., T], args: tuple, kwargs: dict) -> T:
    from django.db import Error

    try:
        return func(*args, **kwargs)
    except Error:
        _close_connection()
        raise


def _close_connection() -> None:
    from django.db import connection

    try:
        connection.close()
    except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped either way
        logger.debug("closing a broken database connection failed", exc_info=True)
