"""Exponential backoff with jitter, for reconnecting to the broker and retrying the database."""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """Delays that double from ``base`` up to ``cap``; each is drawn from the upper
    half of its step ("equal jitter"), so a crowd of clients that lost the same
    broker does not come back in lockstep, yet none retries in a tight loop."""

    def __init__(self, base: float = 0.2, cap: float = 30.0, rng: Callable[[], float] = random.random) -> None:
        if base <= 0 or cap < base:
            raise ValueError("backoff needs 0 < base <= cap")
        self.base = base
        self.cap = cap
        self._rng = rng
        self.attempts = 0

    def next(self) -> float:
        """The delay before the next attempt."""
        step = min(self.cap, self.base * 2 ** min(self.attempts, 32))
        self.attempts += 1
        return step / 2 + self._rng() * step / 2

    def reset(self) -> None:
        """The last attempt worked: start from ``base`` again."""
        self.attempts = 0
