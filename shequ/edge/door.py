"""One door: inputs in, relay and events out.

A presented credential, plate or face becomes a :class:`~shequ.edge.decide.Decision`
from the local store; an allowed one releases the lock first (the person is
waiting) and then every decision, allowed or not, is written to the outbox as an
event. The door contact feeds :class:`~shequ.edge.doorsensor.DoorSensor`, whose
alarms are events too. ``on_event`` tells the MQTT client there is something to send;
nothing here waits for the platform.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from shequ.edge import decide
from shequ.edge.decide import Decision, FacePolicy
from shequ.edge.doorsensor import DoorSensor
from shequ.edge.face.gallery import Gallery, Match
from shequ.edge.face.pipeline import FaceResult
from shequ.edge.relay import Relay
from shequ.edge.store import EdgeStore

logger = logging.getLogger(__name__)


@dataclass
class FaceOutcome:
    """A face decision with what led to it, for logs and the benchmark."""

    decision: Decision
    match: Match | None = None
    #: seconds per stage: the worker's (decode, detect, landmarks, embed, liveness) and search, decide, relay, record
    timings: dict[str, float] = field(default_factory=dict)


class Door:
    def __init__(self, store: EdgeStore, relay: Relay, *, secret: str, direction: str = "",
                 unlock_seconds: float = 5.0, held_open_after: float = 30.0, face_policy: FacePolicy = FacePolicy(),
                 faces=None, on_event: Callable[[], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.relay = relay
        self.secret = secret
        self.direction = direction
        self.unlock_seconds = unlock_seconds
        self.face_policy = face_policy
        self.faces = faces  # an EmbeddingPool, or None on doors without a camera
        self.on_event = on_event or (lambda: None)
        self.sensor = DoorSensor(emit=self._alarm, held_open_after=held_open_after, clock=clock)
        self.gallery: Gallery = store.gallery()

    def reload_gallery(self) -> None:
        """Take a new snapshot of the templates (after a sync changed them)."""
        self.gallery = self.store.gallery()

    # ---------------------------------------------------------------- inputs

    def present(self, kind: str, value: str) -> Decision:
        """A card number, PIN or QR token from a reader, or a plate from a camera."""
        if kind == "plate":
            decision = decide.decide_plate(self.store, value)
        else:
            decision = decide.decide_credential(self.store, kind, value, key=self.store.credential_key(self.secret))
        self._act(decision)
        return decision

    async def present_face(self, frame: bytes, sensors: dict | None = None) -> FaceOutcome:
        """A camera frame (JPEG): embedding in a worker process, then search and decision here."""
        if self.faces is None:
            raise RuntimeError("this door has no face pipeline")
        return self.face_decision(await self.faces.process(frame, sensors))

    def face_decision(self, result: FaceResult) -> FaceOutcome:
        """Search, decide, open, record: the part of a face decision after the embedding."""
        timings = dict(result.timings)
        if result.face is None:
            decision = Decision(False, "face", reason="no_face")
            # nobody in front of the camera is not an event worth sending
            return FaceOutcome(decision, timings=timings)
        mark = time.perf_counter()
        match = self.gallery.search(result.face.vector)
        mark = _lap(timings, "search", mark)
        decision = decide.decide_face(self.store, match, policy=self.face_policy)
        if result.liveness is not None and not result.liveness.live:
            # whom it looked like is worth knowing (a photo of a resident held up), but only on a real match
            decision = Decision(False, "face", decision.person_id if decision.allow else None,
                                result.liveness.reason or "liveness")
        mark = _lap(timings, "decide", mark)
        self._act(decision, timings=timings, mark=mark)
        return FaceOutcome(decision, match, timings)

    def remote_unlock(self, cmd_id: str, seconds: float | None = None) -> None:
        """``cmd open`` from the platform (guard room, intercom): open and record who asked (the cmd_id)."""
        seconds = self.unlock_seconds if seconds is None else seconds
        self.relay.unlock(seconds)
        self.sensor.authorise(seconds)
        self.store.event_add("remote_unlock", direction=self.direction, reason=cmd_id)
        self.on_event()

    def door_contact(self, is_open: bool) -> None:
        self.sensor.update(is_open)

    def tick(self) -> None:
        self.sensor.tick()

    # ---------------------------------------------------------------- outputs

    def _act(self, decision: Decision, *, timings: dict[str, float] | None = None, mark: float | None = None) -> None:
        timings = {} if timings is None else timings
        mark = time.perf_counter() if mark is None else mark
        if decision.allow:
            self.relay.unlock(self.unlock_seconds)
            self.sensor.authorise(self.unlock_seconds)
        mark = _lap(timings, "relay", mark)
        if decision.allow:
            kind = "pass"
        elif decision.credential_kind == "plate":
            kind = "plate"  # a vehicle the barrier did not let in: held for the guard to decide
        else:
            kind = "refused"
        self.store.event_add(kind, credential_kind=decision.credential_kind, person_id=decision.person_id,
                             plate=decision.plate, direction=self.direction, reason=decision.reason,
                             pass_id=decision.pass_id)
        _lap(timings, "record", mark)
        self.on_event()

    def _alarm(self, kind: str, reason: str) -> None:
        logger.warning("door alarm: %s (%s)", kind, reason)
        self.store.event_add(kind, direction=self.direction, reason=reason)
        self.on_event()


def _lap(timings: dict[str, float], stage: str, since: float) -> float:
    now = time.perf_counter()
    timings[stage] = now - since
    return now
