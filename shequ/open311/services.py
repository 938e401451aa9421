"""Filing an Open311 service request: it becomes a case on the ``open311``
channel through ``case_create``, acting as the API key's user, so the same
rights, checks, deadline, numbering and audit apply as for staff entry.

Errors are Django's: ``ValidationError`` keyed by the Open311 field a client
sent (``service_code``, ``address_id``, ``attribute[urgency]`` ...) and
``PermissionDenied`` when the key's user may not file cases at that place. The
views turn them into the spec's 400 and 403 answers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.cases.models import Case, Category, Channel, RequestType, Urgency
from shequ.cases.services.intake import case_create
from shequ.core import pii
from shequ.exchange.models import ApiKey
from shequ.open311.attributes import answers_summary, attributes_clean, attributes_for
from shequ.open311.models import ServiceRequest
from shequ.open311.wire import format_time
from shequ.registry.models import Area
from shequ.registry.models.area import AreaLevel

#: the spec's limit on a description
DESCRIPTION_LIMIT = 4000
#: how a case_create error field is called in the request the client sent
CASE_FIELD_TO_OPEN311 = {
    "area": "address_id",
    "latitude": "lat",
    "longitude": "long",
    "reporter_phone": "phone",
    "reporter_name": "last_name",
    "location_text": "address_string",
    "title": "attribute[title]",
    "request_type": "attribute[request_type]",
    "urgency": "attribute[urgency]",
    "category": "service_code",
    "description": "description",
}
_ATTRIBUTE_PREFIX = "attribute["
_TEXT_FIELDS = ("service_code", "lat", "long", "address_string", "address_id", "email", "device_id", "account_id",
                "first_name", "last_name", "phone", "description", "media_url")


@dataclass
class Submission:
    """A POST requests body, as sent (strings), attributes by code."""

    service_code: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    description: str = ""
    media_url: str = ""
    attributes: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_form(cls, data: QueryDict) -> Submission:
        """``attribute[code]=v`` and, for multi-value lists, ``attribute[code][]=v`` (repeated)."""
        values = {name: (data.get(name) or "").strip() for name in _TEXT_FIELDS}
        attributes: dict[str, list[str]] = {}
        for name, items in data.lists():
            if not name.startswith(_ATTRIBUTE_PREFIX):
                continue
            code = name[len(_ATTRIBUTE_PREFIX):].removesuffix("[]").removesuffix("]")
            if code:
                attributes.setdefault(code, []).extend(items)
        return cls(**values, attributes=attributes)

    @property
    def reporter_name(self) -> str:
        """Chinese names read family name first; Latin ones given name first."""
        first, last = self.first_name.strip(), self.last_name.strip()
        if (first + last).isascii():
            return " ".join(part for part in (first, last) if part)
        return last + first


def _add(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(str(message))


def _title_from(description: str) -> str:
    first_line = description.strip().splitlines()[0] if description.strip() else ""
    return first_line[:30] + ("…" if len(first_line) > 30 else "")


def mask_email(value: str) -> str:
    """``zhang.san@example.cn`` -> ``z***@example.cn``."""
    local, _sep, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"[:80]


def _area_by_address_string(user, text: str) -> Area | None:
    """The one complex (among those the key may file cases in) whose name the
    address names; None when none or several do. A name inside a longer matching
    name ("长庆坊" in "长庆坊二期") yields to the longer one."""
    complexes = Area.objects.visible_to(user, Capability.CASES_HANDLE).active().filter(level=AreaLevel.COMPLEX)
    found = [area for area in complexes.only("pk", "name", "path", "level", "retired_on") if area.name in text]
    found = [area for area in found if not any(area.name != other.name and area.name in other.name for other in found)]
    return found[0] if len(found) == 1 else None


def request_place(*, user, submission: Submission) -> Area:
    """The area node a request belongs to: ``address_id`` is the code of a
    complex, building, unit or house; else a complex named in ``address_string``.
    Coordinates alone cannot place a case (the area tree has no geometry)."""
    if submission.address_id:
        area = Area.objects.filter(code=submission.address_id).first()
        if area is None:
            raise ValidationError({"address_id": _("没有编码为“%(code)s”的区域。") % {"code": submission.address_id}},
                                  code="address_unknown")
        return area
    if submission.address_string:
        area = _area_by_address_string(user, submission.address_string)
        if area is None:
            raise ValidationError({"address_string": _(
                "无法从地址确定所在小区：请用 address_id 给出小区、楼栋、单元或房屋的编码。")}, code="address_unplaced")
        return area
    if submission.lat or submission.long:
        raise ValidationError({"address_id": _(
            "仅凭经纬度无法确定所在小区：请同时给出 address_id（小区、楼栋、单元或房屋的编码）。")}, code="address_unplaced")
    raise ValidationError({"address_id": _("须给出 lat/long、address_string 或 address_id 之一，"
                                           "且须能确定所在小区（建议用 address_id）。")}, code="location_missing")


def _check_fields(submission: Submission, errors: dict[str, list[str]]) -> None:
    if not submission.description:
        _add(errors, "description", _("必填。"))
    elif len(submission.description) > DESCRIPTION_LIMIT:
        _add(errors, "description", _("不能超过 %(limit)d 个字。") % {"limit": DESCRIPTION_LIMIT})
    if submission.media_url:
        try:
            URLValidator(schemes=["http", "https"])(submission.media_url)
            if len(submission.media_url) > ServiceRequest._meta.get_field("media_url").max_length:
                raise ValidationError("too long")
        except ValidationError:
            _add(errors, "media_url", _("不是有效的 http(s) 地址。"))
    if submission.email:
        try:
            validate_email(submission.email)
        except ValidationError:
            _add(errors, "email", _("不是有效的电子邮箱地址。"))
    for name in ("account_id", "device_id"):
        if len(getattr(submission, name)) > 64:
            _add(errors, name, _("不能超过 %(limit)d 个字符。") % {"limit": 64})


def _case_errors(exc: ValidationError) -> dict[str, list[str]]:
    """case_create's field errors, renamed to the fields the client sent."""
    if not hasattr(exc, "error_dict"):
        return {"": list(exc.messages)}
    return {CASE_FIELD_TO_OPEN311.get(name, name): [str(message) for error in errors for message in error.messages]
            for name, errors in exc.error_dict.items()}


def service_get_for_request(service_code: str) -> Category | None:
    """The active category a request names, with its own attributes."""
    if not service_code:
        return None
    return Category.objects.filter(code=service_code, is_active=True).prefetch_related("open311_attributes").first()


def service_request_create(*, actor: Actor, api_key: ApiKey, submission: Submission) -> ServiceRequest:
    """File a request as a case; returns the row that links it to its token."""
    errors: dict[str, list[str]] = {}
    category = service_get_for_request(submission.service_code)
    if category is None:
        raise ValidationError({"service_code": _("必填，且须为 services 列出的服务代码。")
                               if not submission.service_code else
                               _("没有代码为“%(code)s”的服务。") % {"code": submission.service_code}},
                              code="service_unknown")
    specs = attributes_for(category)
    answers, attribute_errors = attributes_clean(specs, submission.attributes)
    errors.update(attribute_errors)
    _check_fields(submission, errors)
    if errors:  # every bad field at once
        raise ValidationError({name: [ValidationError(message) for message in messages]
                               for name, messages in errors.items()})
    area = request_place(user=actor.user, submission=submission)
    description = submission.description
    summary = answers_summary(specs, answers)
    if summary:
        description = f"{description}\n\n{summary}"
    email = pii.encrypt(submission.email) if submission.email else ""
    try:
        with transaction.atomic():
            case = case_create(
                actor=actor, channel=Channel.OPEN311, category=category, area=area,
                title=answers.get("title") or _title_from(submission.description), description=description,
                request_type=answers.get("request_type", RequestType.COMPLAINT),
                urgency=answers.get("urgency", Urgency.NORMAL), reporter_name=submission.reporter_name,
                reporter_phone=submission.phone, location_text=submission.address_string,
                latitude=submission.lat or None, longitude=submission.long or None,
            )
            return ServiceRequest.objects.create(
                case=case, api_key=api_key, token=secrets.token_hex(16), media_url=submission.media_url,
                attributes=answers, account_id=submission.account_id, device_id=submission.device_id,
                email_cipher=email, email_masked=mask_email(submission.email) if submission.email else "",
            )
    except ValidationError as exc:
        raise ValidationError({name: [ValidationError(message) for message in messages]
                               for name, messages in _case_errors(exc).items()}) from exc


def service_notice(case: Case) -> str:
    """What the requester may expect, in words."""
    if case.is_open and case.due_at:
        return _("已受理，编号 %(number)s，按时限应于 %(due)s 前办理完毕。") % {
            "number": case.number, "due": format_time(case.due_at)}
    return ""


def error_descriptions(exc: ValidationError) -> list[str]:
    """``field: message`` lines for the spec's error list."""
    if not hasattr(exc, "error_dict"):
        return list(exc.messages)
    return [f"{name}: {message}" if name else message
            for name, errors in exc.error_dict.items() for error in errors for message in error.messages]


def permission_description(exc: PermissionDenied) -> str:
    return _("该 api_key 无权在此地点提交诉求（%(reason)s）。") % {"reason": str(exc) or _("超出授权范围")}
