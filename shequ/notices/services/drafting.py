"""Writing a notice and getting it approved: draft, update, submit, approve, reject.

Four eyes: the person who approves a notice is never its author (checked here
and by a database constraint). A notice's audience lies inside the area it is
published at, and inside the author's own grants.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.notices.models import AUDIENCE_LEVELS, PUBLISH_LEVELS, Category, Notice, Status
from shequ.notices.placeholders import placeholder_values, placeholders_fill
from shequ.notices.services.common import (
    BODY_MAX, TITLE_MAX, Errors, check_text, field_error, is_author, lock, record, require_approve, require_author,
    require_status, require_user,
)
from shequ.registry.models import Area, CareTag

#: the channels a notice may go out on, as the forms and the API name them
CHANNELS = {"terminals": "to_terminals", "residents": "to_residents", "staff": "to_staff"}
#: a scheduled time this far in the past still counts as "now" (the form was open a while)
PAST_SLACK = timedelta(minutes=5)
REASON_MAX = 200


def _check_area(errors: Errors, actor: Actor, area: Area | None) -> None:
    if area is None:
        errors.add("area", _("请选择发布单位。"), "required")
    elif area.level not in PUBLISH_LEVELS:
        errors.add("area", _("通知只能以区、街道、社区或小区的名义发布。"), "area_level")
    elif area.retired_on is not None:
        errors.add("area", _("该区域已撤销。"), "area_retired")
    elif not user_can(actor.user, Capability.NOTICES_DRAFT, area):
        errors.add("area", _("您无权以“%(name)s”的名义发布通知。") % {"name": area.name}, "outside_grants")


def _check_audience(errors: Errors, actor: Actor, area: Area | None, areas: list[Area],
                    care_tags: list[CareTag]) -> None:
    if not areas and not care_tags:
        errors.add("audience_areas", _("请至少选择一个发布范围（区域、楼栋）或关爱群体。"), "audience_required")
    for node in areas:
        names = {"name": node.name, "area": area.name if area else ""}
        if node.level not in AUDIENCE_LEVELS:
            errors.add("audience_areas", _("“%(name)s”不能作为发布范围：请选择区域、小区、楼栋或单元。") % names,
                       "audience_level")
        elif not user_can(actor.user, Capability.NOTICES_DRAFT, node):
            errors.add("audience_areas", _("“%(name)s”不在您的管辖范围内。") % names, "audience_outside_grants")
        elif area is not None and not errors.has("area") and not node.is_within(area):
            errors.add("audience_areas", _("“%(name)s”不在发布单位“%(area)s”的范围内。") % names,
                       "audience_outside_area")


def _check_times(errors: Errors, publish_at: datetime | None, expires_at: datetime | None, now: datetime) -> None:
    if publish_at is not None and publish_at < now - PAST_SLACK:
        errors.add("publish_at", _("定时发布时间不能早于现在。"), "publish_at_past")
    start = publish_at or now
    if expires_at is not None and expires_at <= start:
        errors.add("expires_at", _("有效期必须晚于发布时间。"), "expires_before_publish")


def notice_clean(
    *, actor: Actor, area: Area | None, title: str, body: str, category: str = Category.NOTICE, urgent: bool = False,
    audience_areas: Iterable[Area] = (), care_tags: Iterable[CareTag] = (), channels: Collection[str] = ("residents",),
    publish_at: datetime | None = None, expires_at: datetime | None = None, now: datetime | None = None,
) -> dict[str, Any]:
    """Check everything about a notice's content and reach; return the values to save
    (placeholders filled) or raise one ValidationError naming every bad field."""
    now = now or timezone.now()
    errors = Errors()
    title, body = (title or "").strip(), (body or "").strip()
    areas = list({node.pk: node for node in audience_areas}.values())
    tags = list({tag.pk: tag for tag in care_tags}.values())
    _check_area(errors, actor, area)
    check_text(errors, "title", title, TITLE_MAX, _("请填写标题。"))
    check_text(errors, "body", body, BODY_MAX, _("请填写正文。"))
    if category not in Category.values:
        errors.add("category", _("请选择通知类别。"), "invalid_choice")
    _check_audience(errors, actor, area, areas, tags)
    unknown_channels = set(channels) - set(CHANNELS)
    if unknown_channels:
        errors.add("channels", _("未知的发布渠道：%(names)s。") % {"names": "、".join(sorted(unknown_channels))},
                   "invalid_choice")
    elif not channels:
        errors.add("channels", _("请至少选择一个发布渠道。"), "channels_required")
    _check_times(errors, publish_at, expires_at, now)
    errors.raise_any()
    values = placeholder_values(area=area, today=timezone.localdate(now),
                                publish_day=timezone.localdate(publish_at or now))
    title, body = placeholders_fill(title, values), placeholders_fill(body, values)
    # a long community name can push filled-in text over the limit
    check_text(errors, "title", title, TITLE_MAX, _("请填写标题。"))
    check_text(errors, "body", body, BODY_MAX, _("请填写正文。"))
    errors.raise_any()
    return {
        "fields": {"area": area, "title": title, "body": body, "category": category, "urgent": bool(urgent),
                   "publish_at": publish_at, "expires_at": expires_at,
                   **{flag: name in channels for name, flag in CHANNELS.items()}},
        "audience_areas": areas, "care_tags": tags,
    }


def _save(notice: Notice, cleaned: dict[str, Any]) -> Notice:
    for name, value in cleaned["fields"].items():
        setattr(notice, name, value)
    notice.save()
    notice.audience_areas.set(cleaned["audience_areas"])
    notice.care_tags.set(cleaned["care_tags"])
    return notice


def _audience_detail(cleaned: dict[str, Any]) -> dict[str, Any]:
    return {"audience_areas": [node.pk for node in cleaned["audience_areas"]],
            "care_tags": [tag.code for tag in cleaned["care_tags"]],
            "channels": [name for name, flag in CHANNELS.items() if cleaned["fields"][flag]]}


@transaction.atomic
def notice_draft(*, actor: Actor, now: datetime | None = None, **content: Any) -> Notice:
    """Write a new notice as a draft (拟稿); ``content`` as :func:`notice_clean` takes it."""
    require_user(actor)
    if not user_can(actor.user, Capability.NOTICES_DRAFT):
        raise PermissionDenied(_("您无权拟写通知。"))
    cleaned = notice_clean(actor=actor, now=now, **content)
    notice = _save(Notice(author=actor.user, status=Status.DRAFT), cleaned)
    record(actor, "draft", notice, _audience_detail(cleaned))
    return notice


@transaction.atomic
def notice_update(*, actor: Actor, notice: Notice, now: datetime | None = None, **content: Any) -> Notice:
    """Change a draft: only its author, only while it is a draft."""
    require_user(actor)
    require_author(actor, notice)
    lock(notice)
    require_status(notice, {Status.DRAFT}, _("修改"))
    cleaned = notice_clean(actor=actor, now=now, **content)
    _save(notice, cleaned)
    record(actor, "update", notice, _audience_detail(cleaned))
    return notice


def _require_not_expired(notice: Notice, now: datetime) -> None:
    if notice.expires_at is not None and notice.expires_at <= now:
        raise field_error("expires_at", _("该通知的有效期已过，请修改有效期。"), "expired")


@transaction.atomic
def notice_submit(*, actor: Actor, notice: Notice, now: datetime | None = None) -> Notice:
    """Send a draft for approval (提交审批)."""
    require_user(actor)
    require_author(actor, notice)
    lock(notice)
    require_status(notice, {Status.DRAFT}, _("提交审批"))
    now = now or timezone.now()
    _require_not_expired(notice, now)
    notice.status, notice.submitted_at, notice.status_note = Status.SUBMITTED, now, ""
    notice.save(update_fields=["status", "submitted_at", "status_note", "updated_at"])
    record(actor, "submit", notice)
    return notice


def _require_other_person(actor: Actor, notice: Notice) -> None:
    if is_author(actor, notice):
        raise PermissionDenied(_("不能审批自己拟写的通知，请由另一位有审批权限的工作人员审批。"))


@transaction.atomic
def notice_approve(*, actor: Actor, notice: Notice, now: datetime | None = None) -> Notice:
    """Approve a submitted notice (审批通过); never by its author. It is then
    published by :func:`notice_publish` now, or by the tick at ``publish_at``."""
    require_user(actor)
    require_approve(actor, notice)
    _require_other_person(actor, notice)
    lock(notice)
    require_status(notice, {Status.SUBMITTED}, _("审批"))
    now = now or timezone.now()
    _require_not_expired(notice, now)
    notice.status, notice.approved_by, notice.approved_at = Status.APPROVED, actor.user, now
    notice.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    record(actor, "approve", notice, {"publish_at": notice.publish_at})
    return notice


@transaction.atomic
def notice_reject(*, actor: Actor, notice: Notice, reason: str) -> Notice:
    """Send a submitted notice back to its author as a draft, saying why (退回修改)."""
    require_user(actor)
    require_approve(actor, notice)
    _require_other_person(actor, notice)
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("请填写退回原因。"), "required")
    if len(reason) > REASON_MAX:
        raise field_error("reason", _("不能超过 %(limit)d 个字。") % {"limit": REASON_MAX}, "max_length")
    lock(notice)
    require_status(notice, {Status.SUBMITTED}, _("退回"))
    notice.status, notice.status_note, notice.submitted_at = Status.DRAFT, reason, None
    notice.save(update_fields=["status", "status_note", "submitted_at", "updated_at"])
    record(actor, "reject", notice, {"reason": reason})
    return notice
