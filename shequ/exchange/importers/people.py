"""Import people. Built for a million rows: the per-row work is in people_rows (and in
worker processes for big CSV files), good rows are spooled as COPY text, and on
PostgreSQL they go in with COPY under a table lock; on SQLite with bulk_create."""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import date

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from shequ.exchange.importers import parallel
from shequ.exchange.importers.base import Importer
from shequ.exchange.importers.columns import MASK_ID, MASK_PHONE, Column, choice_lookup, normalise_header
from shequ.exchange.importers.lookups import area_problem, areas_by_code, chunks
from shequ.exchange.importers.pgcopy import (
    NULL, copy_rows, copy_untext, indexes_suspended, lock_for_insert, reserve_ids,
)
from shequ.exchange.importers.people_rows import HOUSE, MASKED_FIELD, SPOOL_FIELDS, CleanedRows, PeopleCleaner
from shequ.exchange.importers.protect import Protector
from shequ.exchange.importers.reading import Table
from shequ.exchange.importers.report import PREVIEW_ROWS
from shequ.registry import codes
from shequ.registry.models import Area, CareTag, Person
from shequ.registry.validators import IdDocumentType

#: at or above this many rows (and when the file is larger than the table), PostgreSQL
#: rebuilds the person indexes after loading instead of updating them row by row
BULK_MIN_ROWS = 100_000
#: CSV files at least this big are checked in worker processes
PARALLEL_MIN_BYTES = 2 << 20
BATCH_ROWS = 5_000


class PeopleImporter(Importer):
    kind = "people"
    label = _("人员")
    model = Person
    columns = (
        Column("name", "姓名", ("name",), required=True, example="张三", help=_("不超过50个字符。")),
        Column("id_type", "证件类型", ("id type", "document type"), choices=lambda: IdDocumentType.choices,
               example="居民身份证", help=_("不填为居民身份证。")),
        Column("id_number", "证件号码", ("id number", "id", "身份证号", "身份证号码"), required=True, mask=MASK_ID,
               example="610113198005170015", help=_("居民身份证按GB 11643校验；请把该列设为文本，以免Excel改成科学计数法。")),
        Column("phone", "手机号码", ("phone", "mobile", "手机号", "联系电话"), mask=MASK_PHONE, example="13812345678",
               help=_("11位手机号码。")),
        Column("ethnicity", "民族", ("ethnicity",), choices=lambda: codes.ETHNICITY_CHOICES, example="汉族",
               help=_("民族名称或GB/T 3304两位代码。")),
        Column("political_status", "政治面貌", ("political status",), choices=lambda: codes.POLITICAL_STATUS_CHOICES,
               example="群众", help=_("名称或GB/T 4762两位代码。")),
        Column("care_tags", "关爱标签", ("care tags", "tags"), example="",
               help=_("可填多个，用逗号或顿号分隔，如：独居老人、残疾人。")),
        Column("house_code", "房屋编码", ("house code", "house"), example="CQF-03-2-0301",
               help=_("现住房屋的编码。房屋编码和社区编码至少填一个。")),
        Column("community_code", "社区编码", ("community code", "community"), example="",
               help=_("没有房屋时，登记所在社区的12位编码。")),
        Column("note", "备注", ("note", "remark"), example=""),
    )

    def __init__(self, *, workers: int | None = None, bulk_min_rows: int = BULK_MIN_ROWS,
                 parallel_min_bytes: int = PARALLEL_MIN_BYTES, **kwargs):
        super().__init__(**kwargs)
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self.bulk_min_rows = bulk_min_rows
        self.parallel_min_bytes = parallel_min_bytes

    # --- step 1: every row on its own, spooled

    def _cleaner(self) -> PeopleCleaner:
        tags: dict[str, int] = {}
        tag_names: dict[int, str] = {}
        for pk, code, name in CareTag.objects.values_list("pk", "code", "name"):
            tags[normalise_header(code)] = tags[normalise_header(name)] = pk
            tag_names[pk] = name
        return PeopleCleaner(
            index=self.header_map.index, id_types=choice_lookup(IdDocumentType.choices), tags=tags,
            tag_names=tag_names, today=self.today, protector=Protector.from_settings(),
            created_at=timezone.now().isoformat(), preview_rows=PREVIEW_ROWS,
            language=translation.get_language() or "zh-hans",
        )

    def _cleaned_batches(self, table: Table, cleaner: PeopleCleaner) -> Iterator[CleanedRows]:
        if (table.format == "csv" and self.workers > 1 and parallel.can_run_parallel()
                and table.encoding != "utf-16" and os.path.getsize(table.path) >= self.parallel_min_bytes):
            yield from parallel.clean_in_parallel(table.path, encoding=table.encoding, dialect=table.dialect,
                                                  cleaner=cleaner, workers=self.workers)
            return
        previewed = 0
        while batch := list(itertools.islice(table.rows, BATCH_ROWS)):
            cleaned = cleaner.clean(batch, previewed=previewed)
            previewed += len(cleaned.preview)
            yield cleaned

    def process(self, table: Table, *, dry_run: bool) -> None:
        clock = time.perf_counter()
        if not {"house_code", "community_code"} & set(self.header_map.index):
            self.report.add(1, "", "", _("缺少“房屋编码”或“社区编码”列，至少要有一列。"))
        cleaner = self._cleaner()
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n") as spool:
            self.rows, self.areas, self.id_types, self.digests = array("q"), [], [], []
            self.tag_links: list[tuple[int, tuple[int, ...]]] = []
            preview: list[list[str]] = []
            interned: dict[str, str] = {}
            for cleaned in self._cleaned_batches(table, cleaner):
                base = len(self.rows)
                self.report.rows += cleaned.rows_read
                for row, key, value, reason in cleaned.problems:
                    self.problem(row, key, value, reason)
                spool.writelines(cleaned.text)
                self.rows.extend(cleaned.rows)
                self.areas.extend(interned.setdefault(key, key) for key in cleaned.areas)
                self.id_types.extend(cleaned.id_types)
                self.digests.extend(cleaned.digests)
                self.tag_links.extend((base + index, tags) for index, tags in cleaned.tags)
                preview.extend(cleaned.preview[: PREVIEW_ROWS - len(preview)])
            self.spool = spool
            self.report.timings["rows"] = time.perf_counter() - clock
            if self.report.rows == 0:
                self.report.add(0, "", "", _("文件中没有数据行。"))
            if not self.rows:
                return
            # the good rows are checked even when others are bad: one report should name every problem
            clock = time.perf_counter()
            self._check_duplicates_in_file()
            with transaction.atomic():
                if connection.vendor == "postgresql" and not dry_run:
                    lock_for_insert(Person._meta.db_table)
                self._check_areas()
                existing = self._check_duplicates_in_database()
                self.report.timings["file and database checks"] = time.perf_counter() - clock
                clock = time.perf_counter()
                if not self.report.ok:
                    return
                if dry_run:
                    self.report.preview_headers = [self.header(column.key) for column in self.columns]
                    self.report.preview_rows = preview
                    self.report.counts = {str(IdDocumentType(t).label): n for t, n in Counter(self.id_types).items()}
                    return
                first, last = self._write(existing)
                self.finish(created=len(self.rows), first_id=first, last_id=last, paths=self.paths)
                clock = time.perf_counter()
            self.report.timings["commit"] = time.perf_counter() - clock

    # --- step 2: the file as a whole

    def _spool_values(self, indexes: set[int], field: int) -> dict[int, str]:
        """One field of some spooled rows (for quoting a masked ID in the report)."""
        self.spool.seek(0)
        found = {}
        for index, line in enumerate(self.spool):
            if index in indexes:
                found[index] = line.split("\t")[field]
        self.spool.seek(0, os.SEEK_END)
        return found

    def _report_ids(self, clashes: list[tuple[int, object]]) -> None:
        masked = self._spool_values({index for index, _reason in clashes}, MASKED_FIELD)
        for index, reason in clashes:
            self.problem(self.rows[index], "id_number", masked[index], reason)

    def _check_duplicates_in_file(self) -> None:
        seen: dict[str, int] = {}
        clashes = []
        resident = IdDocumentType.RESIDENT_ID
        for index, (id_type, digest) in enumerate(zip(self.id_types, self.digests)):
            key = digest if id_type == resident else id_type + digest
            first = seen.setdefault(key, index)
            if first != index:
                clashes.append((index, _("与第%(row)s行的证件号码重复。") % {"row": self.rows[first]}))
        if clashes:
            self._report_ids(clashes)

    def _check_duplicates_in_database(self) -> int:
        """Report IDs already registered (anywhere: the constraint is global); return the table's size."""
        existing = Person.objects.count()
        registered: set[tuple[str, str]] = set()
        if existing == 0:
            pass
        elif existing <= len(self.digests):
            # cheaper to read every digest once than to ask for each of ours
            registered = set(Person.objects.values_list("id_type", "id_number_digest").iterator(chunk_size=20_000))
        else:
            size = 5_000 if connection.vendor == "postgresql" else 500
            for part in chunks(sorted(set(self.digests)), size):
                registered.update(Person.objects.filter(id_number_digest__in=part)
                                  .values_list("id_type", "id_number_digest"))
        if registered:
            clashes = [(index, _("该证件号码已登记。"))
                       for index, key in enumerate(zip(self.id_types, self.digests)) if key in registered]
            if clashes:
                self._report_ids(clashes)
        return existing

    def _check_areas(self) -> None:
        keys = set(self.areas)
        refs = areas_by_code(self.actor, [key[2:] for key in keys])
        self.area_ids: dict[str, int] = {}
        self.paths: list[str] = []
        bad: dict[str, object] = {}
        for key in keys:
            code, ref = key[2:], refs.get(key[2:])
            level = Area.Level.HOUSE if key.startswith(HOUSE) else Area.Level.COMMUNITY
            reason = area_problem(ref, code, {level})
            if reason:
                bad[key] = reason
            else:
                self.area_ids[key] = ref.id
                self.paths.append(ref.path)
        if bad:
            for index, key in enumerate(self.areas):
                if key in bad:
                    column = "house_code" if key.startswith(HOUSE) else "community_code"
                    self.problem(self.rows[index], column, key[2:], bad[key])

    # --- step 3: write

    def _write(self, existing: int) -> tuple[int | None, int | None]:
        self.spool.seek(0)
        if connection.vendor == "postgresql":
            return self._write_copy(existing)
        return self._write_orm()

    def _write_copy(self, existing: int) -> tuple[int, int]:
        table = Person._meta.db_table
        count = len(self.rows)
        first = reserve_ids(table, count)
        area_ids = self.area_ids
        bulk = count >= self.bulk_min_rows and count >= existing
        timings, clock = self.report.timings, time.perf_counter()
        with indexes_suspended(table) if bulk else nullcontext():
            lines = (f"{first + index}\t{area_ids[key]}\t{line}"
                     for index, (key, line) in enumerate(zip(self.areas, self.spool)))
            copy_rows(table, ("id", "area_id", *SPOOL_FIELDS), lines)
            timings["copy"], clock = time.perf_counter() - clock, time.perf_counter()
        if bulk:
            timings["rebuild indexes"], clock = time.perf_counter() - clock, time.perf_counter()
        if self.tag_links:
            through = Person.care_tags.through._meta.db_table
            with indexes_suspended(through) if bulk else nullcontext():
                copy_rows(through, ("person_id", "caretag_id"),
                          (f"{first + index}\t{tag}\n" for index, tags in self.tag_links for tag in tags))
            timings["copy care tags"] = time.perf_counter() - clock
        return first, first + count - 1

    def _write_orm(self) -> tuple[int | None, int | None]:
        pks: list[int] = []
        lines = zip(self.areas, self.spool)
        while batch := list(itertools.islice(lines, 1000)):
            people = [self._person(self.area_ids[key], line) for key, line in batch]
            Person.objects.bulk_create(people)
            pks.extend(person.pk for person in people)
        Through = Person.care_tags.through
        links = [Through(person_id=pks[index], caretag_id=tag) for index, tags in self.tag_links for tag in tags]
        Through.objects.bulk_create(links, batch_size=500)
        return (pks[0], pks[-1]) if pks else (None, None)

    @staticmethod
    def _person(area_id: int, line: str) -> Person:
        values = dict(zip(SPOOL_FIELDS, line.rstrip("\n").split("\t")))
        values["name"], values["note"] = copy_untext(values["name"]), copy_untext(values["note"])
        born = values.pop("birth_date")
        values.pop("created_at"), values.pop("updated_at")
        return Person(area_id=area_id, birth_date=None if born == NULL else date.fromisoformat(born), **values)
