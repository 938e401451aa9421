"""A POST requests body, decoded, and the checks that need no database."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.http import QueryDict
from django.utils.translation import gettext as _

#: the spec's limit on a description
DESCRIPTION_LIMIT = 4000
MEDIA_URL_LIMIT = 500
CLIENT_ID_LIMIT = 64

_ATTRIBUTE_PREFIX = "attribute["
_TEXT_FIELDS = ("service_code", "lat", "long", "address_string", "address_id", "email", "device_id", "account_id",
                "first_name", "last_name", "phone", "description", "media_url")


@dataclass
class Submission:
    """What a client sent (strings as sent, trimmed), attributes by code.
    ``jurisdiction_id`` is not kept: this server is one jurisdiction."""

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


def add_error(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(str(message))


def submission_errors(submission: Submission) -> dict[str, list[str]]:
    """Problems with the fields that need no lookup, by Open311 field name."""
    errors: dict[str, list[str]] = {}
    if not submission.service_code:
        add_error(errors, "service_code", _("必填，且须为 services 列出的服务代码。"))
    if not submission.description:
        add_error(errors, "description", _("必填。"))
    elif len(submission.description) > DESCRIPTION_LIMIT:
        add_error(errors, "description", _("不能超过 %(limit)d 个字。") % {"limit": DESCRIPTION_LIMIT})
    if submission.media_url:
        try:
            if len(submission.media_url) > MEDIA_URL_LIMIT:
                raise ValidationError("too long")
            URLValidator(schemes=["http", "https"])(submission.media_url)
        except ValidationError:
            add_error(errors, "media_url", _("不是有效的 http(s) 地址。"))
    if submission.email:
        try:
            validate_email(submission.email)
        except ValidationError:
            add_error(errors, "email", _("不是有效的电子邮箱地址。"))
    for name in ("account_id", "device_id"):
        if len(getattr(submission, name)) > CLIENT_ID_LIMIT:
            add_error(errors, name, _("不能超过 %(limit)d 个字符。") % {"limit": CLIENT_ID_LIMIT})
    return errors


def as_validation_error(errors: dict[str, list[str]]) -> ValidationError:
    return ValidationError({name: [ValidationError(message) for message in messages]
                            for name, messages in errors.items()})


def mask_email(value: str) -> str:
    """``zhang.san@example.cn`` -> ``z***@example.cn``."""
    local, _sep, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"[:80]
