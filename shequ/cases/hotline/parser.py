"""The columns of a 12345 hotline export and the parsers of its cells.

Exports differ between the city platform's versions and the districts that
re-save them, so every column has aliases (``COLUMNS``). Headers are part of the
file format, not UI text: they stay Chinese whatever the interface language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shequ.cases.deadlines import TZ, WorkCalendar, due_at
from shequ.cases.models import DeadlineUnit, RequestType, Urgency
from shequ.exchange.importers.columns import MASK_PHONE, CellError, Column, choice_lookup
from shequ.registry.validators import validate_mobile

COLUMNS: tuple[Column, ...] = (
    Column("ticket", "工单编号", ("工单号", "热线工单号", "工单号码", "受理编号", "编号", "ticket", "ticket number"),
           required=True, example="XA2025030100123",
           help=_("热线平台的工单编号；同一工单只导入一次，再次导入时跳过。")),
    Column("received_at", "来电时间", ("受理时间", "登记时间", "来电日期", "创建时间", "派单时间", "received at"),
           required=True, example="2025-03-01 09:15",
           help=_("北京时间，如 2025-03-01 09:15 或 2025/3/1 9:15:30。")),
    Column("reporter_name", "来电人", ("来电人姓名", "诉求人", "诉求人姓名", "反映人", "联系人", "caller"),
           example="张先生"),
    Column("reporter_phone", "来电号码", ("联系电话", "联系方式", "诉求人电话", "来电电话", "电话", "phone"),
           mask=MASK_PHONE, example="13812345678",
           help=_("手机号或带区号的固定电话；加密保存，页面上只显示打码后的号码。")),
    Column("request_type", "诉求类型", ("诉求性质", "来电类型", "工单类型", "request type"), example="投诉",
           choices=lambda: list(RequestType.choices), help=_("咨询、求助、投诉、举报或建议；不填按投诉。")),
    Column("category", "问题分类", ("诉求分类", "问题类别", "事项分类", "业务分类", "category"),
           example="环境卫生>垃圾清运",
           help=_("热线的分类名称，可写成“一级>二级”；按分类管理中的“热线分类名称”对应到本系统的分类。"
                  "也可以分成“一级分类”“二级分类”两列。")),
    Column("category_1", "一级分类", ("一级类别", "大类"), example=""),
    Column("category_2", "二级分类", ("二级类别", "小类"), example=""),
    Column("category_3", "三级分类", ("三级类别",), example=""),
    Column("title", "标题", ("工单标题", "诉求标题", "title"), example="",
           help=_("不填时取诉求内容的开头。")),
    Column("description", "诉求内容", ("问题描述", "来电内容", "诉求描述", "工单内容", "内容", "description"),
           required=True, example="3号楼门口垃圾堆放三天无人清运，气味很大。"),
    Column("address", "事发地址", ("诉求地址", "地址", "事发地点", "问题地址", "address"),
           example="幸福里3号楼2单元301",
           help=_("写到楼栋、单元、房号时（如“3号楼2单元301”），事件登记到该楼栋或房屋。")),
    Column("district", "所属区县", ("区县", "所属区", "district"), example="雁塔区"),
    Column("street", "所属街道", ("街道", "街镇", "所属街镇", "street"), example="小寨路街道"),
    Column("community", "所属社区", ("社区", "community"), example="幸福里社区"),
    Column("complex", "小区名称", ("小区", "所属小区", "complex"), example="幸福里",
           help=_("须是您有权办理的小区；重名时按所属社区、街道、区县区分。不填时从事发地址中识别。")),
    Column("urgency", "紧急程度", ("紧急度", "缓急程度", "urgency"), example="一般",
           choices=lambda: list(Urgency.choices), help=_("一般或紧急；不填按一般。")),
    Column("deadline", "办理时限", ("办结时限", "处理时限", "承办时限", "deadline"), example="",
           help=_("热线要求的期限：时间（2025-03-08 18:00）或时长（3个工作日、24小时、5天）。"
                  "比本系统按分类算出的期限早时以它为准。")),
)
CATEGORY_KEYS = ("category_3", "category_2", "category", "category_1")  # most specific first

_REQUEST_ALIASES = {"意见建议": RequestType.SUGGESTION, "意见": RequestType.SUGGESTION,
                    "投诉举报": RequestType.COMPLAINT, "咨询类": RequestType.CONSULTATION,
                    "求助类": RequestType.HELP, "投诉类": RequestType.COMPLAINT, "举报类": RequestType.REPORT,
                    "建议类": RequestType.SUGGESTION}
REQUEST_TYPES = {**choice_lookup(RequestType.choices), **_REQUEST_ALIASES}
_URGENCY_ALIASES = {"普通": Urgency.NORMAL, "正常": Urgency.NORMAL, "非紧急": Urgency.NORMAL, "一般件": Urgency.NORMAL,
                    "特急": Urgency.URGENT, "加急": Urgency.URGENT, "急": Urgency.URGENT, "特别紧急": Urgency.URGENT,
                    "紧急件": Urgency.URGENT, "急件": Urgency.URGENT}
URGENCIES = {**choice_lookup(Urgency.choices), **_URGENCY_ALIASES}


def fold(value: str) -> str:
    """Compare names as people type them: NFKC (full-width forms), no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", value or "").split()).lower()


def pick_choice(table: dict[str, str], value: str, message) -> str:
    found = table.get(fold(value))
    if found is None:
        raise CellError(message)
    return found


# --- times -------------------------------------------------------------------------------------------------------

_DATETIME_RE = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]*(\d{1,2})[:：时点](\d{1,2})(?:[:：分](\d{1,2})(?:\.\d+)?秒?)?分?)?"
    r"(?:[+-]\d{2}:?\d{2}|Z)?"  # an offset written by a script is ignored: exports are in Beijing time
)
_EXCEL_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 in the 1900 date system


def parse_datetime(value: str) -> datetime:
    """An aware datetime in Asia/Shanghai from what hotline exports hold:
    2025-03-01 09:15:30, 2025/3/1 9:15, 2025年3月1日9时15分, a date alone, or an
    Excel serial number (a date cell saved as a number)."""
    text = unicodedata.normalize("NFKC", value).strip()
    match = _DATETIME_RE.fullmatch(text)
    if match:
        year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=TZ)
        except ValueError:
            raise CellError(_("日期或时间不存在。")) from None
    if re.fullmatch(r"\d{5}(\.\d+)?", text) and 20000 < float(text) < 80000:
        return (_EXCEL_EPOCH + timedelta(days=float(text))).replace(microsecond=0, tzinfo=TZ)
    raise CellError(_("时间无效，请写成 2025-03-01 09:15 的格式。"))


@dataclass(frozen=True)
class HotlineDeadline:
    """The hotline's own 办理时限: an instant, or an amount of time from receipt."""

    at: datetime | None = None
    amount: int = 0
    unit: str = ""

    def due(self, received_at: datetime, calendar: WorkCalendar) -> datetime:
        if self.at is not None:
            return self.at
        return due_at(received_at, amount=self.amount, unit=self.unit, calendar=calendar)


_DURATION_RE = re.compile(r"(\d{1,3})\s*(?:个)?\s*(工作日|工作小时|自然日|小时|天|日|h|d)")
_DURATION_UNITS = {"工作日": DeadlineUnit.WORKING_DAYS, "工作小时": DeadlineUnit.WORKING_HOURS,
                   "自然日": DeadlineUnit.DAYS, "天": DeadlineUnit.DAYS, "日": DeadlineUnit.DAYS, "d": DeadlineUnit.DAYS,
                   "小时": DeadlineUnit.HOURS, "h": DeadlineUnit.HOURS}


def parse_deadline(value: str) -> HotlineDeadline:
    text = unicodedata.normalize("NFKC", value).strip().lower()
    match = _DURATION_RE.fullmatch(text)
    if match:
        return HotlineDeadline(amount=int(match[1]), unit=_DURATION_UNITS[match[2]])
    try:
        return HotlineDeadline(at=parse_datetime(text))
    except CellError:
        raise CellError(_("办理时限无效：写时间（2025-03-08 18:00）或时长（3个工作日、24小时、5天）。")) from None


# --- phones ------------------------------------------------------------------------------------------------------

_LANDLINE_RE = re.compile(r"0\d{2,3}[1-9]\d{6,7}")


def parse_phone(value: str) -> str:
    """A mainland mobile (11 digits) or a landline with its area code (029-88881234 ->
    02988881234); callers reach the hotline from both. An extension is dropped."""
    text = unicodedata.normalize("NFKC", value).strip()
    text = re.split(r"(?:转|ext\.?|分机|#)", text, maxsplit=1, flags=re.IGNORECASE)[0]
    digits = re.sub(r"[\s\-()（）]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    if digits.startswith("1"):
        try:
            return validate_mobile(digits)
        except ValidationError:
            raise CellError(_("电话号码无效：应为11位手机号或带区号的固定电话。")) from None
    if _LANDLINE_RE.fullmatch(digits):
        return digits
    raise CellError(_("电话号码无效：应为11位手机号或带区号的固定电话。"))


def is_mobile(number: str) -> bool:
    return number.startswith("1")


# --- text --------------------------------------------------------------------------------------------------------

TITLE_LENGTH = 30


def title_from(description: str) -> str:
    """The first line of the description, cut at 30 characters (the list pages show titles)."""
    line = " ".join(description.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1] + "…"


def split_category_path(value: str) -> list[str]:
    """"城乡建设>物业管理>物业服务" and its spellings with / - — → ＞ as segments."""
    return [part for part in re.split(r"\s*[>＞→/／\\|｜\-—–]+\s*", value.strip()) if part]
