"""Batch import of the 12345 citizen hotline's Excel (or CSV) exports into cases.

``hotline_import(actor=..., path=..., dry_run=...)`` reads the file, checks every
row (category, complex inside the actor's scope, times, phone, description,
ticket numbers) and either writes every new case in one transaction with one
audit record, or nothing, returning a report that names each bad row, column
and reason. Tickets imported before are skipped; probable duplicates of open
cases are merged into them (the rule: ``shequ.cases.hotline.duplicates``).
"""

from __future__ import annotations

from pathlib import Path

from shequ.accounts.audit import Actor
from shequ.cases.hotline.importer import DuplicateNote, HotlineImporter, HotlineReport
from shequ.exchange.importers.reading import FileRefused, file_sha256, read_table


def hotline_import(*, actor: Actor, path: Path | str, filename: str = "", dry_run: bool = False,
                   **options) -> HotlineReport:
    """Import one hotline export as ``actor`` (a dry run checks and previews only)."""
    path = Path(path)
    importer = HotlineImporter(actor=actor, **options)
    report = importer.report
    report.filename = filename or path.name
    report.sha256 = file_sha256(path)
    report.dry_run = dry_run
    try:
        table = read_table(path)
    except FileRefused as exc:
        report.add(0, "", "", exc.message)
        return report
    return importer.run(table, dry_run=dry_run)


__all__ = ["DuplicateNote", "HotlineImporter", "HotlineReport", "hotline_import"]
