"""Check a large CSV people file in several processes.

The file is cut into byte ranges at line ends; a cut is only made where the
number of quote characters so far is even, so a quoted cell holding a line break
is never split. Workers read, parse, check and protect their ranges and send back
the spool text; the importing process numbers the rows and keeps the order.

Safe for GBK/GB18030 and UTF-8: neither uses the bytes of '"' or newline inside a
multi-byte character.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
from collections.abc import Iterator
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _

from shequ.exchange.importers.people_rows import CleanedRows, PeopleCleaner
from shequ.exchange.importers.reading import FileRefused

BLOCK_BYTES = 1 << 20

# Each worker process keeps the cleaner it was started with; a pool initializer
# can only hand state over this way.
_worker_cleaner: PeopleCleaner | None = None


def can_run_parallel() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def body_offset(path: Path, encoding: str) -> int:
    """Byte offset of the first record after the header row (and BOM)."""
    with open(path, "rb") as fh:
        data = fh.read(1 << 20)
    start = 3 if encoding == "utf-8-sig" else 0
    position = start
    while True:
        newline = data.find(b"\n", position)
        if newline < 0:
            return len(data)
        if data.count(b'"', start, newline) % 2 == 0:
            return newline + 1
        position = newline + 1


def block_ranges(path: Path, offset: int, size: int = BLOCK_BYTES) -> list[tuple[int, int]]:
    """(start, end) byte ranges of whole records, about ``size`` bytes each.

    Workers read their ranges themselves: only offsets cross the process boundary.
    """
    ranges = []
    with open(path, "rb") as fh:
        fh.seek(offset)
        start, carry = offset, b""
        while True:
            block = fh.read(size)
            if not block:
                if carry:
                    ranges.append((start, start + len(carry)))
                return ranges
            data = carry + block
            cut = data.rfind(b"\n") + 1
            if cut == 0 or data.count(b'"', 0, cut) % 2:
                carry = data  # no record end yet, or inside a quoted cell: read on
                continue
            ranges.append((start, start + cut))
            start, carry = start + cut, data[cut:]


def _start_worker(cleaner: PeopleCleaner) -> None:
    global _worker_cleaner
    _worker_cleaner = cleaner
    cleaner.protector.forget_nonces()
    translation.activate(cleaner.language)


def _clean_block(job: tuple[str, int, int, str, str]) -> CleanedRows:
    path, start, end, encoding, dialect = job
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    try:
        text = data.decode("utf-8" if encoding == "utf-8-sig" else encoding)
        # row numbers relative to the block; the parent shifts them
        rows = enumerate(csv.reader(io.StringIO(text, newline=""), dialect=dialect))
        result = _worker_cleaner.clean(rows, previewed=0)
    except UnicodeDecodeError:
        raise FileRefused(_("文件中有无法按 %(encoding)s 解码的内容。") % {"encoding": encoding}) from None
    except csv.Error as exc:
        raise FileRefused(_("CSV 格式错误：%(error)s") % {"error": exc}) from None
    result.text = ["".join(result.text)]  # one string pickles far faster than thousands
    return result


def clean_in_parallel(path: Path, *, encoding: str, dialect: str, cleaner: PeopleCleaner,
                      workers: int) -> Iterator[CleanedRows]:
    """Cleaned blocks in file order, with file row numbers."""
    offset_row = 2  # the header is row 1
    ranges = block_ranges(path, body_offset(path, encoding))
    jobs = [(str(path), start, end, encoding, dialect) for start, end in ranges]
    with multiprocessing.get_context("fork").Pool(workers, _start_worker, (cleaner,)) as pool:
        for result in pool.imap(_clean_block, jobs):
            result.shift(offset_row)
            offset_row += result.records
            yield result
