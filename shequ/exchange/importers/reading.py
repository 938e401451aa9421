"""Read an uploaded .xlsx or .csv into a header row and rows of strings.

CSV encodings: Excel on Chinese Windows saves "CSV" in GBK unless told "CSV UTF-8",
which then carries a byte-order mark; scripts write plain UTF-8. We take the BOM
when present, else UTF-8 if the start of the file decodes as UTF-8, else GB18030
(a superset of GBK and GB2312, so it reads all of them).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from django.utils.translation import gettext_lazy as _

_SAMPLE_BYTES = 256 * 1024


class FileRefused(Exception):
    """The file cannot be read at all (wrong type, encoding, no header)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (row number as the spreadsheet shows it, cells)
    format: str  # "xlsx" / "csv"
    encoding: str = ""
    dialect: str = "excel"
    path: Path | None = None


def file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def detect_encoding(path: Path) -> str:
    with open(path, "rb") as fh:
        sample = fh.read(_SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text"
    try:
        # final=False: the sample may end inside a multi-byte character
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def read_table(path: Path) -> Table:
    """Open ``path`` as xlsx (by content, whatever its name) or CSV."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: the old .xls format
        raise FileRefused(_("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV。"))
    if head.startswith(b"PK\x03\x04"):
        from shequ.exchange.importers.xlsx import read_xlsx  # it builds on this module's Table

        return read_xlsx(path)
    return _read_csv(path)


def _read_csv(path: Path) -> Table:
    encoding = detect_encoding(path)
    try:
        with open(path, encoding=encoding, newline="") as fh:
            first = fh.readline()
    except UnicodeDecodeError:
        raise FileRefused(_("无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV。")) from None
    dialect = "excel-tab" if "\t" in first and "," not in first else "excel"

    def records() -> Iterator[list[str]]:
        with open(path, encoding=encoding, newline="") as fh:
            try:
                yield from csv.reader(fh, dialect=dialect)
            except UnicodeDecodeError:
                raise FileRefused(_("文件中有无法按 %(encoding)s 解码的内容。") % {"encoding": encoding}) from None
            except csv.Error as exc:
                raise FileRefused(_("CSV 格式错误：%(error)s") % {"error": exc}) from None

    all_records = records()
    header = next(all_records, [])
    if not any(cell.strip() for cell in header):
        all_records.close()
        raise FileRefused(_("文件第1行应为表头。"))
    rows = enumerate(all_records, start=2)
    return Table([cell.strip() for cell in header], rows, "csv", encoding, dialect, path)


def cell_text(value: object) -> str:
    """A cell as the text the user typed: 13812345678 not 13812345678.0, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
