"""The columns of the figures table, shared by the page and the Excel export so
both always show the same numbers under the same headings."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from shequ.analytics.counters import Counters


@dataclass(frozen=True)
class Column:
    key: str  # a Counters attribute or property
    label: object
    kind: str  # count / share / hours / score
    help: object = ""

    def value(self, counters: Counters) -> int | float | None:
        return getattr(counters, self.key)

    def display(self, counters: Counters) -> str:
        value = self.value(counters)
        if value is None:
            return "—"
        if self.kind == "share":
            return f"{value * 100:.1f}%"
        if self.kind == "hours":
            return f"{value:.1f}"
        if self.kind == "score":
            return f"{value:.2f}"
        return str(value)


COLUMNS = (
    Column("received", _("受理"), "count", _("期间受理的诉求（已合并的重复件不计）")),
    Column("three_groups_share", _("环卫物业水电气暖占比"), "share", _("环境卫生、物业服务、水电气暖三类之和占受理数")),
    Column("sanitation_share", _("环境卫生"), "share"),
    Column("property_share", _("物业服务"), "share"),
    Column("utilities_share", _("水电气暖"), "share"),
    Column("resolved", _("办结"), "count"),
    Column("resolved_rate", _("办结率"), "share", _("办结数占受理数")),
    Column("on_time_rate", _("按时办结率"), "share", _("期限内办结数占办结数；等待居民期间不计时")),
    Column("handling_hours", _("平均办理时长(小时)"), "hours", _("从受理到办结")),
    Column("satisfaction_average", _("平均满意度"), "score", _("居民评价 1–5 分")),
    Column("satisfied_share", _("满意率"), "share", _("评 4 分及以上占评价数")),
    Column("escalated_street", _("升级至街道"), "count"),
    Column("escalated_district", _("升级至区"), "count"),
    Column("meetings", _("召开会议"), "count", _("2+4碰头会、街道联席会议、区领导小组会议")),
    Column("visits", _("入户走访"), "count"),
)
