"""Placeholders in notice wording: ``{community}``, ``{date}`` ... filled in when a
notice is drafted, from the area it is published at and the dates it carries.

Only ``{name}`` made of ASCII letters, digits and underscores is a placeholder;
other braces (``{ }``, ``{某某}``) are text. An unknown name is an error rather
than text left in the notice: a typo would otherwise reach every household.
"""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext_lazy as _

from shequ.registry.models import Area
from shequ.registry.models.area import AreaLevel

PATTERN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

#: name -> what it becomes (shown next to the template editor)
PLACEHOLDERS = {
    "area": _("发布单位（区、街道、社区或小区）的名称"),
    "district": _("所在区的名称"),
    "street": _("所在街道的名称"),
    "community": _("所在社区的名称"),
    "complex": _("所在小区的名称"),
    "date": _("拟稿当天的日期，如“2025年5月17日”"),
    "publish_date": _("发布日期（定时发布的日期，否则为当天）"),
}
_LEVEL_OF = {"district": AreaLevel.DISTRICT, "street": AreaLevel.STREET, "community": AreaLevel.COMMUNITY,
             "complex": AreaLevel.COMPLEX}


def unknown_placeholders(text: str) -> list[str]:
    """Placeholder names in ``text`` that are not in :data:`PLACEHOLDERS`, in order, once each."""
    found: list[str] = []
    for name in PATTERN.findall(text or ""):
        if name not in PLACEHOLDERS and name not in found:
            found.append(name)
    return found


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def placeholder_values(*, area: Area, today: date, publish_day: date) -> dict[str, str]:
    """The value of each placeholder for a notice published at ``area``.

    A level above the area has its ancestor's name; a level at or below it (a
    ``{community}`` in a street-wide notice) has the area's own name, which reads
    right in such wording ("小寨路街道居民：").
    """
    ancestors = {row.level: row.name for row in Area.objects.filter(pk__in=area.ancestor_ids).only("level", "name")}
    values = {name: ancestors.get(level, area.name) for name, level in _LEVEL_OF.items()}
    values.update(area=area.name, date=chinese_date(today), publish_date=chinese_date(publish_day))
    return values


def placeholders_fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each known placeholder replaced (call after checking for unknown ones)."""
    return PATTERN.sub(lambda match: values.get(match.group(1), match.group(0)), text)
