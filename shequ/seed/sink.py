"""Fast row writing for the seed: COPY on PostgreSQL, executemany elsewhere.

The seed bypasses the per-row services (each would validate, look up and audit
one row: hours for a million people). Rows are built with the exact stored
forms the services produce (shequ.core.pii) and with explicit primary keys, so
foreign keys and area paths are known without reading anything back.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import connection, models


@dataclass
class Table:
    model: type[models.Model]
    fields: Sequence[str]  # attnames, in row order
    rows: list[tuple] = field(default_factory=list)
    written: int = 0

    @property
    def columns(self) -> list[str]:
        return [_field(self.model, name).column for name in self.fields]


def _sqlite_adapter(model_field: models.Field):
    """Plain values SQLite stores the way Django would (no reliance on sqlite3's
    deprecated default date adapters)."""
    kind = model_field.get_internal_type()
    if kind == "DateField":
        return lambda value: value.isoformat() if value is not None else None
    if kind == "DateTimeField":
        adapted: dict[object, object] = {}  # the seed stamps every row with the same "now"

        def adapt_datetime(value):
            if value not in adapted:
                adapted[value] = connection.ops.adapt_datetimefield_value(value)
            return adapted[value]

        return adapt_datetime
    if kind == "DecimalField":
        return lambda value: str(value) if value is not None else None
    return None


class Sink:
    """Buffers rows per table and writes them in dependency order.

    On PostgreSQL a writer thread runs the COPYs on the same connection (so in
    the same transaction) while the main thread generates the next batch: the
    server's work (index upkeep, foreign key checks) overlaps with Python's.
    Use as a context manager; leaving it waits for the last batch.
    """

    def __init__(self, tables: dict[str, Table], batch: int = 50_000) -> None:
        self.tables = tables  # insertion order = write order (parents first)
        self.batch = batch
        self._buffered = 0
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def __enter__(self) -> Sink:
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            self._queue = queue.Queue(maxsize=2)  # bounded: at most two batches wait in memory
            self._thread = threading.Thread(target=self._drain, args=(connection.connection,), daemon=True)
            self._thread.start()
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.flush()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        if self._failure is not None and exc_type is None:
            raise self._failure

    def add(self, name: str, row: tuple) -> None:
        self.tables[name].rows.append(row)
        self._buffered += 1
        if self._buffered >= self.batch:
            self.flush()

    def flush(self) -> None:
        batch = []
        for table in self.tables.values():
            if table.rows:
                batch.append((table, table.rows))
                table.written += len(table.rows)
                table.rows = []
        self._buffered = 0
        if self._failure is not None:
            raise self._failure
        if self._thread is not None:
            self._queue.put(batch)
        else:
            for table, rows in batch:
                _write(table, rows)

    def _drain(self, raw_connection) -> None:
        while (batch := self._queue.get()) is not None:
            if self._failure is not None:
                continue  # keep draining so the producer never blocks on a full queue
            try:
                for table, rows in batch:
                    _copy(raw_connection, table, rows)
            except BaseException as exc:  # handed to the main thread, which re-raises it
                self._failure = exc

    def counts(self) -> dict[str, int]:
        return {name: table.written + len(table.rows) for name, table in self.tables.items()}


def _statement_parts(table: Table) -> tuple[str, str]:
    db_table = connection.ops.quote_name(table.model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in table.columns)
    return db_table, columns


def _copy(raw_connection, table: Table, rows: list[tuple]) -> None:
    """COPY on psycopg 3: several times faster than multi-row INSERT for large batches."""
    db_table, columns = _statement_parts(table)
    with raw_connection.cursor() as cursor:
        with cursor.copy(f"COPY {db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _write(table: Table, rows: list[tuple]) -> None:
    db_table, columns = _statement_parts(table)
    adapters = [_sqlite_adapter(_field(table.model, name)) for name in table.fields]
    if any(adapters):
        rows = [tuple(adapt(value) if adapt else value for adapt, value in zip(adapters, row)) for row in rows]
    placeholders = ", ".join(["%s"] * len(table.fields))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {db_table} ({columns}) VALUES ({placeholders})", rows)


def _field(model: type[models.Model], attname: str) -> models.Field:
    for model_field in model._meta.concrete_fields:
        if model_field.attname == attname:
            return model_field
    raise LookupError(f"{model.__name__} has no column {attname}")


class IdBlock:
    """Hands out primary keys above the current maximum, so rows can reference
    each other before they are written."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        current = model.objects.aggregate(top=models.Max("pk"))["top"] or 0
        self.next = current + 1

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value


def reset_sequences(model_list: Sequence[type[models.Model]]) -> None:
    """After explicit ids, move PostgreSQL's identity sequences past them.
    (SQLite's AUTOINCREMENT follows the largest rowid by itself.)"""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
