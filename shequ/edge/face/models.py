"""Where the dlib model files are.

They ship inside the ``face_recognition_models`` package. Importing that package
needs ``pkg_resources`` (gone from current setuptools), so the files are found by
path from the package's import spec without importing it. Nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

LANDMARKS_5 = "shape_predictor_5_face_landmarks.dat"
RESNET = "dlib_face_recognition_resnet_model_v1.dat"


class ModelsMissing(RuntimeError):
    """The model files are not installed (``pip install face_recognition_models``)."""


@dataclass(frozen=True)
class ModelPaths:
    landmarks: Path
    resnet: Path


def model_paths(directory: Path | None = None) -> ModelPaths:
    """The 5-point landmark and ResNet files, from ``directory`` or the installed package."""
    directory = directory or _package_models_dir()
    paths = ModelPaths(landmarks=directory / LANDMARKS_5, resnet=directory / RESNET)
    for path in (paths.landmarks, paths.resnet):
        if not path.is_file():
            raise ModelsMissing(f"face model file not found: {path}")
    return paths


def _package_models_dir() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelsMissing("face_recognition_models is not installed (pip install face_recognition_models)")
    return Path(next(iter(spec.submodule_search_locations))) / "models"
