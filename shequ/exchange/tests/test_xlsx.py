"""The imports' .xlsx reader reads what openpyxl's read-only mode reads, cell for cell."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from openpyxl import Workbook

from shequ.exchange.importers.reading import FileRefused, read_table
from shequ.exchange.importers.xlsx import read_xlsx
from shequ.exchange.tests.xlsx_reference import openpyxl_table


def workbook(path, rows, *, write_only=False, sheets=()):
    book = Workbook(write_only=write_only)
    for title in sheets:  # sheets before the data sheet: the reader must take the first one
        book.create_sheet(title) if write_only else None
    sheet = book.create_sheet("数据") if write_only else book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


ROWS = [
    ["工单编号", "来电时间", "来电号码", "金额", "是否", "公式", "备注"],
    ["XA1", datetime(2025, 3, 3, 9, 15), 13812345678, 12.5, True, "=1+1", "A&B <c> \"d\""],
    ["XA2", date(2025, 3, 4), "029-88881234", 3.0, False, None, "第二行\n换行"],
    [None, None, None, None, None, None, None],
    ["XA4", datetime(2025, 3, 5, 0, 0), 0, -1, None, None, "  空格  "],
    ["XA5", time(9, 30), None, 1e20, None, None, None],
]


@pytest.mark.parametrize("write_only", [False, True])
def test_it_reads_what_openpyxl_reads(tmp_path, write_only):
    path = workbook(tmp_path / "t.xlsx", ROWS, write_only=write_only)

    ours, theirs = read_xlsx(path), openpyxl_table(path)

    assert ours.headers == theirs.headers
    mine = {number: trimmed(cells) for number, cells in ours.rows if any(cells)}
    assert mine == {number: trimmed(cells) for number, cells in theirs.rows if any(cells)}
    assert mine[2][1] == "2025-03-03 09:15:00" and mine[2][2] == "13812345678" and mine[3][1] == "2025-03-04"


def trimmed(cells: list[str]) -> list[str]:
    """Without trailing empty cells: openpyxl pads rows to the sheet's width only when the file states it."""
    while cells and not cells[-1]:
        cells = cells[:-1]
    return cells


def test_it_reads_shared_strings_and_the_row_numbers(tmp_path):
    path = workbook(tmp_path / "t.xlsx", [["工单编号", "内容"], ["XA1", "垃圾"], [], ["XA3", "垃圾"]])

    rows = list(read_xlsx(path).rows)

    assert rows == [(2, ["XA1", "垃圾"]), (4, ["XA3", "垃圾"])]


def test_it_refuses_a_file_that_is_no_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"PK\x03\x04not really a zip")

    with pytest.raises(FileRefused):
        read_xlsx(path)


def test_it_refuses_a_sheet_without_a_header_row(tmp_path):
    path = workbook(tmp_path / "t.xlsx", [[None, None], ["XA1", "x"]])

    with pytest.raises(FileRefused):
        read_xlsx(path)


def test_it_reads_durations_and_dates_out_of_range_as_openpyxl_does(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["编号", "时长", "日期"])
    sheet.append(["A1", 1.5, 3e6])
    sheet["B2"].number_format = "[h]:mm:ss"
    sheet["C2"].number_format = "yyyy-mm-dd"
    path = tmp_path / "t.xlsx"
    book.save(path)

    ours = dict(read_xlsx(path).rows)

    with pytest.warns(UserWarning):  # openpyxl warns of the date out of range
        theirs = {number: trimmed(cells) for number, cells in openpyxl_table(path).rows}
    assert {number: trimmed(cells) for number, cells in ours.items()} == theirs
    assert ours[2][1:] == ["1 day, 12:00:00", "#VALUE!"]


def test_it_is_the_reader_of_every_import(tmp_path):
    path = workbook(tmp_path / "t.xlsx", ROWS)

    table = read_table(path)

    # openpyxl would also yield the blank row 4 and pad short rows: this is the streaming reader
    assert list(table.rows) == list(read_xlsx(path).rows) != list(openpyxl_table(path).rows)
