"""The place where liveness checks plug in.

A face template says *whose* face the camera saw, not whether a living person
stood there: a printed photo or a phone screen held up to a 2D camera yields the
same template. Liveness from a single RGB camera (blink, texture, moiré cues) is
weak and easily beaten, so the default here is a pass-through that says so, and
real protection comes from the terminal: IR or depth cameras (structured light,
time of flight, stereo) that many gate terminals carry. Their adapter implements
:class:`LivenessCheck`, reading the extra frames it needs from ``sensors``
(for example ``{"ir": bytes, "depth": bytes}`` as the terminal driver delivers
them), and runs in the same worker process as the embedding.

A door that must resist photo attacks should also keep a non-face credential in
the loop (card + face) rather than trust 2D liveness.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from shequ.edge.face.pipeline import Face


@dataclass(frozen=True)
class LivenessVerdict:
    live: bool
    score: float = 1.0
    #: short reason when not live (goes into the refusal event)
    reason: str = ""
    #: True when the check could not really tell (the pass-through): logged, shown in docs
    weak: bool = False


class LivenessCheck(Protocol):
    """Decide whether the face in ``rgb`` belongs to a live person present now."""

    def check(self, rgb: np.ndarray, face: Face, sensors: dict[str, Any]) -> LivenessVerdict: ...


class PassThroughLiveness:
    """No liveness check: every face counts as live. Fine for tests and for doors
    where face is a convenience next to a card; not a defence against photos."""

    def check(self, rgb: np.ndarray, face: Face, sensors: dict[str, Any]) -> LivenessVerdict:
        return LivenessVerdict(live=True, weak=True)
