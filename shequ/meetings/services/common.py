"""Helpers the meetings services share: rights checks and the audit record."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.registry.models import Area

#: seeing teams, meetings, visits and common problems: the case workers' view right
VIEW = Capability.CASES_VIEW
#: appointing seats, holding meetings, recording visits, accepting common problems
MANAGE = Capability.MEETINGS_MANAGE


def require_manage(actor: Actor, area: Area) -> None:
    """Refuse unless the actor may run meetings at ``area``; system actors (CLI) may."""
    if actor.user is not None and not user_can(actor.user, MANAGE, area):
        raise PermissionDenied(_("您无权管理该区域的2+4事务。"))


def field_error(field: str, message, code: str) -> ValidationError:
    """A ValidationError for one field that keeps its code."""
    return ValidationError({field: ValidationError(message, code=code)})


def audit(actor: Actor, action: str, obj: models.Model, area: Area, **detail: Any) -> None:
    audit_append(actor=actor, action=action, obj=obj, area_path=area.path, detail=detail)
