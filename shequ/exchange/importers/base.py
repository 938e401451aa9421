"""The shape every importer shares: read, check every row, then write all or nothing.

An import runs in three steps. ``clean_row`` checks each row on its own (formats,
checksums, enumerations) without the database. ``check`` then looks at the file as
a whole against the database: references exist and lie inside the actor's editable
areas, nothing is registered twice. Only if no row has a problem does ``write``
run, in one transaction with the single audit record of the import.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from datetime import date
from typing import Any, ClassVar

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor, audit_append
from shequ.exchange.importers.columns import CellError, Column, HeaderMap, map_headers
from shequ.exchange.importers.lookups import common_path
from shequ.exchange.importers.reading import FileRefused, Table
from shequ.exchange.importers.report import PREVIEW_ROWS, ImportReport

#: the first cell of the templates' example row starts with this ("示例：张三")
EXAMPLE_MARK = "示例："
EXAMPLE_MARKS = ("示例:", "示例：", "Example:")

Row = dict[str, Any]  # cleaned values of one row; "row" holds its number in the file


class Cells:
    """One row of the file, read by column key; problems go straight to the report."""

    __slots__ = ("importer", "row", "values", "bad")

    def __init__(self, importer: Importer, row: int, values: list[str]):
        self.importer, self.row, self.values, self.bad = importer, row, values, False

    def get(self, key: str) -> str:
        position = self.importer.header_map.index.get(key)
        if position is None or position >= len(self.values):
            return ""
        return self.values[position].strip()

    def problem(self, key: str, reason: object, value: str | None = None) -> None:
        self.bad = True
        self.importer.problem(self.row, key, self.get(key) if value is None else value, reason)

    def required(self, key: str) -> str:
        value = self.get(key)
        if not value:
            self.problem(key, _("必填。"))
        return value

    def text(self, key: str, max_length: int, *, required: bool = False) -> str:
        value = self.required(key) if required else self.get(key)
        if len(value) > max_length:
            self.problem(key, _("不能超过%(n)s个字符。") % {"n": max_length})
        return value

    def parse(self, key: str, parser: Callable[[str], Any], default: Any = None) -> Any:
        """``parser(value)`` for a filled cell, ``default`` for an empty one; CellError -> problem."""
        value = self.get(key)
        if not value:
            return default
        try:
            return parser(value)
        except CellError as exc:
            self.problem(key, exc.message)
            return default


class Importer:
    kind: ClassVar[str]
    label: ClassVar[Promise]
    model: ClassVar[type[Model]]
    columns: ClassVar[tuple[Column, ...]]

    def __init__(self, *, actor: Actor, today: date | None = None):
        self.actor = actor
        self.today = today or timezone.localdate()
        self.header_map = HeaderMap()
        self.missing: set[str] = set()
        self.report = ImportReport(kind=self.kind, filename="")
        self._columns = {column.key: column for column in self.columns}

    # --- reporting

    def header(self, key: str) -> str:
        return self.header_map.headers.get(key) or self._columns[key].header

    def problem(self, row: int, key: str, value: str, reason: object) -> None:
        if key in self.missing:
            return  # the missing column is reported once, on the header row
        column = self._columns.get(key)
        shown = column.masked(value) if column is not None and value else value
        self.report.add(row, self.header(key) if column is not None else key, shown, reason)

    # --- the steps subclasses fill in

    def clean_row(self, cells: Cells) -> Row | None:
        raise NotImplementedError

    def check(self, rows: list[Row]) -> None:
        """Whole-file checks against the database; report problems with ``self.problem``."""

    def write(self, rows: list[Row]) -> list[int]:
        """Create the rows; return the new primary keys."""
        raise NotImplementedError

    def area_paths(self, rows: list[Row]) -> Iterable[str]:
        """Paths of the areas the rows go into, for the audit record."""
        return ()

    def preview_row(self, row: Row) -> list[str]:
        return [_display(row.get(column.key)) for column in self.columns]

    def counts(self, rows: list[Row]) -> dict[str, int]:
        return {}

    # --- shared checks

    def unique_in_file(self, rows: list[Row], key: str, identity: Callable[[Row], Hashable | None],
                       reason: Callable[[int], object]) -> None:
        """Report every row repeating an earlier row's ``identity`` (compared after normalising)."""
        first_row: dict[Hashable, int] = {}
        for row in rows:
            value = identity(row)
            if value is None:
                continue
            earlier = first_row.setdefault(value, row["row"])
            if earlier != row["row"]:
                self.problem(row["row"], key, row.get(f"{key}_raw", str(row.get(key, ""))), reason(earlier))

    # --- the run

    def run(self, table: Table, *, dry_run: bool) -> ImportReport:
        started = time.perf_counter()
        self.header_map = map_headers(self.columns, table.headers)
        for header, reason in self.header_map.problems:
            self.report.add(1, header, "", reason)
        self.missing = {column.key for column in self.columns if column.key not in self.header_map.index}
        try:
            # rows are checked even when the header has problems: one report should name them all
            self.process(table, dry_run=dry_run)
        except FileRefused as exc:  # raised while reading, before anything is written
            self.report.add(0, "", "", exc.message)
        except IntegrityError:
            # a concurrent change made a checked row clash after all; the transaction
            # rolled back, so nothing of this file was written
            self.report.add(0, "", "", _("导入期间数据被其他操作修改，未写入任何数据，请重新导入。"))
        self.report.sort()
        self.report.seconds = time.perf_counter() - started
        return self.report

    def process(self, table: Table, *, dry_run: bool) -> None:
        rows: list[Row] = []
        for number, values in table.rows:
            if not any(value.strip() for value in values) or is_example(values):
                continue
            self.report.rows += 1
            cells = Cells(self, number, values)
            cleaned = self.clean_row(cells)
            if cleaned is not None and not cells.bad:
                cleaned["row"] = number
                rows.append(cleaned)
        if not self.report.rows:
            self.report.add(0, "", "", _("文件中没有数据行。"))
        if not rows:
            return
        with transaction.atomic():
            # references and duplicates of the good rows, even if other rows are bad
            self.check(rows)
            if not self.report.ok:
                return
            if dry_run:
                self.report.preview_headers = [self.header(column.key) for column in self.columns]
                self.report.preview_rows = [self.preview_row(row) for row in rows[:PREVIEW_ROWS]]
                self.report.counts = self.counts(rows)
                return
            pks = self.write(rows)
            self.finish(created=len(pks), first_id=min(pks, default=None), last_id=max(pks, default=None),
                        paths=self.area_paths(rows))

    def finish(self, *, created: int, first_id: int | None, last_id: int | None, paths: Iterable[str]) -> None:
        """Record the result and write the one audit record of this import."""
        report = self.report
        report.created, report.first_id, report.last_id = created, first_id, last_id
        audit_append(
            actor=self.actor, action=f"import.{self.kind}", object_type=self.model._meta.label_lower,
            area_path=common_path(set(paths)),
            detail={"file": report.filename, "sha256": report.sha256, "rows": report.rows, "created": created,
                    "first_id": first_id, "last_id": last_id},
        )


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(item) for item in value)
    return str(value)


def is_example(values: list[str]) -> bool:
    """The template's example row starts with EXAMPLE_MARK; left in the file, it is skipped."""
    return bool(values) and values[0].lstrip().startswith(EXAMPLE_MARKS)
