"""Bulk import of the registry from .xlsx and .csv files, all or nothing.

``import_file(actor=..., kind="people", path=..., filename=..., dry_run=...)`` reads
the file, checks every row and either writes every row (one transaction, one audit
record) or nothing, and returns an :class:`ImportReport` naming each bad row,
column and reason.
"""

from __future__ import annotations

from pathlib import Path

from shequ.accounts.audit import Actor
from shequ.exchange.importers.areas import AreaImporter
from shequ.exchange.importers.base import Importer
from shequ.exchange.importers.houses import HouseImporter
from shequ.exchange.importers.organizations import OrganizationImporter
from shequ.exchange.importers.people import PeopleImporter
from shequ.exchange.importers.reading import FileRefused, file_sha256, read_table
from shequ.exchange.importers.report import ImportReport, Problem
from shequ.exchange.importers.residence import ResidenceImporter
from shequ.exchange.importers.vehicles import VehicleImporter

IMPORTERS: dict[str, type[Importer]] = {
    importer.kind: importer
    for importer in (AreaImporter, HouseImporter, PeopleImporter, ResidenceImporter, OrganizationImporter,
                     VehicleImporter)
}


def import_file(*, actor: Actor, kind: str, path: Path | str, filename: str = "", dry_run: bool = False,
                **options) -> ImportReport:
    """Import one file of ``kind`` (a key of IMPORTERS) as ``actor``."""
    path = Path(path)
    importer = IMPORTERS[kind](actor=actor, **options)
    importer.report.filename = filename or path.name
    importer.report.sha256 = file_sha256(path)
    importer.report.dry_run = dry_run
    try:
        table = read_table(path)
    except FileRefused as exc:
        importer.report.add(0, "", "", exc.message)
        return importer.report
    return importer.run(table, dry_run=dry_run)


__all__ = ["IMPORTERS", "ImportReport", "Importer", "Problem", "import_file"]
