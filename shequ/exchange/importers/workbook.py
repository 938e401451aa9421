"""Downloadable .xlsx templates: header row, a greyed example row, dropdowns for
enumerations, and a notes sheet explaining every column."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from shequ.exchange.importers.base import EXAMPLE_MARK, Importer
from shequ.exchange.importers.columns import Column

TEMPLATE_ROWS = 5000  # rows that get the text format and the dropdowns
_REQUIRED_FILL = PatternFill("solid", fgColor="FDE7E7")
_HEADER_FILL = PatternFill("solid", fgColor="EEF2F6")
_EXAMPLE_FONT = Font(italic=True, color="808080")


def _labels(column: Column) -> list[str]:
    return [str(label) for _value, label in column.choices()] if column.choices else []


def template_workbook(importer: type[Importer]) -> bytes:
    """The template for one import kind, as .xlsx bytes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("数据")
    options = workbook.create_sheet(_("可选值"))
    notes = workbook.create_sheet(_("说明"))
    for position, column in enumerate(importer.columns, start=1):
        letter = get_column_letter(position)
        header = sheet.cell(row=1, column=position, value=column.header)
        header.font = Font(bold=True, color="B42318" if column.required else "1F2933")
        header.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        if column.help:
            header.comment = Comment(str(column.help), "Shequ")
        value = f"{EXAMPLE_MARK}{column.example}" if position == 1 else column.example
        example = sheet.cell(row=2, column=position, value=value or None)
        example.font = _EXAMPLE_FONT
        sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4, len(column.example) + 4)
        if column.text:
            # keep ID numbers, phones and codes as typed: no 6.10113E+17, no lost leading zeros
            sheet.column_dimensions[letter].number_format = "@"
            example.number_format = "@"
        if column.choices:
            _add_dropdown(sheet, options, column, position, letter)
    sheet.freeze_panes = "A2"
    options.sheet_state = "hidden"
    _write_notes(notes, importer)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _add_dropdown(sheet, options, column: Column, position: int, letter: str) -> None:
    labels = _labels(column)
    # a literal list is limited to 255 characters; longer ones (ethnicities) live on the hidden sheet
    options.cell(row=1, column=position, value=column.header)
    for row, label in enumerate(labels, start=2):
        options.cell(row=row, column=position, value=label)
    source = f"'{options.title}'!${letter}$2:${letter}${len(labels) + 1}"
    validation = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                                errorTitle=column.header, error=_("请从下拉列表中选择。"))
    validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS}")
    sheet.add_data_validation(validation)


def _write_notes(notes, importer: type[Importer]) -> None:
    notes.append([_("%(kind)s导入模板") % {"kind": importer.label}])
    notes["A1"].font = Font(bold=True, size=13)
    for line in (
        _("第1行是表头，请勿改动列名；红色列名为必填列。列的顺序可以调整，多余的列会被忽略。"),
        _("第2行（灰色斜体，以“示例：”开头）是示例，导入时会被跳过；也可以删除或覆盖它。"),
        _("也可以导入CSV文件（UTF-8或GBK编码），表头相同。"),
        _("导入时先检查全部行：只要有一行有问题，就不会写入任何数据，并列出每个问题所在的行、列和原因。"),
        _("建议先勾选“试导入”检查文件。"),
    ):
        notes.append([line])
    notes.append([])
    notes.append([_("列名"), _("必填"), _("说明"), _("示例"), _("可选值")])
    for cell in notes[notes.max_row]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for column in importer.columns:
        notes.append([column.header, _("是") if column.required else "", str(column.help), column.example,
                      "、".join(_labels(column))])
    for letter, width in zip("ABCDE", (16, 6, 60, 24, 60)):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
