"""Columns of the import files and the small parsers behind them.

Headers are part of the file format, not UI text: the Chinese header is what the
templates write and what staff type, and stays the same whatever the interface
language; English aliases are accepted too, so files made by scripts work.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shequ.core import pii
from shequ.registry import codes

#: how a personal value is masked when a report quotes it
MASK_ID = "id"
MASK_PHONE = "phone"


class CellError(ValueError):
    """A cell that cannot be read; ``message`` is shown in the report."""

    def __init__(self, message: Promise | str):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # Chinese header as written in templates
    aliases: tuple[str, ...] = ()
    required: bool = False
    #: [(value, label)] for enumerations: the template offers the labels in a dropdown
    choices: Callable[[], list[tuple[str, object]]] | None = None
    mask: str = ""  # MASK_ID / MASK_PHONE: quote the value masked in reports
    help: Promise | str = ""
    example: str = ""
    text: bool = True  # format the template column as text so Excel keeps leading zeros

    def names(self) -> set[str]:
        return {normalise_header(name) for name in (self.header, self.key, *self.aliases)}

    def masked(self, value: str) -> str:
        if self.mask == MASK_ID:
            return pii.mask_id_number(value)
        if self.mask == MASK_PHONE:
            return pii.mask_phone(value)
        return value


_REQUIRED_MARKS = re.compile(r"[*＊]|[(（](必填|选填|可选)[)）]")


def normalise_header(value: str) -> str:
    """Fold what people do to headers: spaces, full-width forms, case, "*" and "(必填)" marks."""
    folded = unicodedata.normalize("NFKC", value or "").strip().lower()
    folded = _REQUIRED_MARKS.sub("", folded)
    return re.sub(r"[\s_\-]+", "", folded)


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().lower().replace(" ", "")


def choice_lookup(choices: Iterable[tuple[str, object]]) -> dict[str, str]:
    """Map each value and each label (Chinese and English) to the stored value."""
    table: dict[str, str] = {}
    choices = list(choices)
    for language in ("en", "zh-hans"):  # Chinese last: it wins if an English label collides
        with translation.override(language):
            for value, label in choices:
                table[_fold(str(label))] = value
    for value, _label in choices:
        table[_fold(value)] = value
    return table


def code_table_lookup(rows: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Map national-table codes and names to the code: "01", "1", "汉族" and "汉" all give "01"."""
    table: dict[str, str] = {}
    for code, name in rows:
        table[code] = code
        table[name] = code
        if code.isdigit():
            table[str(int(code))] = code
        if name.endswith("族") and len(name) > 2:
            table[name[:-1]] = code
    return table


ETHNICITY = code_table_lookup(codes.ETHNICITY_CHOICES)
#: the short forms forms and spreadsheets use (GB/T 4762 gives the long names)
_POLITICAL_SHORT_NAMES = {
    "中共党员": "01", "党员": "01", "中共预备党员": "02", "预备党员": "02", "共青团员": "03", "团员": "03",
    "民革会员": "04", "民盟盟员": "05", "民建会员": "06", "民进会员": "07", "农工党党员": "08", "致公党党员": "09",
    "九三学社社员": "10", "台盟盟员": "11", "无党派": "12",
}
POLITICAL_STATUS = {**code_table_lookup(codes.POLITICAL_STATUS_CHOICES), **_POLITICAL_SHORT_NAMES}


def pick(lookup: dict[str, str], value: str, message: Promise | str) -> str:
    """The stored value for ``value``, or CellError with ``message``."""
    found = lookup.get(_fold(value)) or lookup.get(value.strip())
    if found is None:
        raise CellError(message)
    return found


def parse_decimal(value: str) -> Decimal:
    try:
        number = Decimal(unicodedata.normalize("NFKC", value).strip().replace(",", ""))
    except InvalidOperation:
        raise CellError(_("应为数字。")) from None
    if not number.is_finite():
        raise CellError(_("应为数字。"))
    return number


def parse_int(value: str) -> int:
    text = unicodedata.normalize("NFKC", value).strip()
    if re.fullmatch(r"-?\d+(\.0+)?", text):
        return int(text.split(".")[0])
    raise CellError(_("应为整数。"))


_DATE_RE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


def parse_date(value: str) -> date:
    """Dates as staff type them: 2024-03-01, 2024/3/1, 2024年3月1日, 20240301."""
    text = unicodedata.normalize("NFKC", value).strip()
    match = _DATE_RE.fullmatch(text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise CellError(_("日期无效，请写成 2024-03-01 的格式。"))


def split_list(value: str) -> list[str]:
    """Care tags and the like: separated by commas, 、, ; or spaces."""
    return [part for part in re.split(r"[,，、;；\s]+", value.strip()) if part]


@dataclass
class HeaderMap:
    """Where each known column sits in the file, and what is wrong with the header row."""

    index: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # key -> header as written in the file
    problems: list[tuple[str, Promise | str]] = field(default_factory=list)  # (header, reason)


def map_headers(columns: Iterable[Column], headers: list[str]) -> HeaderMap:
    """Match the file's header row to the columns; missing required ones are problems."""
    result = HeaderMap()
    by_name = {name: column for column in columns for name in column.names()}
    for position, header in enumerate(headers):
        column = by_name.get(normalise_header(header))
        if column is None:
            continue  # extra columns (remarks, row numbers) are common and harmless
        if column.key in result.index:
            result.problems.append((header, _("与第%(n)s列重复。") % {"n": result.index[column.key] + 1}))
            continue
        result.index[column.key] = position
        result.headers[column.key] = header
    for column in columns:
        if column.required and column.key not in result.index:
            result.problems.append((column.header, _("缺少必填列“%(header)s”。") % {"header": column.header}))
    return result
