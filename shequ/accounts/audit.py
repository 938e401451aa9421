"""The audit log: append records to the hash chain, and verify it.

Records are written by services (never by signals) with an :class:`Actor` that
says who acted and from where. Personal values never enter the log in clear:
changes to protected fields are logged as their masked forms.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from shequ.accounts.models import AuditRecord, User

GENESIS_HASH = "0" * 64
# arbitrary constant key for pg_advisory_xact_lock: serialises appends to the chain
_CHAIN_LOCK_KEY = 0x5348_4551_5541  # "SHEQUA"


@dataclass(frozen=True)
class Actor:
    """Who does something, from where, through which channel (web, api, cli, import)."""

    user: User | None
    ip: str = ""
    via: str = "web"

    @classmethod
    def from_request(cls, request, via: str = "web") -> Actor:
        user = request.user if getattr(request, "user", None) and request.user.is_authenticated else None
        return cls(user=user, ip=client_ip(request), via=via)

    @classmethod
    def system(cls, via: str = "cli") -> Actor:
        return cls(user=None, ip="", via=via)

    @property
    def name(self) -> str:
        return self.user.get_username() if self.user else f"<{self.via}>"


def client_ip(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is trivially forged unless a known proxy
    # sets it; deployments behind a proxy configure it to overwrite REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "")[:45]


def _canonical(record: AuditRecord) -> bytes:
    body = {
        "seq": record.seq,
        "at": record.at.isoformat(),
        "actor": record.actor_id,
        "actor_name": record.actor_name,
        "ip": record.ip,
        "action": record.action,
        "object_type": record.object_type,
        "object_id": record.object_id,
        "area_path": record.area_path,
        "detail": record.detail,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def compute_hash(prev_hash: str, record: AuditRecord) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(record)).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: transactions are BEGIN IMMEDIATE (settings), so writers are serial already.


@dataclass(frozen=True)
class AuditEntry:
    """One record to append: who did what to which object (see :func:`audit_append`)."""

    actor: Actor
    action: str
    obj: Model | None = None
    object_type: str = ""
    object_id: str = ""
    area_path: str = ""
    detail: dict[str, Any] | None = None


def audit_append(
    *,
    actor: Actor,
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    area_path: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one record to the chain, inside the caller's transaction if any."""
    (record,) = audit_append_many([AuditEntry(actor=actor, action=action, obj=obj, object_type=object_type,
                                              object_id=object_id, area_path=area_path, detail=detail)])
    return record


def audit_append_many(entries: Sequence[AuditEntry]) -> list[AuditRecord]:
    """Append records to the chain in their order, inside the caller's transaction if any.

    One lock, one look at the chain's end and one INSERT however many: the gateway audits
    each alarm a batch of events raises, and the chain's lock is held until commit."""
    if not entries:
        return []
    with transaction.atomic():
        _lock_chain()
        last = AuditRecord.objects.order_by("-seq").values("seq", "hash").first()
        seq, prev_hash = (last["seq"], last["hash"]) if last else (0, GENESIS_HASH)
        at = timezone.now()
        records = []
        for entry in entries:
            seq += 1
            record = _record_of(entry, seq=seq, at=at, prev_hash=prev_hash)
            records.append(record)
            prev_hash = record.hash
        AuditRecord.objects.bulk_create(records)
    return records


def _record_of(entry: AuditEntry, *, seq: int, at: datetime, prev_hash: str) -> AuditRecord:
    obj = entry.obj
    object_type, object_id, area_path = entry.object_type, entry.object_id, entry.area_path
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        area_path = area_path or _area_path_of(obj)
    actor = entry.actor
    record = AuditRecord(
        seq=seq,
        at=at,
        actor=actor.user,
        actor_name=actor.name,
        ip=actor.ip,
        action=entry.action,
        object_type=object_type,
        object_id=object_id,
        area_path=area_path,
        detail=json.loads(json.dumps(entry.detail or {}, default=str)),
        prev_hash=prev_hash,
    )
    record.detail.setdefault("via", actor.via)
    record.hash = compute_hash(prev_hash, record)
    return record


def _area_path_of(obj: Model) -> str:
    if isinstance(getattr(obj, "path", None), str):  # an Area itself
        return obj.path
    area = getattr(obj, "area", None)
    if area is not None:
        return area.path
    return ""


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str
    #: "missing", "link" or "edited", for pages that word the reason in the user's language
    code: str = ""


def _records_in_order(chunk: int = 5000) -> Iterator[AuditRecord]:
    last_seq = 0
    while True:
        batch = list(AuditRecord.objects.filter(seq__gt=last_seq).order_by("seq")[:chunk])
        if not batch:
            return
        yield from batch
        last_seq = batch[-1].seq


def audit_verify() -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain; return (records checked, problems in seq order).

    A deleted record shows as a gap in ``seq`` and a ``prev_hash`` that no longer
    matches; an edited one as a hash that no longer matches its content.
    """
    problems: list[ChainProblem] = []
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for record in _records_in_order():
        checked += 1
        if record.seq != expected_seq:
            problems.append(ChainProblem(expected_seq, f"records {expected_seq}..{record.seq - 1} are missing (deleted)", "missing"))
        if record.prev_hash != prev_hash:
            problems.append(ChainProblem(record.seq, "link to the previous record is broken", "link"))
        if compute_hash(record.prev_hash, record) != record.hash:
            problems.append(ChainProblem(record.seq, "content does not match its hash (edited)", "edited"))
        expected_seq, prev_hash = record.seq + 1, record.hash
    return checked, problems


def format_time(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
