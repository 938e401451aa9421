"""Deciding at the door from the local store alone: no platform needed.

A credential (card, PIN, QR token, plate) or a face match lets a person through
when the credential or template is inside its validity, the person is on this
door's list, and one of their grants holds now (its validity and weekly windows,
docs/mqtt.md "Deciding at the door"). Everything is checked against the door's
clock, so a lease end or an expiring card takes effect on time while the
platform is unreachable. Refusals carry a short reason for the guard room.

A QR text starting ``SQP1.`` is a visitor pass (``shequ.visitors.token``): no
credential list is consulted; the platform's signature, the pass's window and
doors, this door's own count of its uses and the revoked passes of the last sync
decide.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from shequ.access import protocol
from shequ.edge.face.gallery import Match
from shequ.edge.store import EdgeStore, normalise_plate, within
from shequ.visitors.token import is_pass_token, token_verify

#: Unit-vector distance at or under which a face matches (dlib's raw scale: about 0.48).
#: Chosen from measured impostor distances, docs/edge.md "Face match threshold".
FACE_THRESHOLD = 0.34
#: The nearest template of anyone else must be at least this much farther away.
FACE_MARGIN = 0.06

DIGESTED_KINDS = ("card", "pin", "qr")


@dataclass(frozen=True)
class Decision:
    allow: bool
    credential_kind: str
    person_id: int | None = None
    reason: str = ""
    plate: str = ""
    #: the visitor pass presented (credential_kind "pass"), allowed or not
    pass_id: str = ""


@dataclass(frozen=True)
class FacePolicy:
    threshold: float = FACE_THRESHOLD
    margin: float = FACE_MARGIN


def _now(now: datetime | None) -> float:
    return time.time() if now is None else now.timestamp()


def decide_credential(store: EdgeStore, kind: str, value: str, *, key: bytes | None,
                      now: datetime | None = None) -> Decision:
    """A presented card number, PIN or QR token."""
    if kind not in DIGESTED_KINDS:
        raise ValueError(f"not a digested credential kind: {kind!r}")
    if kind == "qr" and is_pass_token(value):
        return decide_pass(store, value, now=now)
    if key is None:
        return Decision(False, kind, reason="no_key")  # never synced: nothing to compare with
    try:
        digest = protocol.credential_digest(key, kind, value)
    except ValueError:
        return Decision(False, kind, reason="bad_value")
    rows = store.credentials_find(kind, digest)
    if not rows:
        return Decision(False, kind, reason="revoked" if store.is_revoked(kind, digest) else "unknown")
    return _first_allowed(store, rows, kind, _now(now))


def decide_pass(store: EdgeStore, token: str, *, now: datetime | None = None) -> Decision:
    """A visitor pass read from a QR code: signed by the platform, inside its window,
    naming this door, not revoked, and used here fewer times than it allows."""
    public_key = store.platform_key
    if public_key is None:
        return Decision(False, "pass", reason="no_key")  # never had a full snapshot: cannot check a signature
    verdict = token_verify(token, public_key, device_id=store.device_id, now=_now(now))
    if not verdict.ok:
        return Decision(False, "pass", reason=verdict.reason, pass_id=verdict.pass_id)
    payload = verdict.payload
    if store.pass_is_revoked(payload.pass_id):
        return Decision(False, "pass", reason="revoked", pass_id=payload.pass_id)
    if store.pass_uses(payload.pass_id) >= payload.max_entries:
        return Decision(False, "pass", reason="exhausted", pass_id=payload.pass_id)
    return Decision(True, "pass", pass_id=payload.pass_id)


def decide_plate(store: EdgeStore, text: str, *, now: datetime | None = None) -> Decision:
    """A plate as the gate camera read it."""
    plate = normalise_plate(text)
    if not plate:
        return Decision(False, "plate", reason="bad_value")
    rows = store.plates_find(plate)
    if not rows:
        reason = "revoked" if store.is_revoked("plate", plate) else "unknown"
        return Decision(False, "plate", reason=reason, plate=plate)
    decision = _first_allowed(store, rows, "plate", _now(now))
    return Decision(decision.allow, "plate", decision.person_id, decision.reason, plate)


def decide_face(store: EdgeStore, match: Match | None, *, policy: FacePolicy = FacePolicy(),
                now: datetime | None = None) -> Decision:
    """The gallery's best match for the face at the door."""
    if match is None:
        return Decision(False, "face", reason="no_match")
    if match.distance > policy.threshold:
        return Decision(False, "face", reason="no_match")
    if match.margin < policy.margin:
        # two different people are both close: refuse rather than guess between them
        return Decision(False, "face", reason="margin")
    row = store.face(match.template_id)
    if row is None:  # deleted since the gallery snapshot was taken
        return Decision(False, "face", reason="unknown")
    moment = _now(now)
    validity = within(row.valid_from, row.valid_until, moment)
    if validity:
        return Decision(False, "face", row.person_id, validity)
    return _person_decision(store, row.person_id, "face", moment)


def _first_allowed(store: EdgeStore, rows, kind: str, moment: float) -> Decision:
    refusal = None
    for row in rows:
        validity = within(row.valid_from, row.valid_until, moment)
        decision = (Decision(False, kind, row.person_id, validity) if validity
                    else _person_decision(store, row.person_id, kind, moment))
        if decision.allow:
            return decision
        refusal = refusal or decision
    return refusal


def _person_decision(store: EdgeStore, person_id: int, kind: str, moment: float) -> Decision:
    entry = store.person(person_id)
    if entry is None:
        return Decision(False, kind, person_id, "no_grant")
    at = datetime.fromtimestamp(moment, UTC)
    if protocol.person_may_pass(entry, at, store.tz):
        return Decision(True, kind, person_id)
    expired = all(g.valid_until is not None and at >= g.valid_until for g in entry.grants)
    return Decision(False, kind, person_id, "expired" if expired else "out_of_window")
