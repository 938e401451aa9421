"""Keyset pagination for API lists: ``?limit=50&after=<cursor>``.

A page is "the next ``limit`` rows after the last one you saw" in a fixed order
ending with ``id``, so each page costs one index range scan however deep it is:
no OFFSET (which reads and throws away every earlier row) and no COUNT (a full
scan on a million people). The cursor is the last row's sort values, JSON in
URL-safe base64: opaque to clients, and harmless if forged, since it only moves
the start of a query that is already scoped to the caller.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The sort values in ``cursor``; ValidationError on the ``after`` field if bad."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size or not all(isinstance(v, (str, int)) for v in values):
        raise ValidationError({"after": _("分页游标无效。")}, code="invalid_cursor")
    return values


def _after_q(keys: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows strictly after ``values`` in the order of ``keys`` (all ascending):
    (a > x) OR (a = x AND b > y) OR ..."""
    condition = Q()
    for i, key in enumerate(keys):
        step = Q(**{f"{key}__gt": values[i]})
        for prior, value in zip(keys[:i], values[:i]):
            step &= Q(**{prior: value})
        condition |= step
    return condition


def keyset_page(queryset: QuerySet, *, limit: int, after: str | None, keys: Sequence[str] = ("id",)) -> dict[str, Any]:
    """``{"items": [...], "next": cursor or None}`` ordered by ``keys`` (last one unique)."""
    if after:
        queryset = queryset.filter(_after_q(keys, decode_cursor(after, len(keys))))
    rows = list(queryset.order_by(*keys)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor([_attr(rows[-1], key) for key in keys]) if more else None
    return {"items": rows, "next": cursor}


def _attr(row: Any, key: str) -> Any:
    for part in key.split("__"):
        row = getattr(row, part)
    return row
