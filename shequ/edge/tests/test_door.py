"""A door: decisions drive the relay and the outbox; the contact raises forced and held-open alarms."""

from __future__ import annotations

import numpy as np
import pytest

from shequ.access import protocol
from shequ.edge.door import Door
from shequ.edge.face.pipeline import Face, FaceResult
from shequ.edge.face.liveness import LivenessVerdict
from shequ.edge.relay import SimulatedRelay
from shequ.edge.tests import helpers as h
from shequ.edge.tests.conftest import ALICE


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def door(synced, clock):
    return Door(synced, SimulatedRelay(), secret=h.SECRET, direction="in", unlock_seconds=5, held_open_after=30,
                clock=clock)


def events(door):
    return [item.event for item in door.store.outbox_due(now=0, resend_after=0, limit=100)]


def test_it_opens_and_records_a_pass(door):
    door.present("card", h.CARD)
    assert [seconds for _, seconds in door.relay.commands] == [5]
    [event] = events(door)
    assert (event["kind"], event["person_id"], event["credential_kind"], event["direction"]) == ("pass", ALICE, "card", "in")


def test_it_keeps_the_lock_shut_and_records_a_refusal(door):
    door.present("card", "DEADBEEF")
    assert door.relay.commands == []
    assert [(e["kind"], e["reason"]) for e in events(door)] == [("refused", "unknown")]


def test_it_records_an_unknown_vehicle_as_held_for_the_guard(door):
    door.present("plate", "陕B99999")
    assert door.relay.commands == []
    assert [(e["kind"], e["plate"]) for e in events(door)] == [("plate", "陕B99999")]


def test_it_tells_the_client_about_every_event(synced, clock):
    calls = []
    door = Door(synced, SimulatedRelay(), secret=h.SECRET, on_event=lambda: calls.append(1), clock=clock)
    door.present("card", h.CARD)
    door.present("pin", "000000")
    assert len(calls) == 2


def test_it_opens_on_a_remote_command_and_records_its_id(door):
    door.remote_unlock("cmd-77", 3)
    assert [seconds for _, seconds in door.relay.commands] == [3]
    assert [(e["kind"], e["reason"]) for e in events(door)] == [("remote_unlock", "cmd-77")]


def test_it_raises_forced_entry_when_the_door_opens_without_a_decision(door):
    door.door_contact(True)
    assert [(e["kind"], e["reason"]) for e in events(door)] == [("forced", "no_decision")]


def test_it_raises_no_alarm_when_the_door_opens_after_a_pass(door, clock):
    door.present("card", h.CARD)
    clock.now += 3
    door.door_contact(True)
    clock.now += 4
    door.door_contact(False)
    door.tick()
    assert [e["kind"] for e in events(door)] == ["pass"]


def test_it_raises_forced_entry_when_the_door_opens_after_the_lock_closed_again(door, clock):
    door.present("card", h.CARD)
    clock.now += 5 + 2 + 1  # unlock time, grace, and a second more
    door.door_contact(True)
    assert [e["kind"] for e in events(door)] == ["pass", "forced"]


def test_it_raises_forced_entry_after_a_refusal(door):
    door.present("card", "DEADBEEF")
    door.door_contact(True)
    assert [e["kind"] for e in events(door)] == ["refused", "forced"]


def test_it_raises_held_open_once_when_the_door_stays_open(door, clock):
    door.present("card", h.CARD)
    door.door_contact(True)
    clock.now += 29
    door.tick()
    assert [e["kind"] for e in events(door)] == ["pass"]
    clock.now += 1
    door.tick()
    clock.now += 60
    door.tick()
    assert [e["kind"] for e in events(door)] == ["pass", "held_open"]


def test_it_raises_held_open_again_for_the_next_opening(door, clock):
    door.present("card", h.CARD)
    door.door_contact(True)
    clock.now += 31
    door.tick()
    door.door_contact(False)
    door.remote_unlock("c-2", 5)
    door.door_contact(True)
    clock.now += 31
    door.tick()
    assert [e["kind"] for e in events(door)] == ["pass", "held_open", "remote_unlock", "held_open"]


def test_it_ignores_a_repeated_contact_report(door, clock):
    door.door_contact(True)
    door.door_contact(True)
    assert [e["kind"] for e in events(door)] == ["forced"]


# ---- faces, from the embedding on (the pipeline itself is in test_face.py)


def _face_door(synced, clock):
    vectors = h.random_unit_vectors(2, seed=3)
    synced.sync_apply(protocol.sync_parse(h.delta(11, 10, upserts={"faces": [h.face(1, ALICE, vectors[0])]})),
                      secret=h.SECRET)
    door = Door(synced, SimulatedRelay(), secret=h.SECRET, clock=clock)
    return door, vectors


def test_it_opens_for_an_enrolled_face(synced, clock):
    door, vectors = _face_door(synced, clock)
    outcome = door.face_decision(FaceResult(Face((0, 0, 1, 1), 1.0, vectors[0]), LivenessVerdict(True)))
    assert (outcome.decision.allow, outcome.decision.person_id) == (True, ALICE)
    assert set(outcome.timings) >= {"search", "decide", "relay", "record"}


def test_it_refuses_a_face_the_liveness_check_rejects(synced, clock):
    door, vectors = _face_door(synced, clock)
    outcome = door.face_decision(FaceResult(Face((0, 0, 1, 1), 1.0, vectors[0]), LivenessVerdict(False, reason="photo")))
    assert (outcome.decision.allow, outcome.decision.reason, outcome.decision.person_id) == (False, "photo", ALICE)
    assert door.relay.commands == []


def test_it_records_nothing_when_no_face_is_in_the_frame(synced, clock):
    door, _ = _face_door(synced, clock)
    assert door.face_decision(FaceResult(None)).decision.reason == "no_face"
    assert events(door) == []


def test_it_sees_new_faces_after_the_gallery_is_reloaded(synced, clock):
    door, vectors = _face_door(synced, clock)
    synced.sync_apply(protocol.sync_parse(h.delta(12, 11, deletes={"faces": [1]})), secret=h.SECRET)
    door.reload_gallery()
    assert door.face_decision(FaceResult(Face((0, 0, 1, 1), 1.0, vectors[0]))).decision.reason == "no_match"
    assert np.asarray(door.gallery.template_ids).tolist() == []
