"""Group commit: requests that arrive together are written in one transaction.

Filing a case holds two locks until its transaction commits: the day's case
number counter and the audit chain. Each commit also waits for the write-ahead
log to reach the disk. One request per transaction therefore caps the whole
server at one commit at a time, a few milliseconds each, however many requests
wait. Writing the waiting requests as one batch pays those costs once.

How it works, without a thread of its own: a request thread puts its item in
the queue and, if nobody is writing, becomes the leader: it takes what is
queued (up to ``max_batch``), writes it, wakes everybody and steps down. A
waiting thread whose item is not written yet then leads the next batch. Under
light load every batch is one item, written at once; under heavy load batches
grow by themselves, and no thread writes for others for more than one batch.

The writer keeps no data beyond the items in flight: it is a queue, not a cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class Item(Generic[T]):
    """One queued piece of work and, once written, its result or error."""

    __slots__ = ("payload", "result", "error", "done")

    def __init__(self, payload: T) -> None:
        self.payload = payload
        self.result: object = None
        self.error: BaseException | None = None
        self.done = False


class GroupWriter(Generic[T]):
    """``write(items)`` sets each item's ``result`` or ``error``; an exception it
    raises becomes the error of every item it left unanswered."""

    def __init__(self, write: Callable[[Sequence[Item[T]]], None], *, max_batch: int = 100) -> None:
        self._write = write
        self._max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: list[Item[T]] = []
        self._leading = False

    def submit(self, payload: T) -> object:
        """Queue ``payload``, wait until it is written, return its result or raise its error."""
        item = Item(payload)
        with self._cond:
            self._queue.append(item)
            while not item.done:
                if self._leading:
                    self._cond.wait()
                    continue
                self._leading = True
                batch, self._queue = self._queue[:self._max_batch], self._queue[self._max_batch:]
                self._cond.release()
                try:
                    self._run(batch)
                finally:
                    self._cond.acquire()
                    self._leading = False
                    self._cond.notify_all()
        if item.error is not None:
            raise item.error
        return item.result

    def _run(self, batch: list[Item[T]]) -> None:
        try:
            self._write(batch)
        except BaseException as exc:  # noqa: BLE001 - handed to every waiting request, re-raised in its thread
            for item in batch:
                if item.error is None and item.result is None:
                    item.error = exc
        finally:
            for item in batch:
                if item.error is None and item.result is None:
                    item.error = RuntimeError("the batch writer left an item unanswered")
                item.done = True
