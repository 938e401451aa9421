"""Measure false-accept and false-reject rates of the face pipeline on labelled
photos, to choose the door's match threshold (docs/edge.md has the figures).

    python -m shequ.edge.face.calibrate [--photos DIR ...] [--json OUT]

Identities: the package sample photos (astronaut, Grace Hopper), every face found
in the image files under each ``--photos`` directory (each face is a different
person unless a subdirectory groups files of one person), and scikit-image's
100 low-resolution LFW faces. Each high-resolution face is seen through the
variants of :mod:`.samples` (flip, rotation, light, scale, JPEG). Genuine pairs:
two views of one identity; impostor pairs: views of two identities.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shequ.edge.face import samples
from shequ.edge.face.gallery import distance_from_similarity
from shequ.edge.face.pipeline import FacePipeline, grey

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
THRESHOLDS = [round(0.30 + 0.02 * i, 2) for i in range(21)]


@dataclass
class Identity:
    name: str
    #: dlib's raw descriptors (not unit length); both distance scales are derived from them
    vectors: list[np.ndarray]
    low_resolution: bool = False


def crop_faces(pipeline: FacePipeline, rgb: np.ndarray) -> list[np.ndarray]:
    """Each face of a photo with a generous margin, upscaled so the face is ~150 px."""
    from PIL import Image

    import dlib

    crops = []
    rects, _scores, _ = dlib.get_frontal_face_detector().run(rgb, 1, 0.0)
    for rect in rects:
        # half a face of margin: enough for rotation and scale variants, little room for a neighbour
        side = rect.width()
        margin = side // 2
        left, top = max(0, rect.left() - margin), max(0, rect.top() - margin)
        right, bottom = min(rgb.shape[1], rect.right() + margin), min(rgb.shape[0], rect.bottom() + margin)
        crop = Image.fromarray(rgb[top:bottom, left:right])
        factor = max(1.0, 150 / side)
        crop = crop.resize((round(crop.width * factor), round(crop.height * factor)), Image.BICUBIC)
        crops.append(np.asarray(crop))
    return crops


def views(pipeline: FacePipeline, rgb: np.ndarray) -> list[np.ndarray]:
    """Templates of the photo and of each variant in which a face is found."""
    found = []
    for image in [rgb, *samples.variants(rgb).values()]:
        image = np.ascontiguousarray(image)
        detected = pipeline.detect(grey(image))
        if detected is not None:
            found.append(pipeline.embed_raw(image, pipeline.landmarks(image, detected[0])))
    return found


def lfw_identities(pipeline: FacePipeline) -> list[Identity]:
    """scikit-image's LFW faces: 25x25 grey, far below a door camera's quality;
    upscaled and embedded as chips. Low-resolution faces look alike to the
    network, so they give pessimistic (closer) impostor distances."""
    from PIL import Image

    faces = np.load(samples.lfw_subset_path())[:100]
    identities = []
    for index, face in enumerate(faces):
        grey = Image.fromarray((face * 255).astype(np.uint8)).resize((150, 150), Image.BICUBIC)
        chip = np.asarray(grey.convert("RGB"))
        identities.append(Identity(f"lfw-{index}", [pipeline.embed_chip_raw(chip)], low_resolution=True))
    return identities


def collect(pipeline: FacePipeline, photo_dirs: list[Path], *, lfw: bool = True) -> list[Identity]:
    identities = [Identity("astronaut", views(pipeline, samples.astronaut())),
                  Identity("grace_hopper", views(pipeline, samples.grace_hopper()))]
    for directory in photo_dirs:
        for path in sorted(p for p in directory.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
            grouped = path.parent != directory
            for number, crop in enumerate(crop_faces(pipeline, samples.load(path))):
                name = path.parent.name if grouped else f"{path.stem}#{number}"
                vectors = views(pipeline, crop)
                existing = next((i for i in identities if i.name == name), None)
                if existing:
                    existing.vectors.extend(vectors)
                elif vectors:
                    identities.append(Identity(name, vectors))
    if lfw:
        identities.extend(lfw_identities(pipeline))
    return identities


def _distance(a: np.ndarray, b: np.ndarray, raw: bool) -> float:
    if raw:
        return float(np.linalg.norm(a - b))
    return distance_from_similarity(float(a @ b) / float(np.linalg.norm(a) * np.linalg.norm(b)))


def distances(identities: list[Identity], *, raw: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and impostor distances: unit-vector scale (the door's), or dlib's raw scale."""
    genuine, impostor = [], []
    for identity in identities:
        for a, b in itertools.combinations(identity.vectors, 2):
            genuine.append(_distance(a, b, raw))
    for first, second in itertools.combinations(identities, 2):
        for a in first.vectors:
            for b in second.vectors:
                impostor.append(_distance(a, b, raw))
    return np.array(genuine), np.array(impostor)


def closest_impostors(identities: list[Identity], count: int = 5) -> list[tuple[float, str, str]]:
    pairs = []
    for first, second in itertools.combinations(identities, 2):
        nearest = min(_distance(a, b, False) for a in first.vectors for b in second.vectors)
        pairs.append((round(nearest, 3), first.name, second.name))
    return sorted(pairs)[:count]


def report(identities: list[Identity]) -> dict:
    genuine, impostor = distances(identities)
    high = [i for i in identities if not i.low_resolution]
    _, impostor_high = distances(high)
    _, impostor_high_raw = distances(high, raw=True)
    norms = np.array([np.linalg.norm(v) for i in identities for v in i.vectors])
    table = [{"threshold": t, "far": float((impostor <= t).mean()), "far_high_res": float((impostor_high <= t).mean()),
              "frr": float((genuine > t).mean())} for t in THRESHOLDS]
    return {
        "identities": len(identities), "high_resolution_identities": len(high),
        "genuine_pairs": len(genuine), "impostor_pairs": len(impostor), "impostor_pairs_high_res": len(impostor_high),
        "genuine": _summary(genuine), "impostor": _summary(impostor), "impostor_high_res": _summary(impostor_high),
        "impostor_high_res_raw": _summary(impostor_high_raw), "descriptor_norm": _summary(norms),
        "closest_impostors": closest_impostors(high), "table": table,
    }


def _summary(values: np.ndarray) -> dict:
    if not len(values):
        return {}
    return {"min": float(values.min()), "p01": float(np.percentile(values, 1)), "median": float(np.median(values)),
            "max": float(values.max())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, action="append", default=[], help="directory of extra face photos")
    parser.add_argument("--no-lfw", action="store_true", help="leave out scikit-image's low-resolution LFW faces")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    pipeline = FacePipeline(coarse_first=False)
    identities = collect(pipeline, args.photos, lfw=not args.no_lfw)
    figures = report(identities)
    print(f"identities {figures['identities']} ({figures['high_resolution_identities']} high resolution), "
          f"genuine pairs {figures['genuine_pairs']}, impostor pairs {figures['impostor_pairs']}")
    for key in ("genuine", "impostor", "impostor_high_res", "impostor_high_res_raw", "descriptor_norm"):
        print(f"{key:18} " + "  ".join(f"{k} {v:.3f}" for k, v in figures[key].items()))
    print("closest high-resolution impostors:", figures["closest_impostors"])
    print("threshold  FAR(all)   FAR(high-res)  FRR")
    for row in figures["table"]:
        print(f"  {row['threshold']:.2f}     {row['far']:.5f}    {row['far_high_res']:.5f}        {row['frr']:.4f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
