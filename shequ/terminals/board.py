"""What a terminal shows: the notices of its areas, as the platform last signed them.

No Django here: the terminal simulator (and a real terminal's program) verifies
broadcasts with only :mod:`shequ.access.protocol` and the platform's public key.

A notice broadcast (``shequ/v1/area/{area_id}/notice``, docs/mqtt.md) carries the
body the notices app defines (``shequ.notices.broadcast``): ``{"op": "publish",
"notice_id": 42, "title", "body", "urgent", "expires_at", ...}`` or ``{"op":
"withdraw", "notice_id": 42}``. The same notice may come again: a QoS 1 redelivery
(same signing time: a *repeat*), a newer version (a later ``ts``: it replaces what
is shown) or a withdrawal (it disappears). The envelope's ``ts``, covered by the
platform's signature, orders them, so a delayed older copy can neither bring back
a withdrawn notice nor undo a newer version.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shequ.access import protocol

#: notice ids remembered (shown, edited or withdrawn); the oldest are forgotten beyond this
MEMORY = 2_000

# outcomes of :meth:`NoticeBoard.offer`
NEW, UPDATED, WITHDRAWN = "new", "updated", "withdrawn"
REPEAT, STALE = "repeat", "stale"
BAD_SIGNATURE, NO_KEY, MALFORMED, OTHER_AREA = "bad_signature", "no_key", "malformed", "other_area"
#: outcomes after which the board changed
CHANGED = frozenset({NEW, UPDATED, WITHDRAWN})


@dataclass(frozen=True)
class Notice:
    notice_id: str
    area_id: int
    ts: datetime
    title: str = ""
    text: str = ""
    urgent: bool = False
    expires_at: datetime | None = None
    body: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def is_live(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class Offer:
    """What became of one received broadcast."""

    outcome: str
    notice_id: str = ""
    notice: Notice | None = None
    reason: str = ""

    @property
    def changed(self) -> bool:
        return self.outcome in CHANGED


@dataclass
class _Known:
    ts: datetime
    notice: Notice | None  # None: withdrawn


class NoticeBoard:
    """The notices of one terminal: verified, deduplicated by id, latest kept, withdrawn dropped."""

    def __init__(self, platform_key: str = "", area_ids: Iterable[int] = ()) -> None:
        self.platform_key = platform_key
        self.area_ids = frozenset(area_ids)
        self._known: OrderedDict[str, _Known] = OrderedDict()

    def offer(self, raw: bytes | str) -> Offer:
        """A broadcast as received from the broker: verified before anything else."""
        if not self.platform_key:
            # nothing to verify with yet (no full sync, not provisioned): showing it unverified is what a forger wants
            return Offer(NO_KEY, reason="platform key unknown")
        try:
            envelope = protocol.broadcast_open(raw, self.platform_key)
        except protocol.ProtocolError as error:
            outcome = BAD_SIGNATURE if error.code == "signature" else MALFORMED
            return Offer(outcome, reason=error.reason)
        if envelope["name"] != "notice":
            return Offer(MALFORMED, reason=f"not a notice: {envelope['name']}")
        if self.area_ids and envelope["area_id"] not in self.area_ids:
            # genuine, but for another area: someone republished it on our topic
            return Offer(OTHER_AREA, reason=f"notice for area {envelope['area_id']}")
        try:
            ts = datetime.fromisoformat(envelope["ts"])
        except (TypeError, ValueError):
            return Offer(MALFORMED, reason="ts is not ISO-8601")
        return self.apply(area_id=envelope["area_id"], ts=ts, body=envelope["body"])

    def apply(self, *, area_id: int, ts: datetime, body: Mapping[str, Any]) -> Offer:
        """A notice already trusted (verified above, or read from the platform's own queue)."""
        try:
            notice_id, notice, withdrawn = _parse(area_id, ts, body)
        except ValueError as error:
            return Offer(MALFORMED, reason=str(error))
        known = self._known.get(notice_id)
        if known is not None:
            if ts == known.ts:
                return Offer(REPEAT, notice_id, known.notice)
            if ts < known.ts:
                return Offer(STALE, notice_id, known.notice)
        self._known[notice_id] = _Known(ts, None if withdrawn else notice)
        self._known.move_to_end(notice_id)
        while len(self._known) > MEMORY:
            self._known.popitem(last=False)
        if withdrawn:
            return Offer(WITHDRAWN, notice_id)
        return Offer(UPDATED if known is not None and known.notice is not None else NEW, notice_id, notice)

    def current(self, now: datetime | None = None) -> list[Notice]:
        """Live notices, urgent first, then newest first."""
        now = now or datetime.now(UTC)
        live = [known.notice for known in self._known.values() if known.notice is not None and known.notice.is_live(now)]
        return sorted(live, key=lambda notice: (not notice.urgent, -notice.ts.timestamp()))

    def get(self, notice_id: str | int) -> Notice | None:
        known = self._known.get(str(notice_id))
        return known.notice if known is not None else None


def _parse(area_id: int, ts: datetime, body: Mapping[str, Any]) -> tuple[str, Notice, bool]:
    if ts.tzinfo is None:
        raise ValueError("ts has no UTC offset")
    notice_id = body.get("notice_id")
    if isinstance(notice_id, bool) or not isinstance(notice_id, (str, int)) or not str(notice_id).strip():
        raise ValueError("notice_id missing")
    expires_at = body.get("expires_at")
    if expires_at is not None:
        try:
            expires_at = datetime.fromisoformat(expires_at)
        except (TypeError, ValueError):
            raise ValueError("expires_at is not ISO-8601") from None
        if expires_at.tzinfo is None:
            raise ValueError("expires_at has no UTC offset")
    notice = Notice(notice_id=str(notice_id), area_id=area_id, ts=ts, title=str(body.get("title") or "")[:200],
                    text=str(body.get("body") or "")[:4000], urgent=body.get("urgent") is True,
                    expires_at=expires_at, body=dict(body))
    return notice.notice_id, notice, body.get("op") == "withdraw"
