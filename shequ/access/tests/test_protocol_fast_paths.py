"""The protocol's short ways for the gateway's hot path give what the long ways give.

``envelope_open`` checks the signature over the received bytes when a message comes in
canonical form; ``events_open`` also validates the body straight from the bytes;
``events_parse_fields`` validates a batch in one call. Each must accept, refuse and
name faults exactly as the general path does. No database needed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shequ.access import protocol as p

SECRET = "device-secret-1"
EVENT = {"event_id": "e-1", "kind": "pass", "occurred_at": "2025-03-01T08:00:00+08:00", "credential_kind": "card",
         "person_id": 7, "plate": "", "direction": "in", "reason": ""}

#: events at and beyond the edges of Event's rules
ODD_EVENTS = [
    EVENT, {**EVENT, "unknown": 1}, {"event_id": "e-1", "kind": "sos", "occurred_at": "2025-03-01T08:00:00Z"},
    {**EVENT, "person_id": None}, {**EVENT, "person_id": 5.0}, {**EVENT, "person_id": True}, {**EVENT, "person_id": "5"},
    {**EVENT, "person_id": 0}, {**EVENT, "person_id": 2**70}, {**EVENT, "occurred_at": 1700000000},
    {**EVENT, "occurred_at": "2025-03-01T08:00:00"}, {**EVENT, "occurred_at": "2025-03-01 08:00:00+08:00"},
    {**EVENT, "occurred_at": "2025-03-01T08:00:00.1234567+08:00"}, {**EVENT, "occurred_at": "2025-02-30T08:00:00Z"},
    {**EVENT, "event_id": ""}, {**EVENT, "event_id": "x" * 65}, {**EVENT, "event_id": 5}, {**EVENT, "kind": "PASS"},
    {**EVENT, "plate": "陕A" + "1" * 9}, {**EVENT, "plate": None}, {**EVENT, "direction": None}, {**EVENT, "reason": 5},
    {**EVENT, "reason": "门未关\n\t\"\\\u0000"}, {**EVENT, "credential_kind": "pass", "pass_id": "p" * 40},
    {**EVENT, "pass_id": "p" * 41}, {**EVENT, "reason": float("nan")}, {"kind": "pass"}, [], "event", None, 5,
]
BODIES = [{"events": [event]} for event in ODD_EVENTS] + [
    {"events": [EVENT, {**EVENT, "event_id": "e-2"}, EVENT]}, {"events": [EVENT, {**EVENT, "kind": "nope"}]},
    {"events": []}, {"events": [EVENT] * 1001}, {"events": "x"}, {}, {"events": [EVENT], "extra": {"sig": "a" * 64}},
]


def _secret_for(device_id: str) -> str | None:
    return SECRET if device_id.startswith("gate-") else None


def _long_way(raw, topic_device_id):
    """The general path: parse, re-serialise to verify, validate event by event."""
    try:
        envelope = p.envelope_open(raw, secret_for=_secret_for, topic_device_id=topic_device_id)
        return p.events_parse_fields(envelope.body)
    except p.ProtocolError as error:
        return ("refused", error.code, error.reason)


def _events_open(raw, topic_device_id):
    try:
        return p.events_open(raw, secret_for=_secret_for, topic_device_id=topic_device_id)
    except p.ProtocolError as error:
        return ("refused", error.code, error.reason)


def _variants(body) -> list[bytes | str]:
    raw = p.message_encode(device_id="gate-1", body=body, secret=SECRET)
    return [
        raw,
        raw.decode(),
        json.dumps(json.loads(raw), indent=1).encode(),  # another JSON form of the same message
        raw.replace(b'"v":1}', b'"v":1.0}'),
        raw.replace(b'"v":1}', b'"v":1,"w":2}'),
        raw.replace(b"e-1", b"e-9", 1),  # tampered
        p.message_encode(device_id="gate-1", body=body, secret="another-secret"),
        p.message_encode(device_id="gate-2", body=body, secret=SECRET),
        p.message_encode(device_id="stranger-1", body=body, secret=SECRET),
        _signed(body, ts="2025-03-01T08:00:00"),  # canonical and signed, but without an offset
        _signed(body, ts="yesterday"),
    ]


def _signed(body, *, ts: str) -> bytes:
    unsigned = {"v": 1, "device_id": "gate-1", "ts": ts, "body": body}
    return p.canonical_json({**unsigned, "sig": p.signature(SECRET, unsigned)})


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_events_open_accepts_refuses_and_names_faults_as_the_long_way_does(body):
    for raw in _variants(body):
        for topic_device_id in ("gate-1", "gate-2", None):
            assert repr(_events_open(raw, topic_device_id)) == repr(_long_way(raw, topic_device_id))


def test_events_open_takes_the_short_way_for_what_an_edge_sends(monkeypatch):
    raw = p.message_encode(device_id="gate-1", body={"events": [EVENT, {**EVENT, "event_id": "e-2"}]}, secret=SECRET)
    expected = _long_way(raw, "gate-1")

    def no_long_way(*args, **kwargs):
        raise AssertionError("took the long way")

    monkeypatch.setattr(p, "envelope_open", no_long_way)

    assert p.events_open(raw, secret_for=_secret_for, topic_device_id="gate-1") == expected


def test_envelope_open_checks_a_canonical_message_without_re_serialising_it(monkeypatch):
    raw = p.message_encode(device_id="gate-1", body={"events": [EVENT]}, secret=SECRET)
    reordered = json.dumps(dict(reversed(list(json.loads(raw).items())))).encode()

    def no_reserialising(*args, **kwargs):
        raise AssertionError("re-serialised")

    monkeypatch.setattr(p, "canonical_json", no_reserialising)

    assert p.envelope_open(raw, secret_for=_secret_for, topic_device_id="gate-1").body == {"events": [EVENT]}
    with pytest.raises(AssertionError, match="re-serialised"):  # any other form is checked the general way
        p.envelope_open(reordered, secret_for=_secret_for, topic_device_id="gate-1")


def test_a_signature_member_moved_into_the_body_is_refused():
    raw = p.message_encode(device_id="gate-1", body={"events": [EVENT]}, secret=SECRET)
    data = json.loads(raw)
    sig = data.pop("sig")
    moved = p.canonical_json({**data, "body": {**data["body"], "sig": sig}})

    with pytest.raises(p.ProtocolError) as caught:
        p.envelope_open(moved, secret_for=_secret_for, topic_device_id="gate-1")
    assert caught.value.code == "shape"
    with pytest.raises(p.ProtocolError):
        p.events_open(moved, secret_for=_secret_for, topic_device_id="gate-1")


def test_a_body_holding_the_same_signature_text_still_verifies_only_as_signed():
    first = p.message_encode(device_id="gate-1", body={"events": [EVENT]}, secret=SECRET)
    sig = json.loads(first)["sig"]
    body = {"events": [EVENT], "note": {"sig": sig}}  # the signature text appears earlier in the bytes
    raw = p.message_encode(device_id="gate-1", body=body, secret=SECRET)

    assert p.envelope_open(raw, secret_for=_secret_for, topic_device_id="gate-1").body == body
    assert p.events_open(raw, secret_for=_secret_for, topic_device_id="gate-1").events[0]["event_id"] == "e-1"


def test_message_encode_gives_the_bytes_of_the_signed_envelope():
    moment = datetime(2025, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    body = {"event_ids": ["e-1", "门-2"], "z": [1.5, None, True], "a": {"b": "\n"}}

    encoded = p.message_encode(device_id="gate-1", body=body, secret=SECRET, ts=moment)

    assert encoded == p.envelope_encode(p.envelope_build(device_id="gate-1", body=body, secret=SECRET, ts=moment))


@pytest.mark.parametrize("event", ODD_EVENTS, ids=range(len(ODD_EVENTS)))
def test_events_parse_fields_keeps_and_refuses_what_events_parse_does(event):
    for events in ([event], [EVENT, event], [event, {**EVENT, "event_id": "e-2"}, event]):
        models = p.events_parse({"events": events})
        fields = p.events_parse_fields({"events": events})

        assert fields.events == [model.model_dump(exclude_unset=True) for model in models.events]
        assert fields.rejected == models.rejected


def test_a_rejected_event_whose_id_cannot_be_sent_back_is_not_acknowledged():
    item = json.loads('{"event_id": "e-\\ud800", "kind": "nope", "occurred_at": "2025-03-01T08:00:00Z"}')

    (rejected,) = p.events_parse_fields({"events": [item]}).rejected

    assert rejected.event_id == ""
