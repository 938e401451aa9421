"""Decisions from the local store alone: credentials, plates, grants, validity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shequ.access import protocol
from shequ.edge.decide import FacePolicy, decide_credential, decide_face, decide_plate
from shequ.edge.face.gallery import Match
from shequ.edge.tests import helpers as h
from shequ.edge.tests.conftest import ALICE, BOB, CAROL

MONDAY_NOON = datetime(2025, 3, 3, 4, 0, tzinfo=UTC)  # 12:00 in Xi'an
MONDAY_NIGHT = datetime(2025, 3, 3, 14, 0, tzinfo=UTC)  # 22:00 in Xi'an


def card(store, number=h.CARD, now=MONDAY_NOON):
    return decide_credential(store, "card", number, key=h.CREDENTIAL_KEY, now=now)


def apply(store, body):
    store.sync_apply(protocol.sync_parse(body), secret=h.SECRET)


@pytest.mark.parametrize(("kind", "value"), [("card", h.CARD), ("card", "04:a1:b2:c3"), ("pin", h.PIN), ("qr", h.QR)])
def test_it_lets_a_known_credential_through(synced, kind, value):
    decision = decide_credential(synced, kind, value, key=h.CREDENTIAL_KEY, now=MONDAY_NOON)
    assert (decision.allow, decision.person_id, decision.credential_kind) == (True, ALICE, kind)


def test_it_refuses_an_unknown_card(synced):
    assert card(synced, "DEADBEEF").reason == "unknown"


def test_it_refuses_a_value_it_cannot_read(synced):
    assert decide_credential(synced, "pin", "12", key=h.CREDENTIAL_KEY).reason == "bad_value"


def test_it_refuses_everything_before_the_first_snapshot(store):
    assert decide_credential(store, "card", h.CARD, key=None).reason == "no_key"


def test_it_refuses_a_card_after_the_delta_that_revokes_it(synced):
    assert card(synced, "0B0B0B0B").allow
    apply(synced, h.delta(11, 10, deletes={"credentials": [5]}))
    decision = card(synced, "0B0B0B0B")
    assert (decision.allow, decision.reason) == (False, "revoked")


def test_it_refuses_a_person_removed_from_the_door(synced):
    apply(synced, h.delta(11, 10, deletes={"people": [BOB]}))
    assert card(synced, "0B0B0B0B").reason == "no_grant"


def test_it_ends_a_card_at_its_valid_until_without_the_platform(synced):
    end = MONDAY_NOON + timedelta(hours=1)
    apply(synced, h.delta(11, 10, upserts={"credentials": [h.credential(5, BOB, "card", "0B0B0B0B", valid_until=end)]}))
    assert card(synced, "0B0B0B0B", now=end - timedelta(seconds=1)).allow
    assert card(synced, "0B0B0B0B", now=end).reason == "expired"


def test_it_does_not_open_for_a_card_before_its_valid_from(synced):
    start = MONDAY_NOON + timedelta(days=1)
    apply(synced, h.delta(11, 10, upserts={"credentials": [h.credential(5, BOB, "card", "0B0B0B0B", valid_from=start)]}))
    assert card(synced, "0B0B0B0B").reason == "not_yet_valid"


def test_it_ends_a_tenants_access_when_the_lease_ends(synced):
    lease_end = MONDAY_NOON + timedelta(days=2)
    apply(synced, h.delta(11, 10, upserts={"people": [h.person(BOB, h.grant(valid_until=lease_end))]}))
    assert card(synced, "0B0B0B0B", now=lease_end - timedelta(minutes=1)).allow
    assert card(synced, "0B0B0B0B", now=lease_end).reason == "expired"


def test_it_keeps_staff_to_their_hours(synced):
    assert card(synced, "0C0C0C0C", now=MONDAY_NOON).allow
    assert card(synced, "0C0C0C0C", now=MONDAY_NIGHT).reason == "out_of_window"


def test_it_lets_a_person_through_when_any_grant_holds(synced):
    apply(synced, h.delta(11, 10, upserts={"people": [h.person(CAROL, h.grant(windows=[
        {"days": "12345", "start": "07:00", "end": "19:00"}]), h.grant(windows=[
        {"days": "1", "start": "21:00", "end": "24:00"}]))]}))
    assert card(synced, "0C0C0C0C", now=MONDAY_NIGHT).allow


@pytest.mark.parametrize("text", ["陕A12345", "陕a 12345", "陕A·12345"])
def test_it_lets_a_registered_plate_through_however_the_camera_spaces_it(synced, text):
    decision = decide_plate(synced, text, now=MONDAY_NOON)
    assert (decision.allow, decision.person_id, decision.plate) == (True, ALICE, "陕A12345")


def test_it_holds_an_unknown_plate(synced):
    decision = decide_plate(synced, "陕B99999", now=MONDAY_NOON)
    assert (decision.allow, decision.reason, decision.plate) == (False, "unknown", "陕B99999")


# ---- faces (the gallery's match, decided against the store)


@pytest.fixture
def faces(synced):
    vectors = h.random_unit_vectors(2)
    apply(synced, h.delta(11, 10, upserts={"faces": [h.face(1, ALICE, vectors[0]),
                                                     h.face(2, BOB, vectors[1], valid_until=MONDAY_NOON)]}))
    return synced


def test_it_opens_for_a_close_face_with_a_clear_margin(faces):
    decision = decide_face(faces, Match(1, ALICE, 0.20, 0.50), now=MONDAY_NOON)
    assert (decision.allow, decision.person_id) == (True, ALICE)


def test_it_refuses_a_face_beyond_the_threshold(faces):
    assert decide_face(faces, Match(1, ALICE, 0.35, 0.60), policy=FacePolicy(0.34, 0.06)).reason == "no_match"


def test_it_refuses_a_face_too_close_to_someone_else(faces):
    assert decide_face(faces, Match(1, ALICE, 0.20, 0.25), policy=FacePolicy(0.34, 0.06)).reason == "margin"


def test_it_refuses_an_expired_face_template(faces):
    assert decide_face(faces, Match(2, BOB, 0.1, 0.9), now=MONDAY_NOON).reason == "expired"


def test_it_refuses_a_face_deleted_since_the_gallery_was_built(faces):
    apply(faces, h.delta(12, 11, deletes={"faces": [1]}))
    assert decide_face(faces, Match(1, ALICE, 0.1, 0.9)).reason == "unknown"


def test_it_refuses_when_nobody_is_enrolled(synced):
    assert decide_face(synced, None).reason == "no_match"
