"""What terminals receive about notices: the ``body`` of the ``notice`` broadcast.

The notices services queue these with
``shequ.access.services.outbound.outbound_broadcast(area=..., name="notice", body=...)``
inside the transaction that publishes or withdraws the notice; ``shequ gateway``
wraps the body in the signed broadcast envelope (``protocol.broadcast_encode``,
platform Ed25519 key) on ``shequ/v1/area/{area_id}/notice``. A terminal
subscribes to the topics of its own area and every area above it
(``protocol.broadcast_subscriptions``), so one broadcast to a complex reaches
every terminal in it.

One broadcast is queued per audience area (areas lying under another audience
area are left out: their terminals get the parent's copy). A care-group
audience reaches the indoor terminals of the households concerned: one
broadcast per such house node not already covered by an audience area.

Publish body (``op`` = ``"publish"``)::

    {
      "op": "publish",
      "notice_id": 42,                      # int, stable: a later withdraw names it
      "title": "停水通知",                    # plain text, <= 100 characters
      "body": "因管道检修……\\n请提前储水。",   # plain text with "\\n" line breaks; never HTML:
                                            #   terminals must escape it when rendering
      "truncated": false,                   # true when "body" was cut to fit the size budget;
                                            #   the full text is on the resident pages
      "category": "utilities",              # Notice.Category value
      "category_label": "停水停电",           # its label in the platform's default language
      "urgent": true,                       # show at once, over anything else, with sound
      "published_at": "2025-05-17T09:00:00+08:00",   # ISO 8601 with offset
      "expires_at": "2025-05-18T18:00:00+08:00"      # ISO 8601 with offset, or null: drop it then
    }

Withdraw body (``op`` = ``"withdraw"``): the terminal drops the notice::

    {"op": "withdraw", "notice_id": 42, "withdrawn_at": "2025-05-17T10:12:00+08:00"}

The canonical JSON of a body stays under :data:`MAX_BODY_BYTES` (UTF-8), so the
whole signed envelope stays under ~4 KB whatever the notice's length: the text
is cut at a character boundary and ``truncated`` set.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone, translation

from shequ.access import protocol

if TYPE_CHECKING:
    from shequ.notices.models import Notice

#: budget for the body's canonical JSON; the envelope adds ~250 bytes (keys, ts, 88-byte signature)
MAX_BODY_BYTES = 3584
ELLIPSIS = "……"


def _time(moment: datetime | None) -> str | None:
    return protocol.timestamp(timezone.localtime(moment)) if moment else None


def _size(body: dict[str, Any]) -> int:
    return len(protocol.canonical_json(body))


def notice_broadcast_body(notice: Notice) -> dict[str, Any]:
    """The ``publish`` body for ``notice`` (published: ``published_at`` is set)."""
    with translation.override("zh-hans"):
        label = str(notice.Category(notice.category).label)
    body = {
        "op": "publish", "notice_id": notice.pk, "title": notice.title, "body": notice.body, "truncated": False,
        "category": notice.category, "category_label": label, "urgent": notice.urgent,
        "published_at": _time(notice.published_at), "expires_at": _time(notice.expires_at),
    }
    if _size(body) <= MAX_BODY_BYTES:
        return body
    body["truncated"] = True
    text = notice.body
    # cut by halves, then settle: at most ~12 size checks for a 2,000-character body
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        body["body"] = text[:middle] + ELLIPSIS
        if _size(body) <= MAX_BODY_BYTES:
            low = middle
        else:
            high = middle - 1
    body["body"] = text[:low] + ELLIPSIS
    return body


def notice_withdraw_body(notice: Notice) -> dict[str, Any]:
    """The ``withdraw`` body for ``notice`` (withdrawn: ``withdrawn_at`` is set)."""
    return {"op": "withdraw", "notice_id": notice.pk, "withdrawn_at": _time(notice.withdrawn_at)}
