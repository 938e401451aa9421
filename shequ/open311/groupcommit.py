"""Group commit: requests that arrive together are written in one transaction.

Filing a case holds two locks until its transaction commits: the day's case
number counter and the audit chain. Each commit also waits for the write-ahead
log to reach the disk. One request per transaction therefore caps the whole
server at one commit at a time, a few milliseconds each, however many requests
wait; and every transaction repeats the same lookups. Writing the waiting
requests as one batch pays those costs once.

How it works, without a thread of its own: a request thread queues its item
and, if nobody is writing, becomes the leader: it takes what is queued (up to
``max_batch``), writes it, wakes the threads whose items it wrote and hands the
lead to the thread of the oldest item still queued. Under light load every
batch is one item, written at once; under heavy load batches grow by
themselves, and no thread writes for others for more than one batch. Each
thread sleeps on its own item, so a batch wakes only the threads it concerns.

The writer keeps no data beyond the items in flight: it is a queue, not a cache.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class Item(Generic[T]):
    """One queued piece of work and, once written, its result or error."""

    __slots__ = ("payload", "result", "error", "done", "lead", "_wake")

    def __init__(self, payload: T) -> None:
        self.payload = payload
        self.result: object = None
        self.error: BaseException | None = None
        self.done = False
        self.lead = False  # set by the writer handing over: this item's thread writes the next batch
        self._wake = threading.Event()


class GroupWriter(Generic[T]):
    """``write(items)`` sets each item's ``result`` or ``error``; an exception it
    raises becomes the error of every item it left unanswered."""

    def __init__(self, write: Callable[[Sequence[Item[T]]], None], *, max_batch: int = 100) -> None:
        self._write = write
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: deque[Item[T]] = deque()
        self._leading = False

    def submit(self, payload: T) -> object:
        """Queue ``payload``, wait until it is written, return its result or raise its error."""
        item = Item(payload)
        with self._lock:
            self._queue.append(item)
            if not self._leading:
                self._leading = item.lead = True
        while True:
            if item.lead:
                item.lead = False
                self._lead()
            if item.done:
                break
            item._wake.wait()
            item._wake.clear()
        if item.error is not None:
            raise item.error
        return item.result

    def _lead(self) -> None:
        with self._lock:
            batch = [self._queue.popleft() for _ in range(min(self._max_batch, len(self._queue)))]
        try:
            self._run(batch)
        finally:
            for written in batch:
                written.done = True
                written._wake.set()
            with self._lock:
                if self._queue:
                    successor = self._queue[0]
                    successor.lead = True
                    successor._wake.set()
                else:
                    self._leading = False

    def _run(self, batch: list[Item[T]]) -> None:
        try:
            self._write(batch)
        except BaseException as exc:  # noqa: BLE001 - handed to every waiting request, re-raised in its thread
            for item in batch:
                if item.error is None and item.result is None:
                    item.error = exc
        for item in batch:
            if item.error is None and item.result is None:
                item.error = RuntimeError("the batch writer left an item unanswered")
