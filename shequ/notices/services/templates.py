"""Notice templates: reusable wording with placeholders, kept at an area."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.notices.models import Category, NoticeTemplate
from shequ.notices.services.common import BODY_MAX, TITLE_MAX, Errors, check_text, field_error, require_user
from shequ.registry.models import Area

NAME_MAX = 60


def _clean(errors: Errors, actor: Actor, *, area: Area | None, name: str, title: str, body: str,
           category: str) -> dict:
    name, title, body = (name or "").strip(), (title or "").strip(), (body or "").strip()
    if area is None:
        errors.add("area", _("请选择模板所属区域。"), "required")
    elif not user_can(actor.user, Capability.NOTICES_DRAFT, area):
        errors.add("area", _("您无权在“%(name)s”保存模板。") % {"name": area.name}, "outside_grants")
    if not name:
        errors.add("name", _("请填写模板名称。"), "required")
    elif len(name) > NAME_MAX:
        errors.add("name", _("不能超过 %(limit)d 个字。") % {"limit": NAME_MAX}, "max_length")
    check_text(errors, "title", title, TITLE_MAX, _("请填写标题。"))
    check_text(errors, "body", body, BODY_MAX, _("请填写正文。"))
    if category not in Category.values:
        errors.add("category", _("请选择通知类别。"), "invalid_choice")
    errors.raise_any()
    return {"area": area, "name": name, "title": title, "body": body, "category": category}


def _save(actor: Actor, template: NoticeTemplate, values: dict, action: str) -> NoticeTemplate:
    for field, value in values.items():
        setattr(template, field, value)
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as exc:
        raise field_error("name", _("该区域已有同名模板。"), "unique") from exc
    audit_append(actor=actor, action=f"notice_template.{action}", obj=template, detail={"name": template.name})
    return template


@transaction.atomic
def notice_template_create(*, actor: Actor, area: Area | None, name: str, title: str, body: str,
                           category: str = Category.NOTICE) -> NoticeTemplate:
    """Save wording for reuse; unknown placeholders are refused like in a notice."""
    require_user(actor)
    values = _clean(Errors(), actor, area=area, name=name, title=title, body=body, category=category)
    return _save(actor, NoticeTemplate(created_by=actor.user), values, "create")


def _require_edit(actor: Actor, template: NoticeTemplate) -> None:
    require_user(actor)
    if not user_can(actor.user, Capability.NOTICES_DRAFT, template.area):
        raise PermissionDenied(_("您无权修改该模板。"))


@transaction.atomic
def notice_template_update(*, actor: Actor, template: NoticeTemplate, area: Area | None, name: str, title: str,
                           body: str, category: str = Category.NOTICE) -> NoticeTemplate:
    _require_edit(actor, template)
    values = _clean(Errors(), actor, area=area, name=name, title=title, body=body, category=category)
    return _save(actor, template, values, "update")


@transaction.atomic
def notice_template_delete(*, actor: Actor, template: NoticeTemplate) -> None:
    _require_edit(actor, template)
    audit_append(actor=actor, action="notice_template.delete", obj=template, detail={"name": template.name})
    template.delete()

