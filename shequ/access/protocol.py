"""Shequ MQTT protocol v1: topics, the signed envelope, and typed message bodies.

This module is shared by the platform (``shequ gateway``) and the door controller
(``shequ edge``), so it must not import Django: the edge runs on a gate PC with
only this file, pydantic and cryptography. docs/mqtt.md is the prose version of
this module; keep the two in step.

Every message is an envelope ``{"v", "device_id", "ts", "body", "sig"}`` whose
``sig`` is HMAC-SHA256 under the device's own secret over the canonical JSON of
the envelope without ``sig``. Both directions are signed with the same secret, so
an edge can tell the platform from anyone else on the broker, and the platform
can tell a device from an impostor.

Everything that can go wrong with a received message raises :class:`ProtocolError`
with a short ``reason`` (stored with the quarantined message) and a stable ``code``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)
from typing_extensions import NotRequired, TypedDict  # pydantic needs typing_extensions' TypedDict before 3.12

PROTOCOL_VERSION = 1
TOPIC_ROOT = "shequ/v1/dev"

#: messages a device publishes, and the QoS it publishes them with
DEVICE_MESSAGES: dict[str, int] = {"event": 1, "heartbeat": 0, "ack": 1}
#: messages the platform publishes to a device
PLATFORM_MESSAGES: dict[str, int] = {"evack": 1, "sync": 1, "cmd": 1, "state": 1}
QOS: dict[str, int] = {**DEVICE_MESSAGES, **PLATFORM_MESSAGES}
#: published with the MQTT retain flag: a reconnecting edge reads it at once
RETAINED = frozenset({"state"})

#: an edge flushing a long outbox splits it into messages of at most this many events
MAX_EVENTS_PER_MESSAGE = 1000
#: a ``cmd`` older or newer than this (edge clock) is refused: an "open" must not be replayable
CMD_MAX_SKEW = timedelta(seconds=30)

#: broadcasts: one message to every device under an area (notices), signed with the platform's
#: Ed25519 key instead of a device secret; topic ``shequ/v1/area/{area_id}/{name}``
BROADCAST_ROOT = "shequ/v1/area"
BROADCAST_MESSAGES: dict[str, int] = {"notice": 1}

_DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_ENVELOPE_KEYS = frozenset({"v", "device_id", "ts", "body", "sig"})


class ProtocolError(Exception):
    """A message that cannot be used. ``reason`` is for people, ``code`` for counting.

    Codes: ``topic``, ``json``, ``shape``, ``version``, ``unknown_device``,
    ``device_mismatch``, ``signature``, ``body``, ``seal``.
    """

    def __init__(self, reason: str, code: str = "body") -> None:
        super().__init__(reason)
        self.reason = reason[:200]  # QuarantinedMessage.reason is 200 characters
        self.code = code

    def __str__(self) -> str:
        return self.reason


# ---------------------------------------------------------------- topics


def topic(device_id: str, name: str) -> str:
    """``shequ/v1/dev/{device_id}/{name}`` for a known message name."""
    if name not in QOS:
        raise ProtocolError(f"unknown message name {name!r}", "topic")
    if not _DEVICE_ID.match(device_id or ""):
        raise ProtocolError(f"invalid device id {device_id!r}", "topic")
    return f"{TOPIC_ROOT}/{device_id}/{name}"


def topic_parse(value: str) -> tuple[str, str]:
    """(device_id, name) of a topic; raises ProtocolError for anything else."""
    prefix = TOPIC_ROOT + "/"
    if not value.startswith(prefix):
        raise ProtocolError(f"topic {value[:100]!r} is not under {prefix}", "topic")
    parts = value[len(prefix) :].split("/")
    if len(parts) != 2 or not _DEVICE_ID.match(parts[0]) or parts[1] not in QOS:
        raise ProtocolError(f"malformed topic {value[:100]!r}", "topic")
    return parts[0], parts[1]


def topic_filter(name: str, device_id: str = "+") -> str:
    """A subscription filter: every device's ``name`` by default (``+`` wildcard)."""
    if name not in QOS:
        raise ProtocolError(f"unknown message name {name!r}", "topic")
    return f"{TOPIC_ROOT}/{device_id}/{name}"


def platform_subscriptions() -> list[tuple[str, int]]:
    """(filter, QoS) the gateway subscribes to."""
    return [(topic_filter(name), qos) for name, qos in DEVICE_MESSAGES.items()]


def device_subscriptions(device_id: str) -> list[tuple[str, int]]:
    """(filter, QoS) an edge subscribes to: only its own platform messages."""
    return [(topic(device_id, name), qos) for name, qos in PLATFORM_MESSAGES.items()]


# ---------------------------------------------------------------- envelope


def canonical_json(value: Any) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, unsigned: Mapping[str, Any]) -> str:
    """Hex HMAC-SHA256 of the canonical JSON of an envelope without ``sig``."""
    return hmac.new(secret.encode(), canonical_json(dict(unsigned)), hashlib.sha256).hexdigest()


def timestamp(moment: datetime | None = None) -> str:
    """ISO-8601 with offset, the form of every ``ts`` and time field."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("naive datetime in a protocol message")
    return moment.isoformat()


def envelope_build(*, device_id: str, body: Mapping[str, Any], secret: str, ts: datetime | None = None) -> dict:
    """A signed envelope (a dict); see :func:`envelope_encode` for the wire bytes."""
    unsigned = {"v": PROTOCOL_VERSION, "device_id": device_id, "ts": timestamp(ts), "body": dict(body)}
    return {**unsigned, "sig": signature(secret, unsigned)}


def envelope_encode(envelope: Mapping[str, Any]) -> bytes:
    """Wire bytes of an envelope (canonical JSON; any JSON form verifies the same)."""
    return canonical_json(dict(envelope))


def message_encode(*, device_id: str, body: Mapping[str, Any], secret: str, ts: datetime | None = None) -> bytes:
    """Build, sign and encode in one step: what a publisher hands to MQTT.

    The same bytes as ``envelope_encode(envelope_build(...))``, serialised once: with sorted
    keys the canonical envelope is the canonical unsigned one with ``"sig"`` put between
    ``device_id`` and ``ts``, so the parts are joined around it instead of re-serialising
    the body (the gateway signs thousands of evacks a second)."""
    head = b'{"body":' + canonical_json(dict(body)) + b',"device_id":' + canonical_json(device_id)
    tail = b',"ts":' + canonical_json(timestamp(ts)) + b',"v":' + canonical_json(PROTOCOL_VERSION) + b"}"
    sig = hmac.new(secret.encode(), head + tail, hashlib.sha256).hexdigest()
    return head + b',"sig":"' + sig.encode() + b'"' + tail


@dataclass(frozen=True)
class Envelope:
    """A verified message."""

    device_id: str
    ts: datetime
    body: dict[str, Any]


def envelope_decode(raw: bytes | str) -> dict:
    """Parse wire bytes and check the envelope's shape and version (not the signature)."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ProtocolError(f"malformed JSON: {error}", "json") from None
    if not isinstance(data, dict):
        raise ProtocolError("envelope is not a JSON object", "shape")
    missing = sorted(_ENVELOPE_KEYS - data.keys())
    if missing:
        raise ProtocolError(f"envelope lacks {', '.join(missing)}", "shape")
    extra = sorted(data.keys() - _ENVELOPE_KEYS)
    if extra:
        raise ProtocolError(f"envelope has unknown keys {', '.join(extra)}", "shape")
    # version first: a v2 envelope may legitimately differ in everything else
    if type(data["v"]) is not int or data["v"] != PROTOCOL_VERSION:
        raise ProtocolError(f"unsupported protocol version {data['v']!r}", "version")
    if not isinstance(data["device_id"], str) or not _DEVICE_ID.match(data["device_id"]):
        raise ProtocolError("device_id is not a valid device id", "shape")
    if not isinstance(data["body"], dict):
        raise ProtocolError("body is not a JSON object", "shape")
    if not isinstance(data["sig"], str) or not _HEX64.match(data["sig"]):
        raise ProtocolError("sig is not 64 lowercase hex digits", "shape")
    _parse_ts(data["ts"])
    return data


def envelope_verify(envelope: Mapping[str, Any], secret: str) -> None:
    """Raise ProtocolError unless ``sig`` is right for ``secret``."""
    unsigned = {key: value for key, value in envelope.items() if key != "sig"}
    if not hmac.compare_digest(signature(secret, unsigned), str(envelope.get("sig", ""))):
        raise ProtocolError("bad signature", "signature")


def envelope_open(
    raw: bytes | str,
    *,
    secret_for: Callable[[str], str | None],
    topic_device_id: str | None = None,
) -> Envelope:
    """Decode, check version and device, verify the signature: the one entry point
    for received messages. ``secret_for(device_id)`` returns the secret or None
    for an unknown device; ``topic_device_id`` (from :func:`topic_parse`) must match
    the envelope, so one device cannot publish under another's topic."""
    data = envelope_decode(raw)
    if topic_device_id is not None and data["device_id"] != topic_device_id:
        raise ProtocolError(
            f"device_id {data['device_id']!r} does not match topic device {topic_device_id!r}", "device_mismatch"
        )
    secret = secret_for(data["device_id"])
    if not secret:
        raise ProtocolError(f"unknown device {data['device_id']!r}", "unknown_device")
    if not _signed_as_sent(raw, data["sig"], secret):
        envelope_verify(data, secret)
    return Envelope(device_id=data["device_id"], ts=_parse_ts(data["ts"]), body=data["body"])


def _signed_as_sent(raw: bytes | str, sig: str, secret: str) -> bool:
    """Does ``sig`` sign ``raw`` without its ``"sig"`` member? True for a message sent in
    canonical form (every peer's :func:`message_encode`): then the signed bytes are the
    received ones minus that member, and re-serialising the parsed envelope, the costly
    part of verifying, is not needed. False sends the caller to the full check, so a
    message in any other JSON form verifies as before.

    No weaker: the MAC covers exactly the bytes received bar that member, so no one
    without the secret can have changed a byte. And what is read is what was signed:
    signers sign canonical envelopes without ``sig``; ``raw`` is valid JSON with a
    top-level ``sig`` (``envelope_decode`` checked both); a member put into canonical
    JSON leaves it parseable only as a member of an object, and had the cut one been
    nested, the signed bytes would hold a top-level ``sig``, which no envelope has. So
    the cut member is the top-level one, and the parsed envelope is the signed one plus
    ``sig``. (A device that signs its own non-canonical bytes is believed here too,
    where re-serialising would refuse it: its bytes are still authenticated.)"""
    try:
        data = raw.encode() if isinstance(raw, str) else bytes(raw)
    except UnicodeEncodeError:
        return False
    member = b',"sig":"' + sig.encode() + b'"'
    at = data.find(member)
    if at < 0:
        return False
    unsigned = data[:at] + data[at + len(member) :]
    return hmac.compare_digest(hmac.new(secret.encode(), unsigned, hashlib.sha256).hexdigest(), sig)


#: a canonical envelope (sorted keys, no spaces) is ``{"body":BODY`` then exactly this
_CANONICAL_HEAD = b'{"body":'
_CANONICAL_TAIL = re.compile(rb',"device_id":"([A-Za-z0-9_-]{1,64})","sig":"([0-9a-f]{64})","ts":"([^"\\]{1,64})","v":1}')
_SIG_PREFIX = len(b',"sig":"')


def events_open(
    raw: bytes | str,
    *,
    secret_for: Callable[[str], str | None],
    topic_device_id: str | None = None,
) -> EventFieldsBatch:
    """``events_parse_fields(envelope_open(raw, ...).body)`` for an ``event`` message: the same
    result, the same ProtocolError for anything wrong.

    What edges send (canonical JSON, every event valid) takes a short way: the signature is
    checked over the received bytes and the body validated straight from them, with no
    Python objects for the parsed JSON. Anything else (another JSON form, a bad event, a
    bad signature, ...) goes the long way, which finds and names the fault."""
    batch = _events_from_canonical(raw, secret_for, topic_device_id)
    if batch is not None:
        return batch
    return events_parse_fields(envelope_open(raw, secret_for=secret_for, topic_device_id=topic_device_id).body)


def _events_from_canonical(raw, secret_for, topic_device_id) -> EventFieldsBatch | None:
    """The short way of :func:`events_open`, or None (take the long way).

    Once the signature holds over the bytes minus the ``sig`` member, they are the canonical
    JSON of an envelope the device signed (see :func:`_signed_as_sent`), so the members
    matched here are the envelope's and the text between head and tail is its body: every
    check of :func:`envelope_decode` then holds or is made here (``v`` is 1, the device id
    and ``sig`` have their form, ``ts`` its offset, the body is an object) before the body
    is validated."""
    if not isinstance(raw, bytes | bytearray) or not raw.startswith(_CANONICAL_HEAD + b"{"):
        return None
    at = raw.rfind(b',"device_id":"')  # the envelope's own: the body comes before it
    tail = _CANONICAL_TAIL.fullmatch(raw, at) if at > 0 else None
    if tail is None:
        return None
    device_id = tail[1].decode()
    if topic_device_id is not None and device_id != topic_device_id:
        return None
    secret = secret_for(device_id)
    if not secret:
        return None
    unsigned = raw[: tail.start(2) - _SIG_PREFIX] + raw[tail.end(2) + 1 :]
    if not hmac.compare_digest(hmac.new(secret.encode(), unsigned, hashlib.sha256).hexdigest().encode(), tail[2]):
        return None
    try:
        _parse_ts(tail[3].decode())
        events = _EVENT_BODY.validate_json(raw[len(_CANONICAL_HEAD) : at])["events"]
    except (ProtocolError, UnicodeDecodeError, ValidationError):
        return None
    return EventFieldsBatch(_first_of_each(events, lambda event: event["event_id"]), [])


def _parse_ts(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ProtocolError("ts is not a string", "shape")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ProtocolError(f"ts {value[:40]!r} is not ISO-8601", "shape") from None
    if moment.tzinfo is None:
        raise ProtocolError("ts has no UTC offset", "shape")
    return moment


def cmd_is_fresh(envelope: Envelope, now: datetime | None = None) -> bool:
    """Is a ``cmd`` recent enough to act on? Old or future commands are replays or clock trouble."""
    now = now or datetime.now(UTC)
    return abs(now - envelope.ts) <= CMD_MAX_SKEW


def secret_generate() -> str:
    """A new device secret: 256 random bits, URL-safe text."""
    return secrets.token_urlsafe(32)


# ---------------------------------------------------------------- sealing


def _seal_key(secret: str, purpose: str) -> bytes:
    # a key per purpose, derived from the device secret: the MAC key itself never encrypts
    return hmac.new(secret.encode(), b"shequ-seal-v1\x00" + purpose.encode(), hashlib.sha256).digest()


def seal(secret: str, purpose: str, data: bytes) -> str:
    """Encrypt ``data`` for one device (AES-256-GCM under a key derived from its
    secret). ``purpose`` (e.g. ``face:17``) is bound in, so a sealed value cannot
    be moved to another field or template."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(_seal_key(secret, purpose)).encrypt(nonce, data, purpose.encode())
    return base64.b64encode(nonce + sealed).decode()


def unseal(secret: str, purpose: str, token: str) -> bytes:
    """Decrypt a value made by :func:`seal`; ProtocolError if altered or misdirected."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        raw = base64.b64decode(token, validate=True)
        return AESGCM(_seal_key(secret, purpose)).decrypt(raw[:12], raw[12:], purpose.encode())
    except (ValueError, InvalidTag):
        raise ProtocolError(f"sealed value for {purpose} cannot be opened", "seal") from None


def face_purpose(template_id: int) -> str:
    return f"face:{template_id}"


CREDENTIAL_KEY_PURPOSE = "credential-key"


# ---------------------------------------------------------------- credential digests


def credential_normalise(kind: str, value: str) -> str:
    """The one form of a presented value, so platform and edge hash the same text.

    Cards: reader output as upper-case hex or decimal, spaces/colons dropped.
    PINs: digits only. QR: the token text as scanned, surrounding space dropped.
    """
    value = (value or "").strip()
    if kind == "card":
        value = re.sub(r"[\s:-]", "", value).upper()
        if not re.fullmatch(r"[0-9A-F]{4,32}", value):
            raise ValueError("card number must be 4-32 hex digits")
    elif kind == "pin":
        if not re.fullmatch(r"[0-9]{6,12}", value):
            raise ValueError("PIN must be 6-12 digits")
    elif kind == "qr":
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,128}", value):
            raise ValueError("QR token must be 16-128 URL-safe characters")
    else:
        raise ValueError(f"{kind!r} values are not digested")
    return value


def credential_digest(key: bytes, kind: str, value: str) -> str:
    """Keyed hash of a presented card, PIN or QR token (hex). The same ``key`` is
    used for every device (a PIN works at every door the person may open); it is
    the access credential key, not the registry's index key, so a stolen edge
    cannot be used to search ID or phone digests."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    mac.update(kind.encode())
    mac.update(b"\x00")
    mac.update(credential_normalise(kind, value).encode())
    return mac.hexdigest()


# ---------------------------------------------------------------- bodies


class _Body(BaseModel):
    # unknown keys are ignored: fields may be added within v1 without breaking old peers
    model_config = ConfigDict(extra="ignore", frozen=True)


NonNegInt = Annotated[StrictInt, Field(ge=0)]
EventKind = Literal["pass", "refused", "forced", "held_open", "remote_unlock", "plate", "sos"]
#: "pass": a visitor pass (signed QR token, see shequ.visitors.token)
CredentialKindOrNone = Literal["face", "card", "pin", "qr", "plate", "pass", ""]


_EventId = Annotated[StrictStr, Field(min_length=1, max_length=64)]
_PersonId = Annotated[StrictInt, Field(gt=0)] | None
_Plate = Annotated[StrictStr, Field(max_length=10)]
_Direction = Literal["in", "out", ""]
_Reason = Annotated[StrictStr, Field(max_length=40)]
_PassId = Annotated[StrictStr, Field(max_length=40)]


class Event(_Body):
    """One thing that happened at a door, as the device reports it."""

    event_id: _EventId
    kind: EventKind
    occurred_at: AwareDatetime
    credential_kind: CredentialKindOrNone = ""
    person_id: _PersonId = None
    plate: _Plate = ""
    direction: _Direction = ""
    reason: _Reason = ""
    #: the visitor pass used or refused (credential_kind "pass"); the platform counts its uses
    pass_id: _PassId = ""


class EventFields(TypedDict):
    """An :class:`Event` as a plain dict: the same fields and rules (extra keys ignored), the
    optional fields present only when sent. Validating into dicts costs half as much as into
    models, which matters at thousands of events a second (:func:`events_parse_fields`)."""

    event_id: _EventId
    kind: EventKind
    occurred_at: AwareDatetime
    credential_kind: NotRequired[CredentialKindOrNone]
    person_id: NotRequired[_PersonId]
    plate: NotRequired[_Plate]
    direction: NotRequired[_Direction]
    reason: NotRequired[_Reason]
    pass_id: NotRequired[_PassId]


class _EventBody(TypedDict):
    """An ``event`` body whose events are all valid (unknown keys ignored, as in every body)."""

    events: Annotated[list[EventFields], Field(min_length=1, max_length=MAX_EVENTS_PER_MESSAGE)]


#: one call validates a whole batch (the common case: every event is good)
_EVENT_LIST = TypeAdapter(list[Event])
_EVENT_FIELDS_LIST = TypeAdapter(list[EventFields])
_EVENT_BODY = TypeAdapter(_EventBody)


@dataclass(frozen=True)
class RejectedEvent:
    """An event of a batch that failed validation; ``event_id`` is "" if unreadable."""

    index: int
    event_id: str
    reason: str
    raw: Any


@dataclass(frozen=True)
class EventBatch:
    events: list[Event]
    rejected: list[RejectedEvent]


@dataclass(frozen=True)
class EventFieldsBatch:
    """:class:`EventBatch` with the valid events as :class:`EventFields` dicts."""

    events: list[dict[str, Any]]
    rejected: list[RejectedEvent]


def events_parse(body: Mapping[str, Any]) -> EventBatch:
    """Split an ``event`` body into valid events and rejected ones.

    A bad event does not spoil its batch: the gateway stores the good ones,
    quarantines the bad ones, and acknowledges both (see docs/mqtt.md), so one
    malformed event cannot block an edge's outbox forever.
    """
    return EventBatch(*_events_split(body, _EVENT_LIST, lambda event: event, lambda event: event.event_id))


def events_parse_fields(body: Mapping[str, Any]) -> EventFieldsBatch:
    """:func:`events_parse` for the gateway's hot path: the same events accepted and rejected
    (with the same reasons), the valid ones as :class:`EventFields` dicts, not models."""
    return EventFieldsBatch(*_events_split(body, _EVENT_FIELDS_LIST, lambda event: event.model_dump(exclude_unset=True),
                                           lambda event: event["event_id"]))


def _events_split(body: Mapping[str, Any], adapter: TypeAdapter, from_model: Callable[[Event], Any],
                  event_id_of: Callable[[Any], str]) -> tuple[list, list[RejectedEvent]]:
    events = body.get("events") if isinstance(body, Mapping) else None
    if not isinstance(events, list):
        raise ProtocolError("event body has no list 'events'", "body")
    if not events:
        raise ProtocolError("event body has an empty 'events' list", "body")
    if len(events) > MAX_EVENTS_PER_MESSAGE:
        raise ProtocolError(f"more than {MAX_EVENTS_PER_MESSAGE} events in one message", "body")
    rejected: list[RejectedEvent] = []
    try:
        valid = adapter.validate_python(events)
    except ValidationError:
        # one by one, so the bad ones are named and the good ones kept
        valid = []
        for index, item in enumerate(events):
            try:
                event = Event.model_validate(item)
            except ValidationError as error:
                event_id = item.get("event_id") if isinstance(item, dict) else None
                event_id = event_id if isinstance(event_id, str) and 0 < len(event_id) <= 64 and _utf8(event_id) else ""
                rejected.append(RejectedEvent(index, event_id, f"event {index}: {_first_error(error)}", item))
                continue
            valid.append(from_model(event))
    return _first_of_each(valid, event_id_of), rejected


def _first_of_each(events: list, event_id_of: Callable[[Any], str]) -> list:
    """The same id twice in one batch: keep the first."""
    ids = {event_id_of(event) for event in events}
    if len(ids) == len(events):
        return events
    good = []
    seen: set[str] = set()
    for event in events:
        event_id = event_id_of(event)
        if event_id not in seen:
            seen.add(event_id)
            good.append(event)
    return good


def _utf8(text: str) -> bool:
    """Can ``text`` go into a message? (JSON escapes can make lone surrogates, which cannot.)"""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def event_parse(item: Mapping[str, Any]) -> Event:
    """Validate one event (raises ProtocolError with the reason)."""
    return _validate(Event, item, "event")


class Heartbeat(_Body):
    uptime: Annotated[StrictFloat, Field(ge=0, allow_inf_nan=False)]
    synced_version: NonNegInt
    outbox: NonNegInt


class SyncApplied(_Body):
    type: Literal["sync_applied"]
    version: NonNegInt


class FaceDeleted(_Body):
    type: Literal["face_deleted"]
    template_ids: Annotated[list[Annotated[StrictInt, Field(gt=0)]], Field(min_length=1, max_length=10000)]


class CmdResult(_Body):
    type: Literal["cmd_result"]
    cmd_id: Annotated[StrictStr, Field(min_length=1, max_length=40)]
    ok: StrictBool
    reason: Annotated[StrictStr, Field(max_length=200)] = ""


Ack = SyncApplied | FaceDeleted | CmdResult
_ACK_TYPES: dict[str, type[_Body]] = {"sync_applied": SyncApplied, "face_deleted": FaceDeleted, "cmd_result": CmdResult}


class Evack(_Body):
    event_ids: Annotated[list[Annotated[StrictStr, Field(min_length=1, max_length=64)]], Field(max_length=MAX_EVENTS_PER_MESSAGE)]


class State(_Body):
    latest_version: NonNegInt


class Command(_Body):
    # extra keys are the command's parameters, kept (not ignored) so handlers can read them
    model_config = ConfigDict(extra="allow", frozen=True)

    cmd: Annotated[StrictStr, Field(min_length=1, max_length=32)]
    cmd_id: Annotated[StrictStr, Field(min_length=1, max_length=40)]

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


# ---- sync entries


class Window(_Body):
    """A weekly time window in the platform's time zone (``tz`` of the sync body):
    ISO weekdays ("12345" = Mon-Fri), start <= time < end, "HH:MM"."""

    days: Annotated[StrictStr, Field(pattern=r"^[1-7]{1,7}$")]
    start: Annotated[StrictStr, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    end: Annotated[StrictStr, Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]


class Grant(_Body):
    """One reason to let a person through: from ``valid_from`` to ``valid_until``
    (either may be null), within ``windows`` (empty: at any time)."""

    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    windows: list[Window] = []


class PersonEntry(_Body):
    """Someone who may pass this device: when any one of ``grants`` holds. Grants
    are kept apart (a tenant who is also a guard) rather than merged, because a
    merge of "until the lease ends" and "weekdays 7-19" would allow more than either."""

    person_id: Annotated[StrictInt, Field(gt=0)]
    grants: Annotated[list[Grant], Field(min_length=1)]


class CredentialEntry(_Body):
    """A non-face credential: ``digest`` for card/pin/qr, ``plate`` for plates."""

    credential_id: Annotated[StrictInt, Field(gt=0)]
    person_id: Annotated[StrictInt, Field(gt=0)]
    kind: Literal["card", "pin", "qr", "plate"]
    digest: StrictStr = ""
    plate: StrictStr = ""
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class FaceEntry(_Body):
    """A face template: 128 float32 (little-endian) sealed for this device."""

    template_id: Annotated[StrictInt, Field(gt=0)]
    person_id: Annotated[StrictInt, Field(gt=0)]
    sealed: StrictStr
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class RevokedPass(_Body):
    """A visitor pass this device must refuse although its signature is good:
    revoked by the resident or the guard, or used up across all doors. Kept until
    ``until`` (the pass's own end), after which the pass is refused anyway."""

    pass_id: Annotated[StrictStr, Field(min_length=1, max_length=40)]
    until: AwareDatetime


class SyncUpserts(_Body):
    people: list[PersonEntry] = []
    credentials: list[CredentialEntry] = []
    faces: list[FaceEntry] = []
    revoked_passes: list[RevokedPass] = []


class SyncDeletes(_Body):
    people: list[StrictInt] = []
    credentials: list[StrictInt] = []
    faces: list[StrictInt] = []
    revoked_passes: list[StrictStr] = []


class Sync(_Body):
    version: NonNegInt
    base: NonNegInt
    full: StrictBool
    upserts: SyncUpserts = SyncUpserts()
    deletes: SyncDeletes = SyncDeletes()
    tz: StrictStr = "Asia/Shanghai"
    #: the access credential key sealed for this device; sent with full snapshots
    credential_key: StrictStr = ""
    #: the platform's Ed25519 public key (visitor passes, broadcast notices); sent with full snapshots
    platform_key: StrictStr = ""


def window_contains(window: Window, local: datetime) -> bool:
    """Is the local wall-clock time ``local`` inside ``window``?"""
    if str(local.isoweekday()) not in window.days:
        return False
    minute = local.hour * 60 + local.minute
    start_h, start_m = map(int, window.start.split(":"))
    end_h, end_m = map(int, window.end.split(":"))
    return start_h * 60 + start_m <= minute < end_h * 60 + end_m


def grant_holds(grant: Grant, moment: datetime, tz: str = "Asia/Shanghai") -> bool:
    """Does ``grant`` let its person through at ``moment`` (aware)? The door's rule."""
    from zoneinfo import ZoneInfo

    if grant.valid_from is not None and moment < grant.valid_from:
        return False
    if grant.valid_until is not None and moment >= grant.valid_until:
        return False
    if not grant.windows:
        return True
    local = moment.astimezone(ZoneInfo(tz))
    return any(window_contains(window, local) for window in grant.windows)


def person_may_pass(entry: PersonEntry, moment: datetime, tz: str = "Asia/Shanghai") -> bool:
    return any(grant_holds(grant, moment, tz) for grant in entry.grants)


def heartbeat_parse(body: Mapping[str, Any]) -> Heartbeat:
    return _validate(Heartbeat, body, "heartbeat")


def ack_parse(body: Mapping[str, Any]) -> SyncApplied | FaceDeleted | CmdResult:
    kind = body.get("type") if isinstance(body, Mapping) else None
    model = _ACK_TYPES.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise ProtocolError(f"ack has unknown type {kind!r}", "body")
    return _validate(model, body, "ack")


def evack_parse(body: Mapping[str, Any]) -> Evack:
    return _validate(Evack, body, "evack")


def state_parse(body: Mapping[str, Any]) -> State:
    return _validate(State, body, "state")


def cmd_parse(body: Mapping[str, Any]) -> Command:
    return _validate(Command, body, "cmd")


def sync_parse(body: Mapping[str, Any]) -> Sync:
    return _validate(Sync, body, "sync")


# ---- body builders (so no peer spells a body by hand)


def heartbeat_body(*, uptime: float, synced_version: int, outbox: int) -> dict:
    return Heartbeat(uptime=uptime, synced_version=synced_version, outbox=outbox).model_dump(mode="json")


def sync_applied_body(version: int) -> dict:
    return {"type": "sync_applied", "version": version}


def face_deleted_body(template_ids: list[int]) -> dict:
    return {"type": "face_deleted", "template_ids": list(template_ids)}


def cmd_result_body(*, cmd_id: str, ok: bool, reason: str = "") -> dict:
    return {"type": "cmd_result", "cmd_id": cmd_id, "ok": ok, "reason": reason}


def evack_body(event_ids: list[str]) -> dict:
    return {"event_ids": list(event_ids)}


def state_body(latest_version: int) -> dict:
    return {"latest_version": latest_version}


def cmd_body(cmd: str, **params: Any) -> dict:
    """A command with a fresh ``cmd_id`` unless one is given."""
    params.setdefault("cmd_id", secrets.token_hex(8))
    return {"cmd": cmd, **params}


def events_body(events: list[Event | Mapping[str, Any]]) -> dict:
    return {"events": [e.model_dump(mode="json") if isinstance(e, Event) else dict(e) for e in events]}


def _validate(model: type[_Body], data: Any, what: str):
    if not isinstance(data, Mapping):
        raise ProtocolError(f"{what} body is not a JSON object", "body")
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        raise ProtocolError(f"{what}: {_first_error(error)}", "body") from None


def _first_error(error: ValidationError) -> str:
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    if first["type"] == "missing":
        return f"missing field {where}"
    return f"{where}: {first['msg']}"


# ---------------------------------------------------------------- broadcasts


def broadcast_topic(area_id: int, name: str) -> str:
    """``shequ/v1/area/{area_id}/{name}``: every device under the area subscribes to the
    broadcast topics of its area and of each area above it (``broadcast_subscriptions``)."""
    if name not in BROADCAST_MESSAGES:
        raise ProtocolError(f"unknown broadcast name {name!r}", "topic")
    if not isinstance(area_id, int) or isinstance(area_id, bool) or area_id <= 0:
        raise ProtocolError(f"invalid area id {area_id!r}", "topic")
    return f"{BROADCAST_ROOT}/{area_id}/{name}"


def broadcast_subscriptions(area_ids: list[int]) -> list[tuple[str, int]]:
    """What a device placed at the last of ``area_ids`` (its path, root first) subscribes to."""
    return [(broadcast_topic(area_id, name), qos) for area_id in area_ids for name, qos in BROADCAST_MESSAGES.items()]


def area_ids_of_path(path: str) -> list[int]:
    """``/1/5/9/`` -> [1, 5, 9]: the area ids from the root down (the area tree's path column)."""
    return [int(part) for part in path.strip("/").split("/") if part]


_BROADCAST_KEYS = frozenset({"v", "area_id", "name", "ts", "body", "sig"})


def broadcast_encode(*, area_id: int, name: str, body: Mapping[str, Any], private_key, ts: datetime | None = None) -> bytes:
    """A broadcast signed with the platform's Ed25519 key (``shequ.core.signing``)."""
    from shequ.core import signing

    broadcast_topic(area_id, name)  # validates both
    unsigned = {"v": PROTOCOL_VERSION, "area_id": area_id, "name": name, "ts": timestamp(ts), "body": dict(body)}
    return canonical_json({**unsigned, "sig": signing.sign(private_key, canonical_json(unsigned))})


def broadcast_open(raw: bytes | str, public_key: str) -> dict:
    """Decode and verify a broadcast; returns the envelope (``area_id``, ``name``, ``ts``, ``body``).
    Raises ProtocolError (codes ``json``, ``shape``, ``version``, ``signature``)."""
    from shequ.core import signing

    try:
        envelope = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ProtocolError(f"not JSON: {error}", "json") from None
    if not isinstance(envelope, dict) or set(envelope) != _BROADCAST_KEYS:
        raise ProtocolError("broadcast keys must be exactly " + ", ".join(sorted(_BROADCAST_KEYS)), "shape")
    if envelope["v"] != PROTOCOL_VERSION:
        raise ProtocolError(f"unsupported protocol version {envelope['v']!r}", "version")
    if envelope["name"] not in BROADCAST_MESSAGES or not isinstance(envelope["body"], dict):
        raise ProtocolError("unknown broadcast or body not an object", "shape")
    unsigned = {key: value for key, value in envelope.items() if key != "sig"}
    if not isinstance(envelope["sig"], str) or not signing.verify(public_key, canonical_json(unsigned), envelope["sig"]):
        raise ProtocolError("bad platform signature", "signature")
    return envelope
