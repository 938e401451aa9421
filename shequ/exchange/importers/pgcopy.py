"""PostgreSQL bulk-load helpers: COPY text format, id blocks, index suspension."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_UNESCAPES = {"\\\\": "\\", "\\t": "\t", "\\n": "\n", "\\r": "\r"}
NULL = "\\N"


def copy_text(value: str) -> str:
    """Escape a value for COPY's text format (only names and notes ever need it)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


def copy_untext(value: str) -> str:
    if "\\" not in value:
        return value
    out, i = [], 0
    while i < len(value):
        pair = value[i : i + 2]
        if pair in _UNESCAPES:
            out.append(_UNESCAPES[pair])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def lock_for_insert(table: str) -> None:
    """Block other writers (readers go on) until the transaction ends, so the
    duplicate checks made after this stay true and an id block can be reserved."""
    with connection.cursor() as cursor:
        cursor.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')


def reserve_ids(table: str, count: int) -> int:
    """First id of a block of ``count`` consecutive ids; needs :func:`lock_for_insert`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT nextval(%s)", [sequence])
        (first,) = cursor.fetchone()
        if count > 1:
            cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return first


def copy_rows(table: str, columns: Iterable[str], lines: Iterable[str], *, buffer_bytes: int = 1 << 20) -> None:
    """Stream text-format lines (each ending in newline) into ``table`` with COPY."""
    column_list = ", ".join(f'"{column}"' for column in columns)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
        with raw.copy(f'COPY "{table}" ({column_list}) FROM STDIN') as copy:
            pending: list[str] = []
            size = 0
            for line in lines:
                pending.append(line)
                size += len(line)
                if size >= buffer_bytes:
                    copy.write("".join(pending))
                    pending, size = [], 0
            if pending:
                copy.write("".join(pending))


@contextmanager
def indexes_suspended(table: str) -> Iterator[None]:
    """Drop ``table``'s secondary indexes, unique and foreign-key constraints for the
    block and rebuild them afterwards, in the caller's transaction.

    PostgreSQL's advice for bulk loads ("Populating a Database"): building an index
    once over a million new rows is several times faster than updating it a million
    times, and one anti-join re-checks a foreign key faster than a million trigger
    calls. The rebuild re-checks uniqueness, so a duplicate still fails the
    transaction. The price is an ACCESS EXCLUSIVE lock on the table until commit,
    so only large imports take this path. Definitions are read from the catalogue,
    so whatever the migrations declare is what gets rebuilt.
    """
    with connection.cursor() as cursor:
        # ALTER TABLE refuses while deferred foreign-key checks of earlier writes in
        # this transaction are pending: run them now, defer again afterwards
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            """
            SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = %s::regclass AND contype IN ('u', 'f')
            """,
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            """,
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
