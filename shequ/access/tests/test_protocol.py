"""The MQTT envelope and bodies (shequ.access.protocol): no database needed."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from shequ.access import protocol as p

SECRET = "device-secret-1"
EVENT = {"event_id": "e-1", "kind": "pass", "occurred_at": "2025-03-01T08:00:00+08:00", "credential_kind": "card",
         "person_id": 7, "plate": "", "direction": "in", "reason": ""}


def _raw(body=None, *, device_id="gate-1", secret=SECRET) -> bytes:
    return p.message_encode(device_id=device_id, body=body or {"events": [EVENT]}, secret=secret)


def _open(raw, *, secret=SECRET, topic_device_id="gate-1"):
    return p.envelope_open(raw, secret_for=lambda device_id: secret if device_id == "gate-1" else None,
                           topic_device_id=topic_device_id)


def test_it_opens_what_it_signed():
    envelope = _open(_raw())
    assert envelope.device_id == "gate-1"
    assert envelope.body == {"events": [EVENT]}
    assert envelope.ts.tzinfo is not None


def test_it_verifies_a_message_whatever_its_key_order_and_spacing():
    data = json.loads(_raw())
    reordered = json.dumps(dict(reversed(list(data.items()))), indent=2).encode()
    assert _open(reordered).body == {"events": [EVENT]}


def test_it_signs_unicode_as_utf8_not_escapes():
    envelope = p.envelope_build(device_id="gate-1", body={"reason": "门未关"}, secret=SECRET)
    assert "门未关".encode() in p.envelope_encode(envelope)
    assert _open(p.envelope_encode(envelope)).body == {"reason": "门未关"}


def test_it_refuses_a_tampered_payload():
    tampered = _raw().replace(b'"person_id":7', b'"person_id":8')
    with pytest.raises(p.ProtocolError) as caught:
        _open(tampered)
    assert caught.value.code == "signature"


def test_it_refuses_a_tampered_timestamp():
    data = json.loads(_raw())
    data["ts"] = "2030-01-01T00:00:00+00:00"
    with pytest.raises(p.ProtocolError, match="bad signature"):
        _open(json.dumps(data))


def test_it_refuses_the_wrong_secret():
    with pytest.raises(p.ProtocolError) as caught:
        _open(_raw(secret="another-secret"))
    assert caught.value.code == "signature"


def test_it_refuses_an_unknown_device():
    with pytest.raises(p.ProtocolError) as caught:
        _open(_raw(device_id="gate-9"), topic_device_id="gate-9")
    assert caught.value.code == "unknown_device"
    assert "gate-9" in caught.value.reason


def test_it_refuses_an_envelope_published_under_another_devices_topic():
    with pytest.raises(p.ProtocolError) as caught:
        _open(_raw(), topic_device_id="gate-2")
    assert caught.value.code == "device_mismatch"


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"", b"null"])
def test_it_refuses_bad_json(raw):
    with pytest.raises(p.ProtocolError) as caught:
        _open(raw)
    assert caught.value.code in {"json", "shape"}


def test_it_refuses_a_json_array():
    with pytest.raises(p.ProtocolError, match="not a JSON object"):
        _open(b"[1, 2]")


@pytest.mark.parametrize("version", [2, 0, "1", True, None])
def test_it_refuses_a_wrong_version(version):
    unsigned = {"v": version, "device_id": "gate-1", "ts": p.timestamp(), "body": {}}
    raw = json.dumps({**unsigned, "sig": p.signature(SECRET, unsigned)})
    with pytest.raises(p.ProtocolError) as caught:
        _open(raw)
    assert caught.value.code == "version"


@pytest.mark.parametrize("missing", ["v", "device_id", "ts", "body", "sig"])
def test_it_names_a_missing_envelope_field(missing):
    data = json.loads(_raw())
    del data[missing]
    with pytest.raises(p.ProtocolError) as caught:
        _open(json.dumps(data))
    assert missing in caught.value.reason


def test_it_refuses_unknown_envelope_keys():
    data = json.loads(_raw())
    data["extra"] = 1
    with pytest.raises(p.ProtocolError, match="unknown keys extra"):
        _open(json.dumps(data))


def test_it_refuses_a_timestamp_without_offset():
    unsigned = {"v": 1, "device_id": "gate-1", "ts": "2025-03-01T08:00:00", "body": {}}
    raw = json.dumps({**unsigned, "sig": p.signature(SECRET, unsigned)})
    with pytest.raises(p.ProtocolError, match="offset"):
        _open(raw)


def test_it_refuses_to_sign_a_naive_time():
    with pytest.raises(ValueError):
        p.envelope_build(device_id="gate-1", body={}, secret=SECRET, ts=datetime(2025, 1, 1))


# ---- topics


def test_it_builds_and_parses_topics():
    assert p.topic("gate-1", "event") == "shequ/v1/dev/gate-1/event"
    assert p.topic_parse("shequ/v1/dev/gate-1/heartbeat") == ("gate-1", "heartbeat")


@pytest.mark.parametrize("value", ["shequ/v1/dev/gate-1", "shequ/v2/dev/gate-1/event", "shequ/v1/dev/gate-1/nope",
                                   "shequ/v1/dev/a/b/event", "shequ/v1/dev//event", "x"])
def test_it_refuses_malformed_topics(value):
    with pytest.raises(p.ProtocolError) as caught:
        p.topic_parse(value)
    assert caught.value.code == "topic"


def test_it_refuses_a_device_id_with_wildcards():
    with pytest.raises(p.ProtocolError):
        p.topic("gate/#", "event")


def test_it_subscribes_the_gateway_to_every_devices_uplink_only():
    assert sorted(p.platform_subscriptions()) == [
        ("shequ/v1/dev/+/ack", 1), ("shequ/v1/dev/+/event", 1), ("shequ/v1/dev/+/heartbeat", 0)]


def test_it_retains_only_state():
    assert p.RETAINED == {"state"}


# ---- events


def test_it_parses_a_batch_of_events():
    batch = p.events_parse({"events": [EVENT, {**EVENT, "event_id": "e-2", "kind": "forced", "person_id": None}]})
    assert [e.event_id for e in batch.events] == ["e-1", "e-2"]
    assert batch.events[0].occurred_at == datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
    assert batch.rejected == []


def test_it_fills_optional_event_fields():
    event = p.event_parse({"event_id": "e-1", "kind": "forced", "occurred_at": "2025-03-01T08:00:00Z"})
    assert (event.credential_kind, event.person_id, event.plate, event.direction, event.reason) == ("", None, "", "", "")


@pytest.mark.parametrize("field", ["event_id", "kind", "occurred_at"])
def test_it_names_a_missing_event_field(field):
    item = {k: v for k, v in EVENT.items() if k != field}
    batch = p.events_parse({"events": [item]})
    assert batch.events == []
    assert f"missing field {field}" in batch.rejected[0].reason


@pytest.mark.parametrize("change", [
    {"kind": "teleport"}, {"occurred_at": "yesterday"}, {"occurred_at": "2025-03-01T08:00:00"},
    {"person_id": "7"}, {"person_id": True}, {"person_id": 0}, {"credential_kind": "iris"},
    {"direction": "up"}, {"plate": "陕A12345678901"}, {"event_id": ""}, {"event_id": "x" * 65}, {"event_id": 5},
])
def test_it_rejects_a_malformed_event_with_a_reason(change):
    batch = p.events_parse({"events": [{**EVENT, **change}]})
    assert batch.events == []
    assert batch.rejected[0].reason.startswith("event 0: ")


def test_it_keeps_the_good_events_of_a_batch_with_a_bad_one():
    batch = p.events_parse({"events": [EVENT, {**EVENT, "event_id": "e-2", "kind": "?"}, "junk"]})
    assert [e.event_id for e in batch.events] == ["e-1"]
    assert [(r.index, r.event_id) for r in batch.rejected] == [(1, "e-2"), (2, "")]


def test_it_keeps_one_copy_of_an_event_repeated_in_a_batch():
    batch = p.events_parse({"events": [EVENT, EVENT]})
    assert len(batch.events) == 1


@pytest.mark.parametrize("body", [{}, {"events": "e-1"}, {"events": []}, {"events": [EVENT] * 1001}])
def test_it_refuses_an_event_body_without_a_usable_list(body):
    with pytest.raises(p.ProtocolError) as caught:
        p.events_parse(body)
    assert caught.value.code == "body"


# ---- other bodies


def test_it_parses_a_heartbeat():
    beat = p.heartbeat_parse(p.heartbeat_body(uptime=12.5, synced_version=4, outbox=0))
    assert (beat.uptime, beat.synced_version, beat.outbox) == (12.5, 4, 0)


@pytest.mark.parametrize("body", [{"uptime": 1, "synced_version": -1, "outbox": 0},
                                  {"uptime": "1", "synced_version": 1, "outbox": 0},
                                  {"uptime": 1, "outbox": 0}])
def test_it_refuses_a_bad_heartbeat(body):
    with pytest.raises(p.ProtocolError, match="heartbeat"):
        p.heartbeat_parse(body)


def test_it_parses_each_kind_of_ack():
    assert p.ack_parse(p.sync_applied_body(9)).version == 9
    assert p.ack_parse(p.face_deleted_body([3, 4])).template_ids == [3, 4]
    assert p.ack_parse(p.cmd_result_body(cmd_id="c1", ok=False, reason="jammed")).reason == "jammed"


@pytest.mark.parametrize("body", [{"type": "nope"}, {}, {"type": "face_deleted", "template_ids": []},
                                  {"type": "sync_applied", "version": "9"}])
def test_it_refuses_a_bad_ack(body):
    with pytest.raises(p.ProtocolError):
        p.ack_parse(body)


def test_it_keeps_a_commands_parameters():
    command = p.cmd_parse(p.cmd_body("open", cmd_id="c-1", seconds=5))
    assert (command.cmd, command.cmd_id, command.params) == ("open", "c-1", {"seconds": 5})


def test_it_refuses_a_stale_command():
    now = datetime(2025, 3, 1, tzinfo=UTC)
    fresh = p.Envelope("gate-1", now - timedelta(seconds=5), {})
    stale = p.Envelope("gate-1", now - timedelta(minutes=5), {})
    assert p.cmd_is_fresh(fresh, now) and not p.cmd_is_fresh(stale, now)


def test_it_parses_a_sync_with_entries():
    body = {"version": 5, "base": 3, "full": False,
            "upserts": {"people": [{"person_id": 1, "grants": [{"valid_until": "2025-06-30T00:00:00+08:00",
                                    "windows": [{"days": "12345", "start": "07:00", "end": "19:00"}]}]}],
                        "credentials": [{"credential_id": 2, "person_id": 1, "kind": "pin", "digest": "ab"}]},
            "deletes": {"credentials": [9], "faces": [4]}}
    sync = p.sync_parse(body)
    assert sync.upserts.people[0].grants[0].windows[0].days == "12345"
    assert sync.deletes.credentials == [9]


def test_it_refuses_a_person_entry_without_grants():
    with pytest.raises(p.ProtocolError, match="grants"):
        p.sync_parse({"version": 1, "base": 0, "full": True, "upserts": {"people": [{"person_id": 1, "grants": []}]}})


def test_it_refuses_a_window_with_a_bad_day():
    body = {"version": 5, "base": 3, "full": False,
            "upserts": {"people": [{"person_id": 1, "grants": [{"windows": [{"days": "8", "start": "07:00", "end": "19:00"}]}]}]}}
    with pytest.raises(p.ProtocolError, match="sync"):
        p.sync_parse(body)


def _entry(*grants) -> p.PersonEntry:
    return p.PersonEntry(person_id=1, grants=list(grants))


def test_it_lets_a_grant_without_windows_through_at_any_time():
    entry = _entry(p.Grant())
    assert p.person_may_pass(entry, datetime(2025, 3, 2, 3, 0, tzinfo=UTC))


def test_it_keeps_a_windowed_grant_to_its_local_hours():
    entry = _entry(p.Grant(windows=[p.Window(days="12345", start="07:00", end="19:00")]))
    monday_0800_beijing = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)
    monday_2000_beijing = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
    sunday_0800_beijing = datetime(2025, 3, 2, 0, 0, tzinfo=UTC)
    assert p.person_may_pass(entry, monday_0800_beijing)
    assert not p.person_may_pass(entry, monday_2000_beijing)
    assert not p.person_may_pass(entry, sunday_0800_beijing)


def test_it_ends_a_grant_at_valid_until_exclusive():
    end = datetime(2025, 7, 1, tzinfo=UTC)
    entry = _entry(p.Grant(valid_until=end))
    assert p.person_may_pass(entry, end - timedelta(seconds=1))
    assert not p.person_may_pass(entry, end)


def test_it_passes_a_person_when_any_grant_holds():
    end = datetime(2025, 7, 1, tzinfo=UTC)
    entry = _entry(p.Grant(valid_until=end), p.Grant(windows=[p.Window(days="1234567", start="00:00", end="24:00")]))
    assert p.person_may_pass(entry, end + timedelta(days=3))


# ---- sealing and digests


def test_it_seals_a_face_for_one_device_and_one_template():
    vector = bytes(range(256)) * 2
    sealed = p.seal(SECRET, p.face_purpose(17), vector)
    assert p.unseal(SECRET, p.face_purpose(17), sealed) == vector
    with pytest.raises(p.ProtocolError):
        p.unseal("other-device", p.face_purpose(17), sealed)
    with pytest.raises(p.ProtocolError):
        p.unseal(SECRET, p.face_purpose(18), sealed)


def test_it_digests_a_card_the_same_however_the_reader_spaces_it():
    key = b"k" * 32
    assert p.credential_digest(key, "card", "04 a1:b2 c3") == p.credential_digest(key, "card", "04A1B2C3")
    assert p.credential_digest(key, "card", "04A1B2C3") != p.credential_digest(key, "pin", "04000000")


@pytest.mark.parametrize(("kind", "value"), [("pin", "12ab56"), ("pin", "123"), ("card", "zz"), ("qr", "short"),
                                             ("plate", "陕A12345")])
def test_it_refuses_values_it_cannot_normalise(kind, value):
    with pytest.raises(ValueError):
        p.credential_digest(b"k", kind, value)


def test_it_needs_no_django():
    code = "import sys, shequ.access.protocol; sys.exit(any(m.startswith('django') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], timeout=30).returncode == 0
