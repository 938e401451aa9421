"""Helpers every notice service uses: rights, status checks, locking, the audit record."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.notices.models import Notice
from shequ.notices.placeholders import PLACEHOLDERS, unknown_placeholders

TITLE_MAX, BODY_MAX = 100, 2000


def field_error(field: str, message, code: str) -> ValidationError:
    """A ValidationError for one field that keeps its code (API clients switch on codes)."""
    return ValidationError({field: ValidationError(message, code=code)})


def require_user(actor: Actor) -> None:
    """Drafting and approving are acts of a named person, never of the system."""
    if actor.user is None:
        raise PermissionDenied(_("此操作需要登录的工作人员。"))


def can_approve(actor: Actor, notice: Notice) -> bool:
    """System actors (the tick) may; people need NOTICES_APPROVE at the notice's area."""
    return actor.user is None or user_can(actor.user, Capability.NOTICES_APPROVE, notice.area)


def require_approve(actor: Actor, notice: Notice) -> None:
    if not can_approve(actor, notice):
        raise PermissionDenied(_("您无权审批或发布该通知。"))


def is_author(actor: Actor, notice: Notice) -> bool:
    return actor.user is not None and actor.user.pk == notice.author_id


def require_author(actor: Actor, notice: Notice) -> None:
    """Only the author changes or submits a draft, and only while still holding the right."""
    if not is_author(actor, notice) or not user_can(actor.user, Capability.NOTICES_DRAFT, notice.area):
        raise PermissionDenied(_("只有拟稿人可以修改或提交该通知。"))


def lock(notice: Notice) -> Notice:
    """Lock the notice's row for this transaction and reload it, so two people acting
    at once (or the tick and a person) cannot both move it from the same status."""
    list(Notice.objects.select_for_update().filter(pk=notice.pk).values_list("pk", flat=True))
    notice.refresh_from_db()
    return notice


def require_status(notice: Notice, allowed: Collection[str], step) -> None:
    if notice.status not in allowed:
        raise ValidationError(
            _("通知当前状态为“%(status)s”，不能%(step)s。") % {"status": notice.get_status_display(), "step": step},
            code="invalid_transition",
        )


def record(actor: Actor, action: str, notice: Notice, detail: dict[str, Any] | None = None) -> None:
    audit_append(actor=actor, action=f"notice.{action}", obj=notice,
                 detail={"title": notice.title, "status": notice.status, **(detail or {})})


class Errors:
    """Collects every problem with a notice, so the form shows them all at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message, code: str) -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message, code=code))

    def has(self, field: str) -> bool:
        return field in self.by_field

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def check_text(errors: _Errors, field: str, text: str, limit: int, missing) -> None:
    if not text:
        errors.add(field, missing, "required")
        return
    unknown = unknown_placeholders(text)
    if unknown:
        errors.add(field, _("未知的占位符：%(names)s。可用的有：%(known)s。") % {
            "names": "、".join("{%s}" % name for name in unknown),
            "known": "、".join("{%s}" % name for name in PLACEHOLDERS),
        }, "placeholder_unknown")
    elif len(text) > limit:
        errors.add(field, _("不能超过 %(limit)d 个字。") % {"limit": limit}, "max_length")
