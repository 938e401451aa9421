"""Face recognition on real photos that ship in packages (scikit-image's astronaut,
matplotlib's Grace Hopper) and transformed views of them: the same person
matches, different people do not."""

from __future__ import annotations

import asyncio
import subprocess
import time
import sys

import numpy as np
import pytest

from shequ.access import protocol
from shequ.edge.decide import FacePolicy, decide_face
from shequ.edge.door import Door
from shequ.edge.face import samples
from shequ.edge.face.gallery import Gallery, distance_from_similarity
from shequ.edge.face.models import ModelsMissing, model_paths
from shequ.edge.face.pipeline import FacePipeline
from shequ.edge.relay import SimulatedRelay
from shequ.edge.tests import helpers as h

ASTRONAUT, HOPPER = 201, 202


@pytest.fixture(scope="module")
def pipeline():
    return FacePipeline()


@pytest.fixture(scope="module")
def photos():
    return {ASTRONAUT: samples.astronaut(), HOPPER: samples.grace_hopper()}


@pytest.fixture(scope="module")
def enrolled(pipeline, photos):
    """One template per person, from the original photo."""
    return {person: pipeline.process(rgb).face.vector for person, rgb in photos.items()}


@pytest.fixture
def face_store(store, enrolled):
    store.sync_apply(protocol.sync_parse(h.full(1, people=[h.person(ASTRONAUT), h.person(HOPPER)], faces=[
        h.face(1, ASTRONAUT, enrolled[ASTRONAUT]), h.face(2, HOPPER, enrolled[HOPPER])])), secret=h.SECRET)
    return store


def views():
    return ["original", *samples.VARIANTS]


def view(photos, person: int, name: str) -> np.ndarray:
    rgb = photos[person]
    return rgb if name == "original" else samples.VARIANTS[name](rgb)


def test_it_finds_the_model_files_by_path_without_importing_their_package():
    code = ("import sys; from shequ.edge.face.models import model_paths; p = model_paths(); "
            "sys.exit(0 if p.resnet.is_file() and 'face_recognition_models' not in sys.modules else 1)")
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_it_says_which_model_file_is_missing(tmp_path):
    with pytest.raises(ModelsMissing, match="shape_predictor_5"):
        model_paths(tmp_path)


@pytest.mark.parametrize("person", [ASTRONAUT, HOPPER])
@pytest.mark.parametrize("name", views())
def test_it_recognises_the_same_person_in_a_changed_view(pipeline, photos, face_store, person, name):
    face = pipeline.process(np.ascontiguousarray(view(photos, person, name))).face
    decision = decide_face(face_store, face_store.gallery().search(face.vector))
    assert (decision.allow, decision.person_id) == (True, person)


@pytest.mark.parametrize(("enrolled_person", "visitor"), [(ASTRONAUT, HOPPER), (HOPPER, ASTRONAUT)])
@pytest.mark.parametrize("name", views())
def test_it_does_not_let_another_person_in(pipeline, photos, enrolled, store, enrolled_person, visitor, name):
    store.sync_apply(protocol.sync_parse(h.full(1, people=[h.person(enrolled_person)], faces=[
        h.face(1, enrolled_person, enrolled[enrolled_person])])), secret=h.SECRET)
    face = pipeline.process(np.ascontiguousarray(view(photos, visitor, name))).face
    match = store.gallery().search(face.vector)
    assert match.distance > FacePolicy().threshold
    assert decide_face(store, match).reason == "no_match"


def test_it_measures_the_two_sample_people_far_apart(enrolled):
    # the nearest pair of different people measured for docs/edge.md is 0.41 apart
    assert distance_from_similarity(float(enrolled[ASTRONAUT] @ enrolled[HOPPER])) > 0.40


def test_it_refuses_a_face_that_two_people_are_both_close_to(pipeline, photos, enrolled, store):
    # two people enrolled with the same face (twins, or a mix-up at enrolment): no clear winner, no entry
    store.sync_apply(protocol.sync_parse(h.full(1, people=[h.person(ASTRONAUT), h.person(999)], faces=[
        h.face(1, ASTRONAUT, enrolled[ASTRONAUT]), h.face(2, 999, enrolled[ASTRONAUT])])), secret=h.SECRET)
    face = pipeline.process(samples.VARIANTS["flip"](photos[ASTRONAUT])).face
    assert decide_face(store, store.gallery().search(face.vector)).reason == "margin"


def test_it_finds_nobody_in_a_frame_without_a_face(pipeline):
    result = pipeline.process(np.full((480, 640, 3), 120, np.uint8))
    assert result.face is None
    assert set(result.timings) == {"decode", "detect"}


def test_it_takes_the_largest_face_and_reports_every_stage(pipeline, photos):
    frame = samples.frame_640x480(photos[HOPPER])
    result = pipeline.process(samples.jpeg_bytes(frame))
    left, top, right, bottom = result.face.box
    assert right - left > 150
    assert set(result.timings) == {"decode", "detect", "landmarks", "embed", "liveness"}
    assert result.liveness.live and result.liveness.weak


def test_it_finds_a_face_too_small_for_the_coarse_pass(pipeline, photos, enrolled):
    small = samples.frame_640x480(np.asarray(samples.VARIANTS["scale0.75"](photos[ASTRONAUT])))
    result = pipeline.process(small)
    assert result.face is not None
    assert distance_from_similarity(float(result.face.vector @ enrolled[ASTRONAUT])) < FacePolicy().threshold


# ---- the gallery: exact 1:N search


def brute_force(vectors, persons, query):
    distances = np.linalg.norm(vectors - query, axis=1)
    best = int(np.argmin(distances))
    others = distances[persons != persons[best]]
    return best, float(distances[best]), float(others.min()) if len(others) else np.inf


def test_it_searches_exactly_like_brute_force():
    vectors = h.random_unit_vectors(5000, seed=1)
    persons = np.arange(5000) // 3  # three templates per person
    gallery = Gallery(np.arange(5000) + 1, persons, vectors)
    for query in h.random_unit_vectors(50, seed=2):
        match = gallery.search(query)
        best, distance, runner_up = brute_force(vectors, persons, query)
        assert match.template_id == best + 1
        assert match.distance == pytest.approx(distance, abs=1e-5)
        assert match.runner_up == pytest.approx(runner_up, abs=1e-5)


def test_it_looks_past_many_templates_of_the_best_person_for_the_runner_up():
    vectors = h.random_unit_vectors(40, seed=4)
    vectors[:20] = vectors[0] + 0.01 * vectors[:20]  # twenty templates of one person, all alike
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    persons = np.array([7] * 20 + list(range(100, 120)))
    match = Gallery(np.arange(40), persons, vectors).search(vectors[0])
    assert match.person_id == 7
    assert match.runner_up == pytest.approx(brute_force(vectors, persons, vectors[0])[2], abs=1e-5)


def test_it_has_no_runner_up_when_the_gallery_holds_one_person():
    vectors = h.random_unit_vectors(3)
    match = Gallery([1, 2, 3], [5, 5, 5], vectors).search(vectors[1])
    assert (match.template_id, match.runner_up) == (2, np.inf)


def test_it_finds_nothing_in_an_empty_gallery():
    assert Gallery.empty().search(h.random_unit_vectors(1)[0]) is None


# ---- worker processes and the whole door


@pytest.fixture(scope="module")
def pool():
    from shequ.edge.face.pool import EmbeddingPool

    with EmbeddingPool(2) as pool:
        pool.warm_up()
        yield pool


def test_it_embeds_in_worker_processes_as_it_does_inline(pool, pipeline, photos):
    frame = samples.jpeg_bytes(samples.frame_640x480(photos[HOPPER]))
    assert np.allclose(pool.process_sync(frame).face.vector, pipeline.process(frame).face.vector, atol=1e-5)


def test_it_opens_the_door_for_an_enrolled_face_from_a_camera_frame(pool, photos, face_store):
    door = Door(face_store, SimulatedRelay(), secret=h.SECRET, faces=pool)
    frame = samples.jpeg_bytes(samples.frame_640x480(samples.VARIANTS["darker"](photos[HOPPER])))
    outcome = asyncio.run(asyncio.wait_for(door.present_face(frame), 30))
    assert (outcome.decision.allow, outcome.decision.person_id) == (True, HOPPER)
    assert len(door.relay.commands) == 1
    [event] = [item.event for item in face_store.outbox_due(now=0, resend_after=0, limit=10)]
    assert (event["kind"], event["credential_kind"], event["person_id"]) == ("pass", "face", HOPPER)


def test_it_replaces_a_face_worker_that_died(photos):
    import os
    import signal

    from shequ.edge.face.pool import EmbeddingPool

    frame = samples.jpeg_bytes(samples.frame_640x480(photos[HOPPER]))

    async def scenario(pool):
        with pytest.raises(RuntimeError, match="worker died"):
            await pool.process(frame)
        return await pool.process(frame)

    with EmbeddingPool(1) as pool:
        [pid] = pool.warm_up()
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        assert asyncio.run(asyncio.wait_for(scenario(pool), 60)).face is not None

