"""Case numbers: ``SQ20261125-00042``, a sequence per day of registration.

One upsert on the day's counter row hands out a block of numbers and locks the
row until the caller's transaction ends (PostgreSQL row lock; SQLite runs write
transactions one at a time, BEGIN IMMEDIATE). Numbers are therefore unique under
concurrency, and a transaction that rolls back returns its block: no gaps from
failed creations.
"""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.utils import timezone

from shequ.cases.models import CaseNumberCounter

PREFIX = "SQ"


def format_number(day: date, serial: int) -> str:
    return f"{PREFIX}{day:%Y%m%d}-{serial:05d}"


def case_numbers_reserve(count: int = 1, *, day: date | None = None) -> list[str]:
    """Reserve ``count`` consecutive numbers of ``day`` (default: today, local time).

    Call it inside the transaction that saves the cases, so the counter row stays
    locked until they are written and is rolled back with them."""
    if count < 1:
        return []
    day = day or timezone.localdate()
    quote = connection.ops.quote_name
    table, day_col, last_col = (quote(CaseNumberCounter._meta.db_table), quote("day"), quote("last"))
    # INSERT .. ON CONFLICT .. RETURNING: PostgreSQL, and SQLite >= 3.35
    sql = (
        f"INSERT INTO {table} ({day_col}, {last_col}) VALUES (%s, %s) "
        f"ON CONFLICT ({day_col}) DO UPDATE SET {last_col} = {table}.{last_col} + excluded.{last_col} "
        f"RETURNING {last_col}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datefield_value(day), count])
        last = cursor.fetchone()[0]
    return [format_number(day, serial) for serial in range(last - count + 1, last + 1)]
