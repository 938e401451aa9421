"""The local SQLite store: sync versions, snapshots and deltas, the outbox."""

from __future__ import annotations

import numpy as np
import pytest

from shequ.access import protocol
from shequ.edge.store import EdgeStore
from shequ.edge.tests import helpers as h
from shequ.edge.tests.conftest import ALICE, BOB


def apply(store: EdgeStore, body: dict):
    return store.sync_apply(protocol.sync_parse(body), secret=h.SECRET)


def test_it_applies_a_full_snapshot(synced):
    assert synced.synced_version == 10
    assert synced.counts()["credentials"] == 6
    assert synced.credential_key(h.SECRET) == h.CREDENTIAL_KEY


def test_it_ignores_a_sync_that_is_not_newer(synced):
    outcome = apply(synced, h.delta(10, 9, deletes={"credentials": [1]}))
    assert outcome.status == "stale"
    assert synced.counts()["credentials"] == 6


def test_it_skips_a_delta_with_a_gap(synced):
    outcome = apply(synced, h.delta(14, 12, deletes={"credentials": [1]}))
    assert (outcome.status, synced.synced_version, synced.counts()["credentials"]) == ("gap", 10, 6)


def test_it_applies_a_delta_from_an_older_base(synced):
    # versions are shared by all devices: a delta may start below this door's version
    outcome = apply(synced, h.delta(12, 8, deletes={"credentials": [5]}))
    assert outcome.status == "applied"
    assert synced.synced_version == 12
    assert synced.counts()["credentials"] == 5


def test_it_remembers_a_deleted_credential_as_revoked(synced):
    digest = protocol.credential_digest(h.CREDENTIAL_KEY, "card", "0B0B0B0B")
    apply(synced, h.delta(11, 10, deletes={"credentials": [5]}))
    assert synced.credentials_find("card", digest) == []
    assert synced.is_revoked("card", digest)


def test_it_forgets_a_revocation_when_the_value_is_issued_again(synced):
    digest = protocol.credential_digest(h.CREDENTIAL_KEY, "card", "0B0B0B0B")
    apply(synced, h.delta(11, 10, deletes={"credentials": [5]}))
    apply(synced, h.delta(12, 11, upserts={"credentials": [h.credential(9, BOB, "card", "0B0B0B0B")]}))
    assert not synced.is_revoked("card", digest)
    assert [row.credential_id for row in synced.credentials_find("card", digest)] == [9]


def test_it_replaces_everything_with_a_new_snapshot(synced):
    apply(synced, h.full(20, people=[h.person(BOB)], credentials=[h.credential(5, BOB, "card", "0B0B0B0B")]))
    assert synced.counts()["credentials"] == 1
    assert synced.person(ALICE) is None
    assert synced.is_revoked("card", protocol.credential_digest(h.CREDENTIAL_KEY, "card", h.CARD))


def test_it_keeps_face_templates_unit_length(store):
    apply(store, h.full(1, people=[h.person(ALICE)], faces=[h.face(7, ALICE, np.full(128, 3.0))]))
    gallery = store.gallery()
    assert gallery.template_ids.tolist() == [7]
    assert np.isclose(np.linalg.norm(gallery.vectors[0]), 1.0)


def test_it_lists_deleted_faces_for_confirmation(store):
    vectors = h.random_unit_vectors(3)
    apply(store, h.full(1, people=[h.person(ALICE)], faces=[h.face(i + 1, ALICE, v) for i, v in enumerate(vectors)]))
    apply(store, h.delta(2, 1, deletes={"faces": [2]}))
    assert store.gallery().template_ids.tolist() == [1, 3]
    assert store.face_deletions_pending() == [2]
    store.face_deletions_confirmed([2])
    assert store.face_deletions_pending() == []


def test_it_confirms_faces_a_snapshot_leaves_out(store):
    vectors = h.random_unit_vectors(2)
    apply(store, h.full(1, people=[h.person(ALICE)], faces=[h.face(1, ALICE, vectors[0]), h.face(2, ALICE, vectors[1])]))
    apply(store, h.full(2, people=[h.person(ALICE)], faces=[h.face(2, ALICE, vectors[1])]))
    assert store.face_deletions_pending() == [1]


def test_it_skips_a_face_sealed_for_another_device_and_applies_the_rest(store):
    vectors = h.random_unit_vectors(2)
    outcome = apply(store, h.full(1, people=[h.person(ALICE)], faces=[
        h.face(1, ALICE, vectors[0]), h.face(2, ALICE, vectors[1], secret="another-device")]))
    assert outcome.skipped_faces == [2]
    assert store.gallery().template_ids.tolist() == [1]


def test_it_refuses_a_snapshot_whose_credential_key_it_cannot_open(store):
    with pytest.raises(protocol.ProtocolError):
        apply(store, h.full(1, secret="another-device"))
    assert store.synced_version == 0


def test_it_keeps_events_until_acknowledged(store):
    first = store.event_add("pass", credential_kind="card", person_id=ALICE)
    store.event_add("refused", credential_kind="card", reason="unknown")
    assert store.outbox_ack([first["event_id"], "never-sent"]) == 1
    assert store.outbox_count() == 1


def test_it_numbers_events_so_a_new_store_never_reuses_an_id(tmp_path):
    one = EdgeStore(tmp_path / "a.sqlite3")
    two = EdgeStore(tmp_path / "b.sqlite3")  # a replaced SQLite file restarts its counter
    assert one.event_add("forced")["event_id"] != two.event_add("forced")["event_id"]


def test_it_produces_events_the_protocol_accepts(store):
    event = store.event_add("pass", credential_kind="plate", person_id=ALICE, plate="陕A12345XYZ99", reason="x" * 50)
    parsed = protocol.event_parse(event)
    assert (parsed.plate, len(parsed.reason)) == ("陕A12345XYZ", 40)


def test_it_hands_out_due_events_oldest_first_and_resends_late_ones(store):
    ids = [store.event_add("pass")["event_id"] for _ in range(5)]
    due = store.outbox_due(now=100.0, resend_after=30, limit=3)
    assert [item.event_id for item in due] == ids[:3]
    store.outbox_mark_sent(ids[:3], now=100.0)
    assert [i.event_id for i in store.outbox_due(now=110.0, resend_after=30, limit=10)] == ids[3:]
    assert store.outbox_in_flight(now=110.0, resend_after=30) == 3
    assert len(store.outbox_due(now=131.0, resend_after=30, limit=10)) == 5


def test_it_sends_everything_again_after_a_reconnect(store):
    ids = [store.event_add("pass")["event_id"] for _ in range(3)]
    store.outbox_mark_sent(ids, now=100.0)
    store.outbox_unsend_all()
    assert len(store.outbox_due(now=101.0, resend_after=30, limit=10)) == 3


def test_it_keeps_the_outbox_across_a_restart(tmp_path):
    store = EdgeStore(tmp_path / "edge.sqlite3")
    event = store.event_add("forced")
    store.close()
    reopened = EdgeStore(tmp_path / "edge.sqlite3")
    assert [i.event_id for i in reopened.outbox_due(now=0, resend_after=30, limit=10)] == [event["event_id"]]


def test_it_spots_a_replayed_command(store):
    assert store.command_first_seen("c-1", now=1000.0)
    assert not store.command_first_seen("c-1", now=1100.0)
    assert store.command_first_seen("c-1", now=1000.0 + 601 + 100)  # forgotten after 10 minutes
