"""The reference the fast .xlsx reader is held to: openpyxl's read-only mode
(the registry import's reader before it used ``shequ.exchange.importers.xlsx``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from shequ.exchange.importers.reading import FileRefused, Table, cell_text


def openpyxl_table(path: Path) -> Table:
    """The first worksheet as openpyxl's read-only mode reads it: what ``read_xlsx`` must match."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError):
        raise FileRefused(_("无法读取该 Excel 文件，请确认是 .xlsx 格式。")) from None
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    header = next(values, None)
    if not header or not any(cell not in (None, "") for cell in header):
        workbook.close()
        raise FileRefused(_("文件第1行应为表头。"))

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, cells in enumerate(values, start=2):
                yield number, [cell_text(cell) for cell in cells]
        finally:
            workbook.close()

    return Table([cell_text(cell).strip() for cell in header], rows(), "xlsx", path=path)
