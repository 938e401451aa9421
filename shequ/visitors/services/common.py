"""Helpers the visitor services share: rights, personal values, field errors."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor
from shequ.accounts.scope import user_can
from shequ.core import pii
from shequ.registry.models import Area
from shequ.registry.validators import validate_mobile, validate_plate

NAME_MAX = 40


def require_any(actor: Actor, capabilities: tuple[str, ...], area: Area) -> None:
    """Refuse unless the actor holds one of ``capabilities`` at ``area`` (system actors may)."""
    if actor.user is None:
        return
    if not any(user_can(actor.user, capability, area) for capability in capabilities):
        raise PermissionDenied(_("您无权在该区域执行此操作。"))


def error(message, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def clean_name(value: str, errors: dict) -> str:
    name = " ".join((value or "").split())
    if not name:
        errors["visitor_name"] = error(_("请填写访客姓名。"), "required")
    elif len(name) > NAME_MAX:
        errors["visitor_name"] = error(_("访客姓名最多40个字。"), "max_length")
    return name


def clean_phone(value: str, errors: dict) -> str:
    """A mainland mobile or nothing (the phone is optional)."""
    if not (value or "").strip():
        return ""
    try:
        return validate_mobile(value)
    except ValidationError as exc:
        errors["phone"] = exc.error_list
        return ""


def clean_plate(value: str, errors: dict) -> str:
    if not (value or "").strip():
        return ""
    try:
        return validate_plate(value)
    except ValidationError as exc:
        errors["plate"] = exc.error_list
        return ""


def set_phone(obj, phone: str) -> None:
    """Store a visitor's phone as cipher, keyed digest and mask (like the registry does)."""
    protected = pii.protect_phone(phone) if phone else pii.EMPTY
    obj.phone_cipher, obj.phone_digest, obj.phone_masked = protected.cipher, protected.digest, protected.masked
