"""What an import says back: every problem with its row and column, or a preview."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

#: a report lists at most this many problems; the rest are counted. A file where
#: every one of a million rows is bad needs fixing at its source, not a longer page.
MAX_PROBLEMS = 10_000
PREVIEW_ROWS = 20


@dataclass(frozen=True)
class Problem:
    row: int  # as the spreadsheet numbers it: 1 is the header row; 0 the file as a whole
    column: str  # header as written in the file
    value: str  # masked when the column holds personal numbers
    reason: str  # in the language active when the import ran


@dataclass
class ImportReport:
    kind: str
    filename: str
    sha256: str = ""
    dry_run: bool = False
    rows: int = 0  # data rows read (blank rows skipped)
    problems: list[Problem] = field(default_factory=list)
    problems_not_listed: int = 0
    created: int = 0
    first_id: int | None = None
    last_id: int | None = None
    preview_headers: list[str] = field(default_factory=list)
    preview_rows: list[list[str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # e.g. {"居民身份证": 950, "护照": 50}
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step, for benchmarks

    @property
    def ok(self) -> bool:
        return not self.problems and not self.problems_not_listed

    @property
    def problem_count(self) -> int:
        return len(self.problems) + self.problems_not_listed

    def add(self, row: int, column: str, value: str, reason: object) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.problems_not_listed += 1
            return
        self.problems.append(Problem(row, column, value, str(reason)))

    def sort(self) -> None:
        self.problems.sort(key=lambda problem: problem.row)

    def as_text(self) -> str:
        """The report for a terminal: one line per problem."""
        lines = [f"{self.filename} ({self.kind}) sha256={self.sha256}"]
        if not self.ok:
            lines.append(_("文件未导入：发现 %(n)s 个问题，未写入任何数据。") % {"n": self.problem_count})
            for problem in self.problems:
                value = f" [{problem.value}]" if problem.value else ""
                lines.append(_("第%(row)s行") % {"row": problem.row} + f"\t{problem.column}{value}\t{problem.reason}")
            if self.problems_not_listed:
                lines.append(_("另有 %(n)s 个问题未列出。") % {"n": self.problems_not_listed})
        elif self.dry_run:
            lines.append(_("试导入通过：%(rows)s 行均有效，未写入任何数据。") % {"rows": self.rows})
            lines.extend(f"  {label}: {count}" for label, count in self.counts.items())
            lines.append("\t".join(self.preview_headers))
            lines.extend("\t".join(row) for row in self.preview_rows)
        else:
            lines.append(_("导入完成：新建 %(n)s 条记录。") % {"n": self.created})
            if self.first_id is not None:
                lines.append(f"  id {self.first_id}..{self.last_id}")
        lines.append(f"  {self.seconds:.2f}s")
        return "\n".join(lines)
