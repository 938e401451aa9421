"""The door contact: forced entry and doors held open.

The door's own decisions tell the sensor when an opening is expected: from a
``pass`` (or a remote unlock) until the lock closes again plus a short grace.
An opening outside such a window is forced entry; a door open for longer than
``held_open_after`` seconds raises ``held_open`` once per opening. Time comes
from a monotonic clock (injectable for tests), so a clock change at the gate PC
cannot fake or hide either alarm.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: seconds after the lock closes again during which an opening still counts as the authorised one
#: (a resident pulling the handle just as the relay drops)
GRACE_SECONDS = 2.0


class DoorSensor:
    """Feed it contact changes (:meth:`update`) and call :meth:`tick` about once a second.

    ``emit(kind, reason)`` receives ``forced`` and ``held_open`` alarms.
    """

    def __init__(self, *, emit: Callable[[str, str], None], held_open_after: float = 30.0,
                 grace: float = GRACE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._emit = emit
        self.held_open_after = held_open_after
        self.grace = grace
        self._clock = clock
        self._authorised_until = float("-inf")
        self._open = False
        self._opened_at = 0.0
        self._held_reported = False

    @property
    def is_open(self) -> bool:
        return self._open

    def authorise(self, seconds: float) -> None:
        """The lock was released for ``seconds``: an opening until then (plus grace) is expected."""
        self._authorised_until = max(self._authorised_until, self._clock() + seconds + self.grace)

    def update(self, is_open: bool) -> None:
        """The contact reports open (True) or closed (False); repeats are ignored."""
        now = self._clock()
        if is_open and not self._open:
            self._open, self._opened_at, self._held_reported = True, now, False
            if now > self._authorised_until:
                self._emit("forced", "no_decision")
        elif not is_open and self._open:
            self._open = False

    def tick(self) -> None:
        if self._open and not self._held_reported and self._clock() - self._opened_at >= self.held_open_after:
            self._held_reported = True
            self._emit("held_open", f"open {int(self.held_open_after)}s")
