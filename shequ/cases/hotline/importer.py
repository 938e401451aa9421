"""The 12345 hotline import: every row checked, then all written or none.

Built on the registry importer (``shequ.exchange.importers.base.Importer``): the
same reading, header aliases, per-row problems and report, the same
all-or-nothing transaction and one audit record per file. What a hotline file
adds: rows are mapped to categories, complexes and houses; each row is prepared
by the intake service (``case_prepare``: validation, protected phone, deadline);
tickets already imported are skipped; probable duplicates of open cases (or of
earlier rows) are merged into them (see ``duplicates``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.analytics.services import rollup_mark
from shequ.cases.hotline.duplicates import WINDOW, Candidate, DuplicateFinder
from shequ.cases.hotline.mapper import (
    CategoryIndex, ComplexIndex, ComplexNotFound, PlaceIndex, PlaceNames, parse_address,
)
from shequ.cases.hotline.parser import (
    CATEGORY_KEYS, COLUMNS, REQUEST_TYPES, URGENCIES, is_mobile, parse_datetime, parse_deadline, parse_phone,
    pick_choice, title_from,
)
from shequ.cases.hotline.writer import COPY_MIN_ROWS, cases_insert, events_insert
from shequ.cases.models import Case, Channel, RequestType, Status, Urgency
from shequ.cases.services.common import event_for
from shequ.cases.services.intake import IntakeContext, case_prepare
from shequ.cases.services.numbers import case_numbers_reserve
from shequ.core import pii
from shequ.exchange.importers.base import Cells, Importer, Row
from shequ.exchange.importers.lookups import chunks, common_path
from shequ.exchange.importers.reading import Table
from shequ.exchange.importers.report import ImportReport
from shequ.registry.models import Area

_SKEW = timedelta(minutes=5)
#: case_prepare's field names -> the file's columns
_FIELD_COLUMNS = {
    "title": "title", "description": "description", "reporter_name": "reporter_name",
    "reporter_phone": "reporter_phone", "received_at": "received_at", "external_ref": "ticket",
    "location_text": "address", "request_type": "request_type", "urgency": "urgency", "area": "complex",
    "category": "category",
}


@dataclass(frozen=True)
class DuplicateNote:
    """A row that does not become a live case of its own, and why."""

    row: int
    ticket: str
    kind: str  # "ticket": imported before, skipped; "open_case" / "in_file": merged into a probable original
    target: str  # the case number (or "第N行") it repeats
    reason: str


@dataclass
class HotlineReport(ImportReport):
    duplicates: list[DuplicateNote] = field(default_factory=list)
    merged: int = 0
    skipped: int = 0

    def as_text(self) -> str:
        text = super().as_text()
        if not self.ok or not self.duplicates:
            return text
        lines = [text, _("重复工单（%(n)s）：") % {"n": len(self.duplicates)}]
        for note in self.duplicates[:200]:
            lines.append(_("第%(row)s行") % {"row": note.row} + f"\t{note.ticket}\t{note.target}\t{note.reason}")
        if len(self.duplicates) > 200:
            lines.append(_("另有 %(n)s 条未列出。") % {"n": len(self.duplicates) - 200})
        return "\n".join(lines)


PREVIEW_HEADERS = (gettext_lazy("行"), gettext_lazy("工单编号"), gettext_lazy("来电时间"), gettext_lazy("诉求类型"),
                   gettext_lazy("分类"), gettext_lazy("登记位置"), gettext_lazy("办理期限"), gettext_lazy("来电号码"),
                   gettext_lazy("处理"))


class HotlineImporter(Importer):
    kind = "hotline"
    label = gettext_lazy("12345热线工单")
    model = Case
    columns = COLUMNS

    def __init__(self, *, actor: Actor, today=None, now: datetime | None = None, copy_min_rows: int = COPY_MIN_ROWS):
        super().__init__(actor=actor, today=today)
        self.copy_min_rows = copy_min_rows
        self.report = HotlineReport(kind=self.kind, filename="")
        self.now = now or timezone.now()
        self.categories: CategoryIndex | None = None

    # --- reading

    def process(self, table: Table, *, dry_run: bool) -> None:
        index = self.header_map.index
        if not any(key in index for key in CATEGORY_KEYS):
            self.report.add(1, self._columns["category"].header, "", _("缺少“问题分类”列（或“一级分类”“二级分类”列）。"))
        if "complex" not in index and "address" not in index:
            self.report.add(1, self._columns["complex"].header, "", _("缺少“小区名称”列（或“事发地址”列）。"))
        self.categories = CategoryIndex.load()
        self._clock = time.perf_counter()
        super().process(table, dry_run=dry_run)
        if dry_run and self.report.ok:
            self.report.preview_headers = [str(header) for header in PREVIEW_HEADERS]
        if not dry_run and self.report.ok:
            self._lap("commit")

    def _lap(self, step: str) -> None:
        now = time.perf_counter()
        self.report.timings[step] = now - self._clock
        self._clock = now

    def clean_row(self, cells: Cells) -> Row | None:
        row: Row = {"ticket": cells.text("ticket", 64, required=True)}
        if not cells.get("received_at"):
            cells.required("received_at")
        received = cells.parse("received_at", parse_datetime)
        if received is not None and received > self.now + _SKEW:
            cells.problem("received_at", _("来电时间晚于当前时间。"))
        row["received_at"] = received
        row["reporter_name"] = cells.text("reporter_name", 50)
        row["phone"] = cells.parse("reporter_phone", parse_phone, "")
        row["request_type"] = cells.parse("request_type", _request_type, RequestType.COMPLAINT)
        row["urgency"] = cells.parse("urgency", _urgency, Urgency.NORMAL)
        row["deadline"] = cells.parse("deadline", parse_deadline)
        row["category"] = self._category(cells)
        description = cells.text("description", 5000, required=True)
        row["description"] = description
        row["title"] = cells.text("title", 120) or title_from(description)
        row["address"] = cells.get("address")
        row["places"] = PlaceNames(cells.get("complex"), cells.get("community"), cells.get("street"),
                                   cells.get("district"))
        if not row["places"].complex and not row["address"]:
            cells.problem("complex", _("请填写小区名称或事发地址。"))
        return row

    def _category(self, cells: Cells):
        values = [cells.get(key) for key in CATEGORY_KEYS]
        present = [key for key in CATEGORY_KEYS if key in self.header_map.index]
        if not present:
            return None  # reported once, on the header row
        column = "category" if "category" in present else present[-1]
        if not any(values):
            cells.problem(column, _("请填写问题分类。"))
            return None
        found = self.categories.resolve(values)
        if found is None:
            shown = " / ".join(value for value in reversed(values) if value)
            cells.problem(column, _("未知的问题分类，请在“诉求分类”的“热线分类名称”中登记它。"), shown)
        return found

    # --- whole-file checks

    def check(self, rows: list[Row]) -> None:
        self._lap("read and check rows")
        self.unique_in_file(rows, "ticket", lambda row: row["ticket"],
                            lambda first: _("与第%(row)s行的工单编号重复。") % {"row": first})
        index = ComplexIndex.load(self.actor, {row["places"].complex for row in rows})
        for row in rows:
            self._place(row, index)
        self._houses(rows)
        self._lap("map places")
        self._prepare(rows)
        self._lap("prepare cases")
        if not self.report.ok:
            return
        self._duplicates(rows)
        self._lap("duplicates")

    def _place(self, row: Row, index: ComplexIndex) -> None:
        names: PlaceNames = row["places"]
        try:
            row["complex"] = index.resolve(names).area if names.complex else index.from_address(row["address"]).area
        except ComplexNotFound as exc:
            row["complex"] = None
            key = "complex" if names.complex or "address" not in self.header_map.index else "address"
            self.problem(row["row"], key, names.complex or row["address"], exc.message)

    def _houses(self, rows: list[Row]) -> None:
        """Register each case on the building, unit or house its address names, where the registry has it."""
        wanted = []
        for row in rows:
            row["parts"] = (parse_address(row["address"], row["complex"].name) if row["address"] and row["complex"]
                            else None)
            if row["parts"] is not None and row["parts"].building is not None:
                wanted.append(row)
        if not wanted:
            return
        places = PlaceIndex.load({row["complex"].pk: row["complex"] for row in wanted}.values())
        found = {}
        for row in wanted:
            found[row["row"]] = places.find(row["complex"].pk, row["parts"])
        areas = {}
        for part in chunks(sorted({pk for pk in found.values() if pk is not None})):
            areas.update(Area.objects.in_bulk(part))
        for row in wanted:
            row["area"] = areas.get(found[row["row"]])

    def _prepare(self, rows: list[Row]) -> None:
        """Each row through the intake service, which validates it, protects the phone
        and computes the deadline; the hotline's own deadline wins when earlier."""
        ready = [row for row in rows if row.get("complex") is not None and row["category"] is not None
                 and row["received_at"] is not None]
        if not ready:
            return
        years = [row["received_at"].year for row in ready]
        context = IntakeContext.load(min(years), max(years))
        for row in ready:
            area = row.get("area") or row["complex"]
            context.complexes[area.pk] = row["complex"]
            phone = row["phone"]
            try:
                case = case_prepare(
                    actor=self.actor, channel=Channel.HOTLINE, category=row["category"], area=area,
                    title=row["title"], description=row["description"], request_type=row["request_type"],
                    urgency=row["urgency"], reporter_name=row["reporter_name"],
                    # landlines are protected here: the intake service takes mobiles only
                    reporter_phone=phone if phone and is_mobile(phone) else "",
                    location_text=_clip(row["address"], 200), external_ref=row["ticket"],
                    received_at=row["received_at"], context=context,
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    key = _FIELD_COLUMNS.get(name, "description")
                    for message in errors:
                        self.problem(row["row"], key, "", message)
                continue
            except PermissionDenied as exc:
                self.problem(row["row"], "complex", row["places"].complex, str(exc) or _("无权在该区域登记事件。"))
                continue
            if phone and not is_mobile(phone):
                protected = pii.protect_phone(phone)
                case.reporter_phone_cipher, case.reporter_phone_digest = protected.cipher, protected.digest
                case.reporter_phone_masked = protected.masked
            if row["deadline"] is not None:
                theirs = row["deadline"].due(case.received_at, context.calendar)
                if theirs <= case.received_at:
                    self.problem(row["row"], "deadline", "", _("办理时限早于来电时间。"))
                    continue
                case.due_at = min(case.due_at, theirs)
            row["case"] = case

    # --- duplicates

    def _duplicates(self, rows: list[Row]) -> None:
        """Mark tickets imported before (skipped) and probable duplicates (merged)."""
        existing = self._imported_tickets([row["ticket"] for row in rows])
        finder = DuplicateFinder()
        self._load_open_cases(rows, finder)
        report = self.report
        for row in sorted(rows, key=lambda row: (row["received_at"], row["row"])):
            case: Case = row["case"]
            if row["ticket"] in existing:
                row["skip"] = True
                report.duplicates.append(DuplicateNote(row["row"], row["ticket"], "ticket", existing[row["ticket"]],
                                                       _("该工单已导入，跳过。")))
                continue
            place = case.area.path
            me = Candidate(case.received_at, case.reporter_phone_digest, case.description, place=place,
                           prefixes=finder.prefixes(place, case.complex.path), row=row["row"])
            match = finder.match(case.complex_id, case.category_id, me)
            if match is None:
                row["candidate"] = me
                finder.add_row(case.complex_id, case.category_id, me)
                continue
            original = match.candidate
            row["into"] = original
            row["match"] = match
            kind = "open_case" if original.case_id is not None else "in_file"
            reason = (_("同一来电号码") if match.reason == "phone"
                      else _("诉求内容相似度 %(pct)d%%") % {"pct": round(match.similarity * 100)})
            if not original.number:  # a row of this file: named by its row until it has a case number
                original.number = _("第%(row)s行") % {"row": original.row}
            report.duplicates.append(DuplicateNote(row["row"], row["ticket"], kind, original.number,
                                                   _("疑似重复（同一小区、同一分类、%(days)s天内，%(reason)s），合并到该事件。")
                                                   % {"days": WINDOW.days, "reason": reason}))
        report.duplicates.sort(key=lambda note: note.row)
        report.skipped = sum(1 for row in rows if row.get("skip"))
        report.merged = sum(1 for row in rows if row.get("into") is not None)

    def _cases(self):
        if self.actor.user is None:
            return Case.objects.all()
        return Case.objects.visible_to(self.actor.user, Capability.CASES_HANDLE)

    def _imported_tickets(self, tickets: list[str]) -> dict[str, str]:
        """Ticket -> the case number it was imported as (or a note when the case is outside the actor's view)."""
        wanted = sorted(set(tickets))
        hits: dict[str, int] = {}
        if connection.vendor == "postgresql":  # one array parameter, not 100,000 placeholders
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT external_ref, id FROM "{Case._meta.db_table}" '
                               # the condition of the partial unique index, so the planner can use it
                               "WHERE channel = %s AND external_ref <> '' AND external_ref = ANY(%s)",
                               [Channel.HOTLINE, wanted])
                hits.update(cursor.fetchall())
        else:
            for part in chunks(wanted):
                hits.update(Case.objects.filter(channel=Channel.HOTLINE, external_ref__in=part)
                            .values_list("external_ref", "pk"))
        visible: dict[int, str] = {}
        for part in chunks(sorted(hits.values())):
            visible.update(self._cases().filter(pk__in=part).values_list("pk", "number"))
        return {ticket: visible.get(pk, _("（其他单位已导入）")) for ticket, pk in hits.items()}

    def _load_open_cases(self, rows: list[Row], finder: DuplicateFinder) -> None:
        """The open cases of the file's complexes and categories around its dates, in one query per 500 complexes."""
        complexes = sorted({row["case"].complex_id for row in rows})
        categories = sorted({row["case"].category_id for row in rows})
        earliest = min(row["received_at"] for row in rows) - WINDOW
        latest = max(row["received_at"] for row in rows) + WINDOW
        fields = ("pk", "number", "complex_id", "category_id", "received_at", "reporter_phone_digest", "description",
                  "area__path", "complex__path")
        for part in chunks(complexes):
            cases = (self._cases().open().filter(complex_id__in=part, category_id__in=categories,
                                                 received_at__gte=earliest, received_at__lte=latest)
                     .order_by("received_at").values_list(*fields))
            for pk, number, complex_id, category_id, received_at, digest, description, path, root in cases:
                finder.add_open_case(complex_id, category_id, Candidate(
                    received_at, digest, description, place=path, prefixes=finder.prefixes(path, root), number=number,
                    case_id=pk))

    # --- the report

    def counts(self, rows: list[Row]) -> dict[str, int]:
        report = self.report
        new = len(rows) - report.skipped
        counts = {_("新建事件"): new - report.merged, _("疑似重复，合并到已有事件"): report.merged,
                  _("已导入过，跳过"): report.skipped}
        by_category = Counter(row["case"].category.name for row in rows if not row.get("skip"))
        counts.update({_("分类：%(name)s") % {"name": name}: n for name, n in by_category.most_common()})
        return counts

    def preview_row(self, row: Row) -> list[str]:
        case: Case = row["case"]
        if row.get("skip"):
            outcome = _("已导入，跳过")
        elif row.get("into") is not None:
            outcome = _("合并到 %(target)s") % {"target": row["into"].number}
        else:
            outcome = _("新建")
        place = case.area.name if case.area_id == case.complex_id else f"{case.complex.name} {case.area.name}"
        return [str(row["row"]), row["ticket"], _local(case.received_at), case.get_request_type_display(),
                case.category.name, place, _local(case.due_at), case.reporter_phone_masked, outcome]

    # --- writing

    def write(self, rows: list[Row]) -> list[int]:
        """Number, insert and time-stamp every new case in bulk, inside the import's transaction."""
        new = [row for row in rows if not row.get("skip")]
        for row, number in zip(new, case_numbers_reserve(len(new))):
            row["case"].number = number
        cases_insert([row["case"] for row in new if row.get("into") is None], copy_min_rows=self.copy_min_rows)
        for row in new:
            if row.get("candidate") is not None:
                row["candidate"].case_id = row["case"].pk
                row["candidate"].number = row["case"].number
        merged = [row for row in new if row.get("into") is not None]
        for row in merged:
            row["case"].status = Status.MERGED
            row["case"].merged_into_id = row["into"].case_id
        cases_insert([row["case"] for row in merged], copy_min_rows=self.copy_min_rows)
        self._lap("write cases")
        # who and when, as every timeline entry says it; the steps differ only in case, action and detail
        template = event_for(new[0]["case"] if new else Case(), self.actor, "created", at=timezone.now())
        events_insert(template, self._steps(new), copy_min_rows=self.copy_min_rows)
        self._lap("write steps")
        rollup_mark(cases=[row["case"] for row in new])  # the figures recount these (complex, day) buckets
        return [row["case"].pk for row in new]

    def _steps(self, rows: list[Row]) -> list[tuple[int, str, str, str, dict]]:
        """The "created" step of every new case; "merged" and "merge_received" for each duplicate."""
        sha = self.report.sha256
        steps = []
        for row in rows:
            case: Case = row["case"]
            steps.append((case.pk, "created", "", Status.NEW, {
                "channel": case.channel, "external_ref": case.external_ref, "import_sha256": sha}))
            original = row.get("into")
            if original is None:
                continue
            match = row["match"]
            how = {"reason": match.reason, "similarity": round(match.similarity, 2), "import_sha256": sha}
            steps.append((case.pk, "merged", Status.NEW, Status.MERGED,
                          {"into": original.case_id, "into_number": original.number, **how}))
            steps.append((original.case_id, "merge_received", "", "",
                          {"from": case.pk, "from_number": case.number, **how}))
        return steps

    def finish(self, *, created: int, first_id: int | None, last_id: int | None, paths: Iterable[str]) -> None:
        """The one audit record of the file: who, which file (SHA-256), what came of its rows."""
        report = self.report
        report.created, report.first_id, report.last_id = created, first_id, last_id
        audit_append(
            actor=self.actor, action="import.hotline", object_type=self.model._meta.label_lower,
            area_path=common_path(set(paths)),
            detail={"file": report.filename, "sha256": report.sha256, "rows": report.rows, "created": created,
                    "live": created - report.merged, "merged": report.merged, "skipped": report.skipped,
                    "first_id": first_id, "last_id": last_id},
        )

    def area_paths(self, rows: list[Row]) -> list[str]:
        return [row["case"].complex.path for row in rows if "case" in row]


_BAD_REQUEST_TYPE = gettext_lazy("诉求类型应为咨询、求助、投诉、举报或建议。")
_BAD_URGENCY = gettext_lazy("紧急程度应为一般或紧急。")


def _request_type(value: str) -> str:
    return pick_choice(REQUEST_TYPES, value, _BAD_REQUEST_TYPE)


def _urgency(value: str) -> str:
    return pick_choice(URGENCIES, value, _BAD_URGENCY)


def _clip(text: str, limit: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
