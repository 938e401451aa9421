"""One frame in, one face template out: decode, detect, 5-point landmarks, embed.

dlib computes on one thread, so a door runs one :class:`FacePipeline` per core in
worker processes (:mod:`.pool`); this module is what each worker holds.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from shequ.edge.face.liveness import LivenessCheck, LivenessVerdict, PassThroughLiveness
from shequ.edge.face.models import ModelPaths, model_paths

DIMENSIONS = 128
#: the half-scale pass is skipped on frames whose short side is under twice this (pixels)
_COARSE_MIN_SIDE = 160


@dataclass(frozen=True)
class Face:
    """The largest face of a frame: where it is and its unit-length template."""

    box: tuple[int, int, int, int]  # left, top, right, bottom
    score: float
    vector: np.ndarray  # (128,) float32, unit length


@dataclass
class FaceResult:
    face: Face | None
    liveness: LivenessVerdict | None = None
    #: seconds spent per stage: decode, detect, landmarks, embed, liveness
    timings: dict[str, float] = field(default_factory=dict)


def normalise(vector: np.ndarray) -> np.ndarray:
    """Unit length float32: the gallery compares by dot product."""
    vector = np.asarray(vector, dtype=np.float32).reshape(DIMENSIONS)
    norm = float(np.linalg.norm(vector))
    if not norm:
        raise ValueError("zero face template")
    return vector / norm


def decode(data: bytes) -> np.ndarray:
    """JPEG/PNG bytes to an RGB uint8 array."""
    return decode_with_grey(data)[0]


def decode_with_grey(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """JPEG/PNG bytes to RGB and grey uint8 arrays (Pillow converts in C, faster than numpy)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
        return np.asarray(rgb), np.asarray(rgb.convert("L"))


def grey(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma of an RGB array."""
    weighted = rgb[..., 0] * np.uint16(77) + rgb[..., 1] * np.uint16(150) + rgb[..., 2] * np.uint16(29)
    return (weighted >> 8).astype(np.uint8)


class FacePipeline:
    """dlib's HOG detector, 5-point shape predictor and ResNet (v1) embedding.

    ``min_score``: detections scoring lower are dropped (HOG's false positives on
    clothing and background score below about 0.15 on the sample photos, real
    faces above 0.3 even rotated); of the rest the largest face, the person
    nearest the camera, is taken.

    ``coarse_first``: look for the face on the frame halved first (four times
    fewer pixels; a face at a door fills a good part of the frame), and on the
    full frame only when none is found there. Detection runs on the grey image
    (HOG on colour computes gradients on every channel: about a fifth slower for
    the same faces); the landmarks and the embedding use the full-resolution
    colour frame.
    """

    def __init__(self, paths: ModelPaths | Path | None = None, *, coarse_first: bool = True,
                 min_score: float = 0.2, liveness: LivenessCheck | None = None) -> None:
        import dlib

        if not isinstance(paths, ModelPaths):
            paths = model_paths(paths)
        self._detector = dlib.get_frontal_face_detector()
        self._shape = dlib.shape_predictor(str(paths.landmarks))
        self._resnet = dlib.face_recognition_model_v1(str(paths.resnet))
        self._rectangle = dlib.rectangle
        self.coarse_first = coarse_first
        self.min_score = min_score
        self.liveness = liveness or PassThroughLiveness()

    def detect(self, image: np.ndarray):
        """The largest face's dlib rectangle and score, or None (``image``: grey or RGB)."""
        if self.coarse_first and min(image.shape[:2]) >= 2 * _COARSE_MIN_SIDE:
            found = self._largest(np.ascontiguousarray(image[::2, ::2]))
            if found is not None:
                rect, score = found
                return self._rectangle(rect.left() * 2, rect.top() * 2, rect.right() * 2 + 1,
                                       rect.bottom() * 2 + 1), score
        return self._largest(image)

    def _largest(self, image: np.ndarray):
        rects, scores, _ = self._detector.run(image, 0, self.min_score)
        if not len(rects):
            return None
        best = max(range(len(rects)), key=lambda i: rects[i].area())
        return rects[best], float(scores[best])

    def landmarks(self, rgb: np.ndarray, rect):
        return self._shape(rgb, rect)

    def embed(self, rgb: np.ndarray, shape) -> np.ndarray:
        return normalise(self.embed_raw(rgb, shape))

    def embed_raw(self, rgb: np.ndarray, shape) -> np.ndarray:
        """dlib's own descriptor (not unit length): for comparing with dlib's published distances."""
        return np.array(self._resnet.compute_face_descriptor(rgb, shape), dtype=np.float32)

    def embed_chip_raw(self, chip: np.ndarray) -> np.ndarray:
        """Descriptor of an already aligned 150x150 RGB face chip."""
        return np.array(self._resnet.compute_face_descriptor(np.ascontiguousarray(chip)), dtype=np.float32)

    def process(self, frame: bytes | np.ndarray, sensors: dict | None = None) -> FaceResult:
        """The whole pipeline for one frame (JPEG/PNG bytes or an RGB array)."""
        timings: dict[str, float] = {}
        started = time.perf_counter()
        if isinstance(frame, (bytes, bytearray, memoryview)):
            rgb, grey_image = decode_with_grey(bytes(frame))
        else:
            rgb, grey_image = frame, grey(frame)
        mark = _lap(timings, "decode", started)
        found = self.detect(grey_image)
        mark = _lap(timings, "detect", mark)
        if found is None:
            return FaceResult(None, timings=timings)
        rect, score = found
        shape = self.landmarks(rgb, rect)
        mark = _lap(timings, "landmarks", mark)
        vector = self.embed(rgb, shape)
        mark = _lap(timings, "embed", mark)
        face = Face((rect.left(), rect.top(), rect.right(), rect.bottom()), score, vector)
        verdict = self.liveness.check(rgb, face, sensors or {})
        _lap(timings, "liveness", mark)
        return FaceResult(face, verdict, timings)


def _lap(timings: dict[str, float], stage: str, since: float) -> float:
    now = time.perf_counter()
    timings[stage] = now - since
    return now
