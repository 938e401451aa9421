"""Helpers for the import and export tests: write a table as CSV or XLSX, read one back."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook, load_workbook


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_table(tmp_path: Path, rows: list[list[object]], fmt: str = "csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / f"upload.{fmt}"
    return write_xlsx(path, rows) if fmt == "xlsx" else write_csv(path, rows, encoding)


def xlsx_cells(content: bytes, tmp_path: Path) -> list[list[str]]:
    """Every sheet's cells as strings, for asserting what an export contains."""
    path = tmp_path / "download.xlsx"
    path.write_bytes(content)
    workbook = load_workbook(path, read_only=True)
    rows = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            rows.append(["" if cell is None else str(cell) for cell in row])
    workbook.close()
    return rows
