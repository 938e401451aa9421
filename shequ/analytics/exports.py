"""The figures table as an Excel workbook: the same rows and columns as the page
(shequ.analytics.columns), plus the category, channel and monthly sheets."""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from shequ.analytics.columns import COLUMNS
from shequ.analytics.counters import Breakdown, Counters
from shequ.analytics.selectors import Figures

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _number(column, counters: Counters):
    value = column.value(counters)
    if value is None:
        return None
    if column.kind == "share":
        return round(value, 4)
    if column.kind in ("hours", "score"):
        return round(value, 2)
    return value


def _title(sheet, text: str) -> None:
    sheet.append([text])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])


def _header(sheet, headers: list[str]) -> None:
    sheet.append(headers)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def _share_format(sheet, columns: list[int], first_row: int) -> None:
    for row in sheet.iter_rows(min_row=first_row):
        for index in columns:
            row[index].number_format = "0.0%"


def _breakdown_sheet(workbook: Workbook, title: str, head: str, rows: list[Breakdown], caption: str) -> None:
    sheet = workbook.create_sheet(title)
    _title(sheet, caption)
    _header(sheet, [head, _("受理"), _("占比")])
    first = sheet.max_row + 1
    for row in rows:
        sheet.append([row.label, row.received, round(row.share, 4) if row.share is not None else None])
    _share_format(sheet, [2], first)
    sheet.column_dimensions["A"].width = 28


def figures_workbook(figures: Figures) -> bytes:
    """The workbook's bytes."""
    caption = _("%(area)s 诉求办理统计 %(period)s（按受理时间）") % {
        "area": figures.area.name, "period": figures.period.label}
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("汇总")
    _title(sheet, caption)
    _header(sheet, [_("区域"), *[str(column.label) for column in COLUMNS]])
    first = sheet.max_row + 1
    sheet.append([_("合计：%(area)s") % {"area": figures.area.name},
                  *[_number(column, figures.total) for column in COLUMNS]])
    for row in figures.children:
        sheet.append([row.area.name, *[_number(column, row.counters) for column in COLUMNS]])
    shares = [index + 1 for index, column in enumerate(COLUMNS) if column.kind == "share"]
    _share_format(sheet, shares, first)
    sheet.column_dimensions["A"].width = 24
    sheet.freeze_panes = sheet.cell(row=first, column=2)

    _breakdown_sheet(workbook, _("按分类"), _("分类"), figures.categories, caption)
    _breakdown_sheet(workbook, _("按渠道"), _("渠道"), figures.channels, caption)

    trend = workbook.create_sheet(_("月度趋势"))
    _title(trend, caption)
    _header(trend, [_("月份"), _("受理"), _("办结"), _("按时办结"), _("按时办结率")])
    first = trend.max_row + 1
    for point in figures.trend:
        rate = point.on_time_rate
        trend.append([f"{point.month:%Y-%m}", point.received, point.resolved, point.resolved_on_time,
                      round(rate, 4) if rate is not None else None])
    _share_format(trend, [4], first)

    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
