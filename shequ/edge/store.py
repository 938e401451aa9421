"""The door's local memory: one SQLite file (stdlib ``sqlite3``, no Django).

It holds what the door needs to decide alone — people and their grants,
credentials (digests and plates), revocations, face templates, the synced
version and the credential key — and the outbox: every event the door produced,
kept until the platform acknowledges it with ``evack``.

Durability: WAL with ``synchronous=FULL``, so an event that was written survives
a power cut of the gate PC (each write is one fsync of the WAL, well under a
millisecond on the flash of a gate PC; measured in bench/gate_decision.py).
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from shequ.access import protocol
from shequ.core import signing
from shequ.edge.face.gallery import Gallery
from shequ.edge.face.pipeline import DIMENSIONS, normalise

logger = logging.getLogger(__name__)

#: removed credentials remembered to tell "revoked" from "unknown" in refusal events
REVOCATIONS_KEPT = 20_000
#: how long a command id is remembered against replays (docs/mqtt.md: 10 minutes)
COMMAND_MEMORY_SECONDS = 600
#: a pass's local use count is forgotten this long after its last use; the platform
#: issues passes for at most 30 days, so the count outlives every pass it counts
PASS_USES_KEPT_SECONDS = 40 * 86400

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS people (person_id INTEGER PRIMARY KEY, grants TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS credentials (
    credential_id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL, kind TEXT NOT NULL,
    digest TEXT NOT NULL DEFAULT '', plate TEXT NOT NULL DEFAULT '', valid_from REAL, valid_until REAL);
-- the door's lookups: a presented card/PIN/QR by digest, a plate by its text
CREATE INDEX IF NOT EXISTS credentials_digest ON credentials (kind, digest);
CREATE INDEX IF NOT EXISTS credentials_plate ON credentials (plate);
CREATE TABLE IF NOT EXISTS faces (
    template_id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL, vector BLOB NOT NULL,
    valid_from REAL, valid_until REAL);
CREATE TABLE IF NOT EXISTS revocations (
    kind TEXT NOT NULL, value TEXT NOT NULL, credential_id INTEGER NOT NULL, version INTEGER NOT NULL,
    PRIMARY KEY (kind, value));
-- templates erased here that the platform has not yet been told about (ack face_deleted)
CREATE TABLE IF NOT EXISTS face_deletions (template_id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL, sent_at REAL);
CREATE TABLE IF NOT EXISTS seen_commands (cmd_id TEXT PRIMARY KEY, seen_at REAL NOT NULL);
-- visitor passes to refuse although their signature is good (revoked, or used up across doors)
CREATE TABLE IF NOT EXISTS revoked_passes (pass_id TEXT PRIMARY KEY, until REAL NOT NULL);
-- entries through this door per visitor pass, counted here so the limit holds offline
CREATE TABLE IF NOT EXISTS pass_uses (pass_id TEXT PRIMARY KEY, uses INTEGER NOT NULL, last_at REAL NOT NULL);
"""


@dataclass(frozen=True)
class CredentialRow:
    credential_id: int
    person_id: int
    kind: str
    valid_from: float | None
    valid_until: float | None


@dataclass(frozen=True)
class FaceRow:
    template_id: int
    person_id: int
    valid_from: float | None
    valid_until: float | None


@dataclass(frozen=True)
class SyncOutcome:
    """What became of a ``sync``: ``applied``, ``stale`` (version not newer) or ``gap``
    (a delta whose base is ahead of us: ask again with a heartbeat)."""

    status: str
    version: int
    faces_changed: bool = False
    skipped_faces: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class OutboxItem:
    event_id: str
    event: dict


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def within(valid_from: float | None, valid_until: float | None, now: float) -> str:
    """'' when ``now`` is inside [from, until), else ``not_yet_valid`` or ``expired``."""
    if valid_from is not None and now < valid_from:
        return "not_yet_valid"
    if valid_until is not None and now >= valid_until:
        return "expired"
    return ""


class EdgeStore:
    """The SQLite file of one door. Use from one thread (the edge's event loop)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None)  # transactions are explicit
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._credential_key: bytes | None = None
        self._platform_key: str | None = None
        with self._tx():
            if self._meta("store_id") is None:
                # event ids carry the store's own id: a replaced or wiped SQLite file
                # restarts the counter, and must not reuse ids the platform already has
                self._set_meta("store_id", secrets.token_hex(4))
                self._set_meta("event_seq", "0")
                self._set_meta("synced_version", "0")
        self.store_id = self._meta("store_id")
        self.device_id = self._meta("device_id") or ""

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    # ---------------------------------------------------------------- sync state

    @property
    def synced_version(self) -> int:
        return int(self._meta("synced_version") or 0)

    def forget_version(self) -> None:
        """``cmd resync``: ask for a full snapshot with the next heartbeat."""
        with self._tx():
            self._set_meta("synced_version", "0")

    @property
    def tz(self) -> str:
        return self._meta("tz") or "Asia/Shanghai"

    def credential_key(self, secret: str) -> bytes | None:
        """The access credential key (unsealed with the device secret), None before the first snapshot."""
        if self._credential_key is None:
            sealed = self._meta("credential_key")
            if sealed:
                self._credential_key = protocol.unseal(secret, protocol.CREDENTIAL_KEY_PURPOSE, sealed)
        return self._credential_key

    def device_bind(self, device_id: str) -> None:
        """Record the door this store belongs to: a visitor pass names the doors it opens."""
        if device_id != self.device_id:
            with self._tx():
                self._set_meta("device_id", device_id)
            self.device_id = device_id

    @property
    def platform_key(self) -> str | None:
        """The platform's Ed25519 public key (visitor passes), None before a full snapshot carried it."""
        if self._platform_key is None:
            self._platform_key = self._meta("platform_key") or None
        return self._platform_key

    def sync_apply(self, sync: protocol.Sync, *, secret: str) -> SyncOutcome:
        """Apply a parsed ``sync`` in one transaction (docs/mqtt.md, "Applying")."""
        current = self.synced_version
        if sync.version <= current:
            return SyncOutcome("stale", current)
        if not sync.full and sync.base > current:
            return SyncOutcome("gap", current)
        if sync.credential_key:
            protocol.unseal(secret, protocol.CREDENTIAL_KEY_PURPOSE, sync.credential_key)  # refuse a bad one now
        if sync.platform_key:
            try:
                signing.public_key_load(sync.platform_key)
            except ValueError as error:
                raise protocol.ProtocolError(f"sync carries a bad platform key: {error}", "body") from error
        faces, skipped = self._unseal_faces(sync.upserts.faces, secret)
        removed_faces: set[int] = set(sync.deletes.faces)
        with self._tx() as db:
            if sync.full:
                removed_faces |= {row[0] for row in db.execute("SELECT template_id FROM faces")}
                kept = {c.credential_id for c in sync.upserts.credentials}
                self._revoke(db, [row[0] for row in db.execute("SELECT credential_id FROM credentials")
                                  if row[0] not in kept], sync.version)
                db.execute("DELETE FROM people")
                db.execute("DELETE FROM credentials")
                db.execute("DELETE FROM faces")
                db.execute("DELETE FROM revoked_passes")
            db.executemany("INSERT OR REPLACE INTO people (person_id, grants) VALUES (?, ?)",
                           [(p.person_id, json.dumps([g.model_dump(mode="json") for g in p.grants]))
                            for p in sync.upserts.people])
            for credential in sync.upserts.credentials:
                value = credential.plate if credential.kind == "plate" else credential.digest
                db.execute("DELETE FROM revocations WHERE kind = ? AND value = ?", (credential.kind, value))
            db.executemany(
                "INSERT OR REPLACE INTO credentials (credential_id, person_id, kind, digest, plate, valid_from, "
                "valid_until) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(c.credential_id, c.person_id, c.kind, c.digest if c.kind != "plate" else "",
                  normalise_plate(c.plate) if c.kind == "plate" else "", _epoch(c.valid_from), _epoch(c.valid_until))
                 for c in sync.upserts.credentials])
            db.executemany(
                "INSERT OR REPLACE INTO faces (template_id, person_id, vector, valid_from, valid_until) "
                "VALUES (?, ?, ?, ?, ?)", faces)
            removed_faces -= {row[0] for row in faces}
            self._revoke(db, sync.deletes.credentials, sync.version)
            db.executemany("DELETE FROM credentials WHERE credential_id = ?", [(i,) for i in sync.deletes.credentials])
            db.executemany("DELETE FROM people WHERE person_id = ?", [(i,) for i in sync.deletes.people])
            db.executemany("DELETE FROM faces WHERE template_id = ?", [(i,) for i in removed_faces])
            db.executemany("INSERT OR IGNORE INTO face_deletions (template_id) VALUES (?)",
                           [(i,) for i in removed_faces])
            self._passes_apply(db, sync)
            self._set_meta("synced_version", str(sync.version))
            self._set_meta("tz", sync.tz)
            if sync.platform_key:
                self._set_meta("platform_key", sync.platform_key)
                self._platform_key = None
            if sync.credential_key:
                self._set_meta("credential_key", sync.credential_key)
                self._credential_key = None
        return SyncOutcome("applied", sync.version, faces_changed=bool(faces or removed_faces or sync.full),
                           skipped_faces=skipped)

    @staticmethod
    def _passes_apply(db: sqlite3.Connection, sync: protocol.Sync) -> None:
        db.executemany("INSERT OR REPLACE INTO revoked_passes (pass_id, until) VALUES (?, ?)",
                       [(entry.pass_id, entry.until.timestamp()) for entry in sync.upserts.revoked_passes])
        db.executemany("DELETE FROM revoked_passes WHERE pass_id = ?", [(i,) for i in sync.deletes.revoked_passes])
        now = time.time()
        # a pass past its end is refused by its own window: neither list needs it any more
        db.execute("DELETE FROM revoked_passes WHERE until <= ?", (now,))
        db.execute("DELETE FROM pass_uses WHERE last_at < ?", (now - PASS_USES_KEPT_SECONDS,))

    def _unseal_faces(self, entries: Iterable[protocol.FaceEntry], secret: str) -> tuple[list[tuple], list[int]]:
        rows, skipped = [], []
        for entry in entries:
            try:
                raw = protocol.unseal(secret, protocol.face_purpose(entry.template_id), entry.sealed)
                vector = normalise(np.frombuffer(raw, dtype="<f4"))
            except (protocol.ProtocolError, ValueError):
                # one bad template must not keep the door from every other change
                logger.warning("face template %s cannot be opened; skipped", entry.template_id)
                skipped.append(entry.template_id)
                continue
            rows.append((entry.template_id, entry.person_id, vector.astype("<f4").tobytes(),
                         _epoch(entry.valid_from), _epoch(entry.valid_until)))
        return rows, skipped

    def _revoke(self, db: sqlite3.Connection, credential_ids: Iterable[int], version: int) -> None:
        ids = list(credential_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            db.execute(f"INSERT OR REPLACE INTO revocations (kind, value, credential_id, version) "
                       f"SELECT kind, CASE kind WHEN 'plate' THEN plate ELSE digest END, credential_id, ? "
                       f"FROM credentials WHERE credential_id IN ({marks})", (version, *chunk))
        db.execute("DELETE FROM revocations WHERE rowid NOT IN "
                   "(SELECT rowid FROM revocations ORDER BY version DESC LIMIT ?)", (REVOCATIONS_KEPT,))

    # ---------------------------------------------------------------- lookups (the door's path)

    def credentials_find(self, kind: str, digest: str) -> list[CredentialRow]:
        return [CredentialRow(*row) for row in self._db.execute(
            "SELECT credential_id, person_id, kind, valid_from, valid_until FROM credentials "
            "WHERE kind = ? AND digest = ?", (kind, digest))]

    def plates_find(self, plate: str) -> list[CredentialRow]:
        return [CredentialRow(*row) for row in self._db.execute(
            "SELECT credential_id, person_id, kind, valid_from, valid_until FROM credentials "
            "WHERE plate = ? AND kind = 'plate'", (normalise_plate(plate),))]

    def is_revoked(self, kind: str, value: str) -> bool:
        return self._db.execute("SELECT 1 FROM revocations WHERE kind = ? AND value = ?",
                                (kind, value)).fetchone() is not None

    def pass_is_revoked(self, pass_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM revoked_passes WHERE pass_id = ?", (pass_id,)).fetchone() is not None

    def pass_uses(self, pass_id: str) -> int:
        """Entries through this door with the visitor pass ``pass_id`` so far."""
        row = self._db.execute("SELECT uses FROM pass_uses WHERE pass_id = ?", (pass_id,)).fetchone()
        return row[0] if row else 0

    def person(self, person_id: int) -> protocol.PersonEntry | None:
        row = self._db.execute("SELECT grants FROM people WHERE person_id = ?", (person_id,)).fetchone()
        if row is None:
            return None
        return protocol.PersonEntry.model_validate({"person_id": person_id, "grants": json.loads(row[0])})

    def face(self, template_id: int) -> FaceRow | None:
        row = self._db.execute("SELECT template_id, person_id, valid_from, valid_until FROM faces "
                               "WHERE template_id = ?", (template_id,)).fetchone()
        return FaceRow(*row) if row else None

    def gallery(self) -> Gallery:
        """Every template as one matrix for 1:N search."""
        rows = self._db.execute("SELECT template_id, person_id, vector FROM faces ORDER BY template_id").fetchall()
        if not rows:
            return Gallery.empty()
        vectors = np.frombuffer(b"".join(row[2] for row in rows), dtype="<f4").reshape(len(rows), DIMENSIONS)
        return Gallery([row[0] for row in rows], [row[1] for row in rows], vectors.astype(np.float32))

    def counts(self) -> dict[str, int]:
        return {table: self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
                for table in ("people", "credentials", "faces", "revocations", "outbox")}

    # ---------------------------------------------------------------- face deletions to confirm

    def face_deletions_pending(self) -> list[int]:
        return [row[0] for row in self._db.execute("SELECT template_id FROM face_deletions ORDER BY template_id")]

    def face_deletions_confirmed(self, template_ids: Iterable[int]) -> None:
        with self._tx() as db:
            db.executemany("DELETE FROM face_deletions WHERE template_id = ?", [(i,) for i in template_ids])

    # ---------------------------------------------------------------- outbox

    def event_add(self, kind: str, *, credential_kind: str = "", person_id: int | None = None, plate: str = "",
                  direction: str = "", reason: str = "", pass_id: str = "", at: datetime | None = None) -> dict:
        """Record an event in the outbox (one transaction) and return it. A visitor pass
        let through counts one use of it here, in the same transaction as its event."""
        moment = at or datetime.now(UTC)
        with self._tx() as db:
            seq = int(self._meta("event_seq") or 0) + 1
            self._set_meta("event_seq", str(seq))
            event = {"event_id": f"{self.store_id}-{seq}", "kind": kind,
                     "occurred_at": protocol.timestamp(moment),
                     "credential_kind": credential_kind, "person_id": person_id, "plate": plate[:10],
                     "direction": direction, "reason": reason[:40]}
            if pass_id:
                event["pass_id"] = pass_id[:40]
                if kind == "pass":
                    db.execute("INSERT INTO pass_uses (pass_id, uses, last_at) VALUES (?, 1, ?) ON CONFLICT (pass_id) "
                               "DO UPDATE SET uses = uses + 1, last_at = excluded.last_at",
                               (pass_id, moment.timestamp()))
            db.execute("INSERT INTO outbox (event_id, body) VALUES (?, ?)", (event["event_id"], json.dumps(event)))
        return event

    def outbox_due(self, *, now: float, resend_after: float, limit: int) -> list[OutboxItem]:
        """Oldest events never sent, or sent more than ``resend_after`` seconds ago without an evack."""
        rows = self._db.execute("SELECT event_id, body FROM outbox WHERE sent_at IS NULL OR sent_at <= ? "
                                "ORDER BY seq LIMIT ?", (now - resend_after, limit)).fetchall()
        return [OutboxItem(row[0], json.loads(row[1])) for row in rows]

    def outbox_in_flight(self, *, now: float, resend_after: float) -> int:
        return self._db.execute("SELECT count(*) FROM outbox WHERE sent_at > ?", (now - resend_after,)).fetchone()[0]

    def outbox_mark_sent(self, event_ids: Iterable[str], *, now: float) -> None:
        with self._tx() as db:
            db.executemany("UPDATE outbox SET sent_at = ? WHERE event_id = ?", [(now, i) for i in event_ids])

    def outbox_unsend_all(self) -> None:
        """After a reconnect everything unacknowledged goes again (evacks may have been lost)."""
        with self._tx() as db:
            db.execute("UPDATE outbox SET sent_at = NULL WHERE sent_at IS NOT NULL")

    def outbox_ack(self, event_ids: Iterable[str]) -> int:
        """Forget events the platform has stored; unknown ids (a repeated evack) are ignored."""
        with self._tx() as db:
            before = db.total_changes
            db.executemany("DELETE FROM outbox WHERE event_id = ?", [(i,) for i in event_ids])
            return db.total_changes - before

    def outbox_count(self) -> int:
        return self._db.execute("SELECT count(*) FROM outbox").fetchone()[0]

    # ---------------------------------------------------------------- commands

    def command_first_seen(self, cmd_id: str, *, now: float | None = None) -> bool:
        """Remember ``cmd_id``; False if it was seen in the last 10 minutes (a replay)."""
        now = time.time() if now is None else now
        with self._tx() as db:
            db.execute("DELETE FROM seen_commands WHERE seen_at < ?", (now - COMMAND_MEMORY_SECONDS,))
            inserted = db.execute("INSERT OR IGNORE INTO seen_commands (cmd_id, seen_at) VALUES (?, ?)",
                                  (cmd_id, now)).rowcount
        return inserted == 1


def normalise_plate(text: str) -> str:
    """Plate text as the platform sends it (GA 36: upper case, no separators)."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -·.•_").strip()
