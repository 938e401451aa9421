"""Visitor passes at the door, from the local store alone: signature, window, door,
local use count, revocations from the sync. No platform connection is needed."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shequ.access import protocol
from shequ.core import signing
from shequ.edge.decide import decide_credential
from shequ.edge.door import Door
from shequ.edge.relay import SimulatedRelay
from shequ.edge.store import EdgeStore
from shequ.edge.tests import helpers as h
from shequ.gateway.broker import embedded_broker, free_port
from shequ.visitors.token import PassPayload, token_issue

PLATFORM = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
PLATFORM_KEY = signing.public_key_text(PLATFORM)
NOW = datetime.now(UTC).replace(microsecond=0)  # Door.present decides at the real time
START, END = NOW - timedelta(hours=1), NOW + timedelta(hours=3)
OTHER_DOOR = "cqf-03-2-door"


def make_token(*, pass_id="v-1", doors=(h.DEVICE, OTHER_DOOR), start=START, end=END, entries=2, key=PLATFORM) -> str:
    return token_issue(PassPayload(pass_id=pass_id, doors=tuple(doors), valid_from=int(start.timestamp()),
                                   valid_until=int(end.timestamp()), max_entries=entries, area_id=7), key)


def apply(store, body):
    return store.sync_apply(protocol.sync_parse(body), secret=h.SECRET)


def full_with_key(version: int = 10, **extra) -> dict:
    body = h.full(version)
    body["platform_key"] = PLATFORM_KEY
    body["upserts"].update(extra)
    return body


@pytest.fixture
def door_store(store):
    """A door that had one full snapshot (with the platform key) and knows which door it is."""
    store.device_bind(h.DEVICE)
    apply(store, full_with_key())
    return store


def present(store, token: str, now: datetime = NOW):
    return decide_credential(store, "qr", token, key=h.CREDENTIAL_KEY, now=now)



def door_at(store) -> Door:
    return Door(store, SimulatedRelay(), secret=h.SECRET, direction="in")


def test_it_lets_a_pass_through_at_a_door_it_names(door_store):
    decision = present(door_store, make_token())
    assert (decision.allow, decision.credential_kind, decision.pass_id, decision.reason) == (True, "pass", "v-1", "")


def test_it_refuses_passes_before_it_has_the_platform_key(store):
    store.device_bind(h.DEVICE)
    apply(store, h.full(10))
    assert present(store, make_token()).reason == "no_key"


def test_it_refuses_a_forged_pass(door_store):
    forged = make_token(key=Ed25519PrivateKey.generate())
    decision = present(door_store, forged)
    assert (decision.allow, decision.reason) == (False, "forged")


def test_it_refuses_an_altered_pass(door_store):
    prefix, payload, signature = make_token(entries=1).split(".")
    data = json.loads(signing.b64url_decode(payload))
    data["n"] = 20
    altered = f"{prefix}.{signing.b64url_encode(json.dumps(data, separators=(',', ':')).encode())}.{signature}"
    assert present(door_store, altered).reason == "forged"


def test_it_refuses_an_expired_pass(door_store):
    decision = present(door_store, make_token(), now=END)
    assert (decision.allow, decision.reason, decision.pass_id) == (False, "expired", "v-1")


def test_it_refuses_a_pass_not_yet_valid(door_store):
    assert present(door_store, make_token(), now=START - timedelta(seconds=1)).reason == "not_yet_valid"


def test_it_refuses_a_pass_for_other_doors(door_store):
    assert present(door_store, make_token(doors=(OTHER_DOOR,))).reason == "wrong_door"


def test_it_refuses_a_malformed_pass(door_store):
    assert present(door_store, "SQP1.garbage").reason == "malformed"


def test_it_refuses_a_pass_used_up_at_this_door_offline(door_store):
    """No platform at all: the door counts each pass it let through and stops at the limit."""
    door = door_at(door_store)
    token = make_token(entries=2)
    assert [door.present("qr", token).allow for _ in range(3)] == [True, True, False]
    assert door_store.pass_uses("v-1") == 2
    assert present(door_store, token).reason == "exhausted"
    assert len(door.relay.commands) == 2


def test_refusals_do_not_count_as_uses(door_store):
    door = door_at(door_store)
    door.present("qr", make_token(doors=(OTHER_DOOR,)))
    assert door_store.pass_uses("v-1") == 0


def test_the_use_count_survives_a_restart(door_store, tmp_path):
    door_at(door_store).present("qr", make_token(entries=1))
    path = door_store.path
    door_store.close()
    reopened = EdgeStore(path)
    try:
        assert reopened.device_id == h.DEVICE
        assert present(reopened, make_token(entries=1)).reason == "exhausted"
    finally:
        reopened.close()


def test_it_refuses_a_pass_revoked_in_a_delta(door_store):
    assert present(door_store, make_token()).allow
    apply(door_store, h.delta(11, 10, upserts={"revoked_passes": [{"pass_id": "v-1", "until": END.isoformat()}]}))
    decision = present(door_store, make_token())
    assert (decision.allow, decision.reason) == (False, "revoked")
    assert present(door_store, make_token(pass_id="v-2")).allow  # other passes still open


def test_it_refuses_a_pass_revoked_in_a_full_snapshot(store):
    store.device_bind(h.DEVICE)
    apply(store, full_with_key(revoked_passes=[{"pass_id": "v-1", "until": END.isoformat()}]))
    assert present(store, make_token()).reason == "revoked"


def test_a_new_snapshot_replaces_the_revoked_passes(door_store):
    apply(door_store, h.delta(11, 10, upserts={"revoked_passes": [{"pass_id": "v-1", "until": END.isoformat()}]}))
    apply(door_store, full_with_key(12))
    assert not door_store.pass_is_revoked("v-1")


def test_a_delete_removes_a_revoked_pass(door_store):
    apply(door_store, h.delta(11, 10, upserts={"revoked_passes": [{"pass_id": "v-1", "until": END.isoformat()}]}))
    apply(door_store, h.delta(12, 11, deletes={"revoked_passes": ["v-1"]}))
    assert not door_store.pass_is_revoked("v-1")


def test_it_keeps_the_platform_key_from_a_full_snapshot_only(door_store):
    apply(door_store, h.delta(11, 10))
    assert door_store.platform_key == PLATFORM_KEY


def test_it_refuses_a_sync_with_a_bad_platform_key(store):
    body = h.full(10)
    body["platform_key"] = "not-a-key"
    with pytest.raises(protocol.ProtocolError):
        apply(store, body)
    assert (store.synced_version, store.platform_key) == (0, None)


def test_pass_events_carry_the_pass_and_refusals_the_reason(door_store):
    door = door_at(door_store)
    door.present("qr", make_token())
    door.present("qr", make_token(pass_id="v-9", doors=(OTHER_DOOR,)))
    events = [item.event for item in door_store.outbox_due(now=0, resend_after=0, limit=10)]
    assert [(e["kind"], e["credential_kind"], e["pass_id"], e["reason"]) for e in events] == [
        ("pass", "pass", "v-1", ""), ("refused", "pass", "v-9", "wrong_door")]
    for event in events:
        protocol.event_parse(event)  # what the gateway will accept


def test_a_resident_qr_code_is_still_a_credential(synced):
    assert decide_credential(synced, "qr", h.QR, key=h.CREDENTIAL_KEY).allow


def test_offline_behind_a_cut_link_the_door_decides_and_delivers_pass_events_later(store):
    port = free_port()

    async def scenario():
        async with embedded_broker("127.0.0.1", port), h.FakePlatform("127.0.0.1", port) as platform:
            link = h.Link("127.0.0.1", port)  # the gate's network, cut
            async with h.edge_running(store, "127.0.0.1", link.port) as (door, client):
                assert store.device_id == h.DEVICE  # the client told the store which door it is
                apply(store, full_with_key())  # synced earlier, before the link went down
                now = datetime.now(UTC)
                token = make_token(start=now - timedelta(hours=1), end=now + timedelta(hours=1), entries=1)
                assert [door.present("qr", token).allow for _ in range(2)] == [True, False]
                assert not client.connected.is_set()
                await link.up()
                await platform.wait_for(lambda: len(platform.stored) == 2, timeout=30)
                await h.until(lambda: store.outbox_count() == 0)
                await link.down()
        kinds = sorted((e["kind"], e["pass_id"], e["reason"]) for e in platform.stored.values())
        assert kinds == [("pass", "v-1", ""), ("refused", "v-1", "exhausted")]

    asyncio.run(asyncio.wait_for(scenario(), 60))
