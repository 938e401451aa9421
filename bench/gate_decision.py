"""Gate decision on the door's CPU (``shequ edge``): from a 640x480 camera frame to the relay command.

    python bench/gate_decision.py [--people 12000] [--frames 300]

What runs is the edge itself: ``Door.present_face`` hands the JPEG frame to a
worker of the two-process ``EmbeddingPool`` (decode, detect, 5-point landmarks,
ResNet embedding), then searches the local gallery, decides against the SQLite
store and commands the (simulated) relay. The latency ends at the relay command;
the outbox write that follows it is reported apart.

Baseline, same run, same frames: the same pipeline as bare library calls in one
process (PIL decode, dlib detector/shape predictor/descriptor, one numpy product
and a threshold), no pool, no store, no events. Runs alternate in blocks so load
from elsewhere on the machine hits both alike.

Gallery: the two people of the sample photos (scikit-image's astronaut,
matplotlib's Grace Hopper) with real templates, and synthetic templates for the
rest, drawn around the mean face at the impostor distances measured for
docs/edge.md (median ~0.54, none nearer than 0.42), so the search does its full
work and every frame is a real pass. Frames: each sample photo and its variants
(flip, rotation, light, scale, JPEG) placed on a 640x480 frame.

Also: 1:N search alone over 100,000 templates (``Gallery.search``, exact) against
a bare matrix-vector product and argmax.

Targets (issue 4): p95 <= 120 ms frame to relay at 12,000 people; search p95 <= 2 ms
at 100,000 templates. Exit status 0 only when both are met.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from benchkit import percentile  # noqa: E402

from shequ.access import protocol  # noqa: E402
from shequ.edge.decide import FACE_MARGIN, FACE_THRESHOLD  # noqa: E402
from shequ.edge.door import Door  # noqa: E402
from shequ.edge.face import samples  # noqa: E402
from shequ.edge.face.gallery import Gallery  # noqa: E402
from shequ.edge.face.models import model_paths  # noqa: E402
from shequ.edge.face.pipeline import FacePipeline  # noqa: E402
from shequ.edge.face.pool import EmbeddingPool  # noqa: E402
from shequ.edge.relay import SimulatedRelay  # noqa: E402
from shequ.edge.store import EdgeStore  # noqa: E402

SECRET = "bench-gate-secret"
STAGES = ["decode", "detect", "landmarks", "embed", "liveness", "search", "decide", "relay"]
IMPOSTOR_MEDIAN, IMPOSTOR_MIN = 0.54, 0.42  # measured, docs/edge.md


def sample_frames(pipeline: FacePipeline) -> tuple[list[tuple[int, bytes]], dict[int, np.ndarray]]:
    """(person, JPEG) frames of both sample people and their variants; and each person's enrolled template."""
    frames, templates = [], {}
    for person, rgb in ((1, samples.astronaut()), (2, samples.grace_hopper())):
        templates[person] = pipeline.process(rgb).face.vector
        for view in [rgb, *samples.variants(rgb).values()]:
            frames.append((person, samples.jpeg_bytes(samples.frame_640x480(np.asarray(view)), quality=85)))
    return frames, templates


def synthetic_templates(count: int, real: list[np.ndarray], seed: int = 7) -> np.ndarray:
    """Unit vectors around the mean face, at the measured impostor distances from the real people."""
    rng = np.random.default_rng(seed)
    mean = np.mean(real, axis=0)
    mean /= np.linalg.norm(mean)
    real_matrix = np.stack(real)

    def draw(sigma: float, n: int) -> np.ndarray:
        vectors = mean + sigma * rng.standard_normal((n, 128)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    low, high = 0.001, 1.0  # find the spread whose median distance to the real people is the measured one
    for _ in range(30):
        sigma = (low + high) / 2
        median = float(np.median(np.sqrt(np.maximum(0, 2 - 2 * draw(sigma, 2000) @ real_matrix.T))))
        low, high = (sigma, high) if median < IMPOSTOR_MEDIAN else (low, sigma)
    kept = []
    while sum(len(k) for k in kept) < count:
        batch = draw(sigma, count)
        nearest = np.sqrt(np.maximum(0, 2 - 2 * (batch @ real_matrix.T).max(axis=1)))
        kept.append(batch[nearest >= IMPOSTOR_MIN])
    return np.concatenate(kept)[:count].astype(np.float32)


def build_store(path: Path, people: int, templates: dict[int, np.ndarray]) -> tuple[EdgeStore, float]:
    """A door's store as the platform would sync it: every person with a grant, a card and a face."""
    synthetic = synthetic_templates(people - len(templates), list(templates.values()))
    vectors = [*templates.values(), *synthetic]
    ids = list(range(1, people + 1))
    key = os.urandom(32)
    body = {
        "version": 1, "base": 0, "full": True,
        "credential_key": protocol.seal(SECRET, protocol.CREDENTIAL_KEY_PURPOSE, key),
        "upserts": {
            "people": [{"person_id": pid, "grants": [{}]} for pid in ids],
            "credentials": [{"credential_id": pid, "person_id": pid, "kind": "card",
                             "digest": protocol.credential_digest(key, "card", f"{pid:08X}")} for pid in ids],
            "faces": [{"template_id": pid, "person_id": pid,
                       "sealed": protocol.seal(SECRET, protocol.face_purpose(pid), v.astype("<f4").tobytes())}
                      for pid, v in zip(ids, vectors)],
        },
    }
    store = EdgeStore(path)
    started = time.perf_counter()
    store.sync_apply(protocol.sync_parse(body), secret=SECRET)
    return store, time.perf_counter() - started


class Bare:
    """The same pipeline as bare library calls, in this process."""

    def __init__(self, gallery: Gallery) -> None:
        import dlib

        paths = model_paths()
        self.detector = dlib.get_frontal_face_detector()
        self.shape = dlib.shape_predictor(str(paths.landmarks))
        self.resnet = dlib.face_recognition_model_v1(str(paths.resnet))
        self.rectangle = dlib.rectangle
        self.matrix = gallery.vectors
        self.relay_calls: list[float] = []

    def run(self, jpeg: bytes) -> float:
        """Seconds from the frame to the relay call."""
        import io

        from PIL import Image

        started = time.monotonic()
        with Image.open(io.BytesIO(jpeg)) as image:
            colour = image.convert("RGB")
            rgb, grey = np.asarray(colour), np.asarray(colour.convert("L"))
        rects = self.detector(np.ascontiguousarray(grey[::2, ::2]), 0)  # the same coarse-first detection
        if len(rects):
            r = max(rects, key=lambda x: x.area())
            rect = self.rectangle(r.left() * 2, r.top() * 2, r.right() * 2 + 1, r.bottom() * 2 + 1)
        else:
            rect = max(self.detector(grey, 0), key=lambda x: x.area())
        vector = np.array(self.resnet.compute_face_descriptor(rgb, self.shape(rgb, rect)), dtype=np.float32)
        vector /= np.linalg.norm(vector)
        similarities = self.matrix @ vector
        top = np.argpartition(similarities, len(similarities) - 2)[-2:]
        best, second = sorted(similarities[top], reverse=True)
        distance, runner_up = np.sqrt(max(0, 2 - 2 * best)), np.sqrt(max(0, 2 - 2 * second))
        if distance <= FACE_THRESHOLD and runner_up - distance >= FACE_MARGIN:
            self.relay_calls.append(time.monotonic())
            return self.relay_calls[-1] - started
        raise AssertionError("the bare pipeline refused a frame the edge should pass")


async def edge_run(door: Door, jpeg: bytes, person: int) -> tuple[float, dict[str, float]]:
    started = time.monotonic()
    commands = len(door.relay.commands)
    outcome = await door.present_face(jpeg)
    if not outcome.decision.allow or outcome.decision.person_id != person:
        raise AssertionError(f"frame of person {person} decided {outcome.decision}")
    assert len(door.relay.commands) == commands + 1
    return door.relay.commands[-1][0] - started, outcome.timings


async def measure(door: Door, bare: Bare, frames, count: int, warmup: int, block: int):
    edge_ms, bare_ms, stages = [], [], {stage: [] for stage in [*STAGES, "record", "transfer"]}
    by_person: dict[int, list[float]] = {}
    for index in range(warmup):
        person, jpeg = frames[index % len(frames)]
        await edge_run(door, jpeg, person)
        bare.run(jpeg)
    done = 0
    while done < count:
        chunk = [frames[(done + i) % len(frames)] for i in range(min(block, count - done))]
        for person, jpeg in chunk:
            latency, timings = await edge_run(door, jpeg, person)
            edge_ms.append(latency * 1000)
            by_person.setdefault(person, []).append(latency * 1000)
            for stage in STAGES + ["record"]:
                stages[stage].append(timings.get(stage, 0.0) * 1000)
            stages["transfer"].append(latency * 1000 - sum(timings.get(s, 0.0) * 1000 for s in STAGES))
        for person, jpeg in chunk:
            bare_ms.append(bare.run(jpeg) * 1000)
        done += len(chunk)
    return edge_ms, bare_ms, stages, by_person


async def throughput(door: Door, frames, count: int) -> float:
    """Frames per second with two frames always in flight (both workers busy)."""
    queue = list(frames) * (count // len(frames) + 1)
    queue = queue[:count]
    started = time.perf_counter()

    async def lane(items):
        for person, jpeg in items:
            outcome = await door.present_face(jpeg)
            assert outcome.decision.allow and outcome.decision.person_id == person

    await asyncio.gather(lane(queue[0::2]), lane(queue[1::2]))
    return count / (time.perf_counter() - started)


def search_bench(templates: int, queries: int) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(11)
    vectors = rng.standard_normal((templates, 128)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    persons = np.arange(templates) // 2
    gallery = Gallery(np.arange(templates), persons, vectors)
    probes = vectors[rng.integers(0, templates, queries)] + 0.05 * rng.standard_normal((queries, 128)).astype(np.float32)
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    for probe in probes[:20]:
        gallery.search(probe)
    path, bare = [], []
    for probe in probes:
        started = time.perf_counter()
        gallery.search(probe)
        path.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        int(np.argmax(vectors @ probe))
        bare.append((time.perf_counter() - started) * 1000)
    return path, bare


def line(label: str, values: list[float], bare: list[float] | None = None) -> str:
    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    text = f"{label:<38} n={len(values):<5} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms  max {max(values):8.2f} ms"
    if bare:
        b50, b95 = percentile(bare, 0.5), percentile(bare, 0.95)
        text += f" | bare p50 {b50:7.2f} p95 {b95:7.2f} | ratio p50 {p50 / b50:4.2f}x p95 {p95 / b95:4.2f}x"
    return text


async def main_async(args: argparse.Namespace) -> int:
    print(f"cores {os.cpu_count()}, load {os.getloadavg()[0]:.2f}; gallery {args.people:,} people; "
          f"threshold {FACE_THRESHOLD} margin {FACE_MARGIN}", flush=True)
    pipeline = FacePipeline()
    frames, templates = sample_frames(pipeline)
    with tempfile.TemporaryDirectory() as tmp:
        store, sync_seconds = build_store(Path(tmp) / "edge.sqlite3", args.people, templates)
        print(f"full snapshot of {args.people:,} people (card + sealed face each) applied in {sync_seconds:.2f} s; "
              f"SQLite file {(Path(tmp) / 'edge.sqlite3').stat().st_size / 1e6:.1f} MB", flush=True)
        with EmbeddingPool(2) as pool:
            pool.warm_up()
            door = Door(store, SimulatedRelay(), secret=SECRET, faces=pool)
            started = time.perf_counter()
            door.reload_gallery()
            print(f"gallery loaded from SQLite in {(time.perf_counter() - started) * 1000:.0f} ms", flush=True)
            bare = Bare(door.gallery)
            edge_ms, bare_ms, stages, by_person = await measure(door, bare, frames, args.frames, args.warmup,
                                                                args.block)
            rate = await throughput(door, frames, args.throughput_frames)
        store.close()

    print()
    print(line("frame -> relay, shequ edge", edge_ms, bare_ms))
    for person, label in ((1, "  astronaut frames (face ~88 px)"), (2, "  Grace Hopper frames (face ~150 px)")):
        print(line(label, by_person[person]))
    total = statistics.fmean(edge_ms)
    print(f"stage shares (mean {total:.1f} ms; 'transfer' = to and from the worker process):")
    for stage in [*STAGES, "transfer"]:
        mean = statistics.fmean(stages[stage])
        print(f"  {stage:<10} {mean:7.2f} ms  {100 * mean / total:5.1f} %")
    print(f"  (after the relay command: outbox write {statistics.fmean(stages['record']):.2f} ms mean, "
          f"p95 {percentile(stages['record'], 0.95):.2f} ms)")
    print(f"throughput with two frames in flight: {rate:.1f} frames/s")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (above ~1 other processes competed for the 2 cores)")
    search_ms, search_bare = search_bench(args.search_templates, args.search_queries)
    print(line(f"1:N search, {args.search_templates:,} templates", search_ms, search_bare))

    gate_ok = percentile(edge_ms, 0.95) <= args.target_ms
    search_ok = percentile(search_ms, 0.95) <= args.search_target_ms
    print()
    print(f"gate decision p95 {percentile(edge_ms, 0.95):.1f} ms (target <= {args.target_ms:.0f}): "
          f"{'PASS' if gate_ok else 'FAIL'}")
    print(f"search p95 {percentile(search_ms, 0.95):.2f} ms (target <= {args.search_target_ms:.0f}): "
          f"{'PASS' if search_ok else 'FAIL'}")
    return 0 if gate_ok and search_ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=12_000, help="people in the door's gallery (default %(default)s)")
    parser.add_argument("--frames", type=int, default=300, help="timed frames (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--block", type=int, default=20, help="frames per alternating edge/bare block")
    parser.add_argument("--throughput-frames", type=int, default=60)
    parser.add_argument("--search-templates", type=int, default=100_000)
    parser.add_argument("--search-queries", type=int, default=1000)
    parser.add_argument("--target-ms", type=float, default=120.0)
    parser.add_argument("--search-target-ms", type=float, default=2.0)
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
