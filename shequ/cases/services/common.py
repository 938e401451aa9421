"""Helpers every case service uses: rights, the timeline, the audit record."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.analytics.services import rollup_mark
from shequ.cases.models import Case, CaseEvent


def field_error(field: str, message, code: str) -> ValidationError:
    """A ValidationError for one field that keeps its code (API clients switch on codes)."""
    return ValidationError({field: ValidationError(message, code=code)})


def actor_label(actor: Actor) -> str:
    """The name the timeline shows: display name for people, ``<via>`` for the system."""
    if actor.user is None:
        return actor.name
    return actor.user.display_name or actor.user.get_username()


def can_handle(actor: Actor, case: Case) -> bool:
    """May the actor work on the case? System actors (CLI, sweep) may."""
    if actor.user is None:
        return True
    return Case.objects.visible_to(actor.user, Capability.CASES_HANDLE).filter(pk=case.pk).exists()


def require_handle(actor: Actor, case: Case) -> None:
    if not can_handle(actor, case):
        raise PermissionDenied(_("您无权办理该事件。"))


def is_reporter(actor: Actor, case: Case) -> bool:
    return actor.user is not None and case.reporter_user_id is not None and case.reporter_user_id == actor.user.pk


def require_reporter(actor: Actor, case: Case) -> None:
    if not is_reporter(actor, case):
        raise PermissionDenied(_("只有反映该问题的居民本人可以这样做。"))


def event_for(case: Case, actor: Actor, action: str, *, from_status: str = "", to_status: str = "",
              note: str = "", detail: dict[str, Any] | None = None, at=None) -> CaseEvent:
    """An unsaved timeline entry (bulk callers ``bulk_create`` a list of these)."""
    return CaseEvent(
        case=case, at=at or timezone.now(), actor=actor.user, actor_name=actor_label(actor)[:150], action=action,
        from_status=from_status, to_status=to_status, note=note, detail=detail or {},
    )


def record(case: Case, actor: Actor, action: str, *, from_status: str = "", to_status: str = "", note: str = "",
           detail: dict[str, Any] | None = None, at=None) -> CaseEvent:
    """Write one timeline entry and its audit record: every step says who, when, from what to what."""
    event = event_for(case, actor, action, from_status=from_status, to_status=to_status, note=note,
                      detail=detail, at=at)
    event.save()
    rollup_mark(cases=[case])  # the figures recount this case's (complex, day) on their next refresh
    audit_append(actor=actor, action=f"case.{action}", obj=case, detail={
        "number": case.number, "from": from_status, "to": to_status, **(detail or {}),
    })
    return event
