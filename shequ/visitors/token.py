"""Visitor pass tokens: what a visitor's QR code says, signed by the platform.

    SQP1.<payload>.<signature>

``payload`` is canonical JSON (sorted keys, no spaces) in unpadded base64url;
``signature`` is the platform's Ed25519 signature (``shequ.core.signing``) of the
ASCII text ``SQP1.<payload>``, base64url. Signing the text rather than the decoded
JSON means any edit of the prefix or the payload, even one that decodes to the
same bytes, breaks the signature; the signature's own text must be the one
canonical encoding of its 64 bytes, so it cannot be varied either.

Payload keys are one letter to keep the QR code small (a phone camera reads a
small code faster): ``i`` pass id, ``d`` device ids of the doors it opens,
``f``/``u`` valid from/until (epoch seconds, ``f <= now < u``), ``n`` entries
allowed, ``a`` the household's area id.

No Django import: ``shequ edge`` verifies tokens at the door, offline, with the
platform public key it got in its last full sync.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shequ.core import signing

PREFIX = "SQP1"
#: a QR text starting with this is a visitor pass, not a resident's QR credential
TOKEN_START = PREFIX + "."
#: longer texts are refused before any work: a pass with a handful of doors is ~300 characters
TOKEN_MAX = 2048
SIGNATURE_BYTES = 64

# verdict reasons (also the ``reason`` of refusal events at the door)
FORGED = "forged"
MALFORMED = "malformed"
NOT_YET_VALID = "not_yet_valid"
EXPIRED = "expired"
WRONG_DOOR = "wrong_door"


@dataclass(frozen=True)
class PassPayload:
    pass_id: str
    doors: tuple[str, ...]
    valid_from: int
    valid_until: int
    max_entries: int
    area_id: int

    def as_json(self) -> dict:
        return {"i": self.pass_id, "d": list(self.doors), "f": self.valid_from, "u": self.valid_until,
                "n": self.max_entries, "a": self.area_id}

    @classmethod
    def from_json(cls, data: object) -> PassPayload:
        """Raises ValueError unless ``data`` is a payload with every field well typed."""
        if not isinstance(data, dict) or set(data) != {"i", "d", "f", "u", "n", "a"}:
            raise ValueError("not a pass payload")
        pass_id, doors, start, end, entries, area = (data[k] for k in ("i", "d", "f", "u", "n", "a"))
        if not (isinstance(pass_id, str) and 0 < len(pass_id) <= 40):
            raise ValueError("bad pass id")
        if not (isinstance(doors, list) and doors and all(isinstance(d, str) and d for d in doors)):
            raise ValueError("bad doors")
        if not all(type(value) is int for value in (start, end, entries, area)) or entries < 1:
            raise ValueError("bad numbers")
        return cls(pass_id, tuple(doors), start, end, entries, area)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    #: the payload once the signature is good (also on window and door refusals)
    payload: PassPayload | None = None

    @property
    def pass_id(self) -> str:
        return self.payload.pass_id if self.payload is not None else ""


def _canonical(payload: PassPayload) -> bytes:
    return json.dumps(payload.as_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def token_issue(payload: PassPayload, private_key: Ed25519PrivateKey) -> str:
    """The token for ``payload``, signed with the platform key."""
    signed = f"{PREFIX}.{signing.b64url_encode(_canonical(payload))}"
    return f"{signed}.{signing.sign(private_key, signed.encode())}"


def is_pass_token(text: str) -> bool:
    """Does this scanned QR text claim to be a visitor pass?"""
    return isinstance(text, str) and text.startswith(TOKEN_START)


def _epoch(now: float | datetime) -> float:
    return now.timestamp() if isinstance(now, datetime) else float(now)


def token_verify(token: str, public_key_text: str, *, device_id: str, now: float | datetime) -> Verdict:
    """Is ``token`` a pass the platform signed, valid at ``now``, for door ``device_id``?

    Never raises on bad input: anything that is not a well-formed token is
    ``malformed``, a good shape with a bad signature ``forged``."""
    if not isinstance(token, str) or len(token) > TOKEN_MAX or not token.isascii():
        return Verdict(False, MALFORMED)
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return Verdict(False, MALFORMED)
    signed, signature = f"{parts[0]}.{parts[1]}", parts[2]
    try:
        raw_signature = signing.b64url_decode(signature)
    except ValueError:
        return Verdict(False, MALFORMED)
    # base64 decoding forgives stray characters and unused bits: only the canonical text is accepted
    if len(raw_signature) != SIGNATURE_BYTES or signing.b64url_encode(raw_signature) != signature:
        return Verdict(False, FORGED)
    if not signing.verify(public_key_text, signed.encode(), signature):
        return Verdict(False, FORGED)
    try:
        payload = PassPayload.from_json(json.loads(signing.b64url_decode(parts[1])))
    except ValueError:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        return Verdict(False, MALFORMED)
    moment = _epoch(now)
    if moment < payload.valid_from:
        return Verdict(False, NOT_YET_VALID, payload)
    if moment >= payload.valid_until:
        return Verdict(False, EXPIRED, payload)
    if device_id not in payload.doors:
        return Verdict(False, WRONG_DOOR, payload)
    return Verdict(True, "", payload)
