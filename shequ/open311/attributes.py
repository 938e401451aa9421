"""Service attributes: the questions of a service definition, and the checking of
the answers a client sends as ``attribute[code]=value``.

Every service asks three built-in questions that map onto case fields (title,
request type, urgency); a category may add its own (``ServiceAttribute`` rows,
edited in the admin), whose answers are kept with the request and appended to
the case description so the people handling it read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from shequ.cases.models import Category, RequestType, Urgency
from shequ.open311.models import Datatype, ServiceAttribute

#: longest answer kept for a one-line and for a multi-line attribute
STRING_LIMIT, TEXT_LIMIT = 200, 2000


@dataclass(frozen=True)
class AttributeSpec:
    code: str
    description: str
    datatype: str
    required: bool = False
    variable: bool = True
    datatype_description: str = ""
    values: tuple[tuple[str, str], ...] = ()
    built_in: bool = False

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(key for key, _name in self.values)

    def name_of(self, key: str) -> str:
        return next((name for candidate, name in self.values if candidate == key), key)

    def as_document(self, order: int) -> dict[str, Any]:
        """The attribute as the service definition shows it."""
        return {
            "variable": self.variable,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": self.datatype_description or None,
            "order": order,
            "description": self.description,
            "values": [{"key": key, "name": name} for key, name in self.values],
        }


def built_in_attributes() -> list[AttributeSpec]:
    """Built per call: the texts follow the request's language."""
    return [
        AttributeSpec("title", _("标题（不填时取问题描述的开头）"), Datatype.STRING,
                      datatype_description=_("不超过 %(limit)d 个字") % {"limit": 120}, built_in=True),
        AttributeSpec("request_type", _("诉求类型"), Datatype.SINGLEVALUELIST,
                      datatype_description=_("不填时为“投诉”"),
                      values=tuple((str(value), str(label)) for value, label in RequestType.choices), built_in=True),
        AttributeSpec("urgency", _("紧急程度"), Datatype.SINGLEVALUELIST,
                      datatype_description=_("紧急事件按紧急时限办理；不填时为“一般”"),
                      values=tuple((str(value), str(label)) for value, label in Urgency.choices), built_in=True),
    ]


def _from_row(row: ServiceAttribute) -> AttributeSpec:
    values = tuple((str(item["key"]), str(item["name"])) for item in row.values or ())
    return AttributeSpec(row.code, row.description, row.datatype, row.required, row.variable,
                         row.datatype_description, values)


def attributes_for(category: Category) -> list[AttributeSpec]:
    """The built-in questions, then the category's own in their order (prefetch
    ``open311_attributes`` to keep this at no query)."""
    own = sorted(category.open311_attributes.all(), key=lambda row: (row.order, row.code))
    return built_in_attributes() + [_from_row(row) for row in own]


def _clean_one(spec: AttributeSpec, raw: Sequence[str]) -> Any:
    """The answer as it is kept, or raise ValueError with the reason."""
    if spec.datatype == Datatype.MULTIVALUELIST:
        keys = [value.strip() for value in raw if value.strip()]
        unknown = [key for key in keys if key not in spec.keys]
        if unknown:
            raise ValueError(_("不是可选的值：%(values)s") % {"values": ", ".join(unknown)})
        return list(dict.fromkeys(keys))
    if len(raw) > 1:
        raise ValueError(_("只能填一个值"))
    value = raw[0].strip()
    if spec.datatype == Datatype.SINGLEVALUELIST:
        if value not in spec.keys:
            raise ValueError(_("不是可选的值：%(values)s") % {"values": value})
        return value
    if spec.datatype == Datatype.NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise ValueError(_("不是数字"))
        return str(number)
    if spec.datatype == Datatype.DATETIME:
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is None or timezone.is_naive(moment):
            raise ValueError(_("须为带时区的 W3C 日期时间，如 2026-11-25T09:30:00+08:00"))
        return moment.isoformat()
    limit = TEXT_LIMIT if spec.datatype == Datatype.TEXT else STRING_LIMIT
    if len(value) > limit:
        raise ValueError(_("不能超过 %(limit)d 个字") % {"limit": limit})
    return value


def attributes_clean(specs: Iterable[AttributeSpec], submitted: Mapping[str, Sequence[str]]
                     ) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(answers by code, error messages by ``attribute[code]``). Answers to
    questions the service does not ask, and to its notes (``variable`` false),
    are dropped."""
    answers: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for spec in specs:
        if not spec.variable:
            continue
        raw = [value for value in submitted.get(spec.code, ()) if value is not None]
        if not any(value.strip() for value in raw):
            if spec.required:
                errors[f"attribute[{spec.code}]"] = [_("必填（%(description)s）") % {"description": spec.description}]
            continue
        try:
            answers[spec.code] = _clean_one(spec, raw)
        except ValueError as exc:
            errors[f"attribute[{spec.code}]"] = [str(exc)]
    return answers, errors


def answers_summary(specs: Iterable[AttributeSpec], answers: Mapping[str, Any]) -> str:
    """The category's own answers as lines for the case description."""
    lines = []
    for spec in specs:
        if spec.built_in or spec.code not in answers:
            continue
        value = answers[spec.code]
        if spec.datatype == Datatype.SINGLEVALUELIST:
            value = spec.name_of(value)
        elif spec.datatype == Datatype.MULTIVALUELIST:
            value = "、".join(spec.name_of(key) for key in value)
        lines.append(f"{spec.description}：{value}")
    return "\n".join(lines)
