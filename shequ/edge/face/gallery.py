"""1:N exact search in the door's local face gallery.

Templates are unit-length float32 rows of one matrix, so every comparison is a
dot product and the whole gallery is one matrix-vector product (BLAS), exact:
no index, no approximation, nothing to tune. At 100,000 templates that reads
51 MB and takes about a millisecond on two cores.

Distances are Euclidean between unit vectors, ``sqrt(2 - 2 cos)``, in [0, 2].
They are *not* dlib's raw distances (dlib's templates are not unit length, about
1.4 long): the threshold in docs/edge.md was measured on this scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from shequ.edge.face.pipeline import DIMENSIONS

#: candidates examined for the runner-up before falling back to masking the best person out
_TOP = 8


@dataclass(frozen=True)
class Match:
    """The nearest template, and the nearest template of anyone else."""

    template_id: int
    person_id: int
    distance: float
    #: distance to the nearest template of a *different* person (inf when there is none):
    #: a second template of the same person is no competitor
    runner_up: float

    @property
    def margin(self) -> float:
        return self.runner_up - self.distance


def distance_from_similarity(similarity: float) -> float:
    return math.sqrt(max(0.0, 2.0 - 2.0 * similarity))


class Gallery:
    """An immutable snapshot of the templates: rebuilt (off the door's path) after each sync."""

    def __init__(self, template_ids: np.ndarray | list[int], person_ids: np.ndarray | list[int],
                 vectors: np.ndarray) -> None:
        self.template_ids = np.asarray(template_ids, dtype=np.int64)
        self.person_ids = np.asarray(person_ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, DIMENSIONS)
        if not (len(vectors) == len(self.template_ids) == len(self.person_ids)):
            raise ValueError("gallery arrays differ in length")
        self.vectors = vectors

    @classmethod
    def empty(cls) -> Gallery:
        return cls([], [], np.empty((0, DIMENSIONS), np.float32))

    def __len__(self) -> int:
        return len(self.template_ids)

    def search(self, query: np.ndarray) -> Match | None:
        """The nearest template to a unit-length ``query``, exact; None if the gallery is empty."""
        count = len(self)
        if not count:
            return None
        similarities = self.vectors @ np.asarray(query, dtype=np.float32)
        top = min(_TOP, count)
        candidates = np.argpartition(similarities, count - top)[count - top:]
        candidates = candidates[np.argsort(similarities[candidates])[::-1]]
        best = int(candidates[0])
        best_person = self.person_ids[best]
        runner_up = -2.0
        others = candidates[self.person_ids[candidates] != best_person]
        if len(others):
            runner_up = float(similarities[others[0]])
        elif top < count:  # every candidate is the same person: look past them
            masked = np.where(self.person_ids == best_person, -2.0, similarities)
            runner_up = float(masked.max())
        return Match(
            template_id=int(self.template_ids[best]),
            person_id=int(best_person),
            distance=distance_from_similarity(float(similarities[best])),
            runner_up=distance_from_similarity(runner_up) if runner_up > -2.0 else math.inf,
        )
