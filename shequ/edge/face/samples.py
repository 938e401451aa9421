"""Real face photos that ship inside installed packages, and transformed variants.

Used by the tests, the gate benchmark and the threshold calibration, so none of
them downloads anything: scikit-image's ``astronaut`` (Eileen Collins) and
matplotlib's ``grace_hopper.jpg``.
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {name} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def astronaut_path() -> Path:
    return _package_dir("skimage") / "data" / "astronaut.png"


def grace_hopper_path() -> Path:
    return _package_dir("matplotlib") / "mpl-data" / "sample_data" / "grace_hopper.jpg"


def lfw_subset_path() -> Path:
    """100 LFW faces, 25x25 grey, then 100 non-faces (scikit-image's ``lfw_subset``)."""
    return _package_dir("skimage") / "data" / "lfw_subset.npy"


def load(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def astronaut() -> np.ndarray:
    return load(astronaut_path())


def grace_hopper() -> np.ndarray:
    return load(grace_hopper_path())


def _pil(rgb: np.ndarray):
    from PIL import Image

    return Image.fromarray(rgb)


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    _pil(rgb).save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    from PIL import Image

    return np.asarray(Image.open(buffer).convert("RGB"))


def _rotate(degrees: float) -> Callable[[np.ndarray], np.ndarray]:
    from PIL import Image

    return lambda rgb: np.asarray(_pil(rgb).rotate(degrees, resample=Image.BILINEAR, fillcolor=(128, 128, 128)))


def _scale(factor: float) -> Callable[[np.ndarray], np.ndarray]:
    from PIL import Image

    def scale(rgb: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        return np.asarray(_pil(rgb).resize((round(width * factor), round(height * factor)), Image.BILINEAR))

    return scale


def _brightness(factor: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda rgb: np.clip(rgb.astype(np.float32) * factor, 0, 255).astype(np.uint8)


VARIANTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "flip": lambda rgb: np.ascontiguousarray(rgb[:, ::-1]),
    "rotate+7": _rotate(7),
    "rotate-7": _rotate(-7),
    "brighter": _brightness(1.35),
    "darker": _brightness(0.6),
    "scale0.75": _scale(0.75),
    "scale1.3": _scale(1.3),
    "jpeg30": lambda rgb: _jpeg(rgb, 30),
}


def variants(rgb: np.ndarray) -> dict[str, np.ndarray]:
    """The photo transformed as a door camera may see the same person."""
    return {name: transform(rgb) for name, transform in VARIANTS.items()}


def frame_640x480(rgb: np.ndarray, *, offset: int = 0) -> np.ndarray:
    """The photo scaled to 480 rows and placed on a grey 640x480 frame (``offset`` shifts it sideways)."""
    from PIL import Image

    height, width = rgb.shape[:2]
    new_width = min(640, round(width * 480 / height))
    resized = np.asarray(_pil(rgb).resize((new_width, 480), Image.BILINEAR))
    frame = np.full((480, 640, 3), 110, np.uint8)
    left = max(0, min(640 - new_width, (640 - new_width) // 2 + offset))
    frame[:, left:left + new_width] = resized
    return frame


def jpeg_bytes(rgb: np.ndarray, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    _pil(rgb).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
