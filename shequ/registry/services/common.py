"""Helpers every registry service uses: permission checks, validation, audit diffs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.registry.models import Area

# never written to the audit log: the masked twin is logged instead
SECRET_FIELDS = frozenset({"id_number_cipher", "id_number_digest", "phone_cipher", "phone_digest", "totp_secret_cipher"})


def field_error(field: str, message, code: str) -> ValidationError:
    """A ValidationError for one field that keeps its code (Django drops ``code=``
    when the first argument is a dict, and API clients switch on codes)."""
    return ValidationError({field: ValidationError(message, code=code)})


def require(actor: Actor, capability: str, area: Area) -> None:
    """Refuse unless the actor holds ``capability`` at ``area``. System actors
    (CLI, seed, migrations: ``actor.user is None``) act with the operator's rights."""
    if actor.user is None:
        return
    if not user_can(actor.user, capability, area):
        raise PermissionDenied(_("您无权在该区域执行此操作。"))


def require_change(actor: Actor, area: Area) -> None:
    require(actor, Capability.CHANGE, area)


def require_change_and_move(actor: Actor, area: Area, changes: dict[str, Any]) -> None:
    """Refuse unless the actor may change the row at ``area`` and, when ``changes``
    move it to another area, may change rows there too."""
    require_change(actor, area)
    if "area" in changes:
        require_change(actor, changes["area"])


def snapshot(obj: models.Model) -> dict[str, Any]:
    """Field values for an audit diff, secrets left out."""
    values = {}
    for field in obj._meta.concrete_fields:
        if field.attname in SECRET_FIELDS or field.attname in ("created_at", "updated_at"):
            continue
        values[field.attname] = _plain(getattr(obj, field.attname))
    return values


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields that changed."""
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


def validate_and_save(obj: models.Model, *, exclude: list[str] | None = None) -> None:
    """Run the model's field, choice and constraint checks, then save.

    Errors come back as one ValidationError keyed by field, so forms and the API
    can show each message next to its field.
    """
    obj.full_clean(exclude=exclude)
    obj.save()


def audited_save(actor: Actor, obj: models.Model, before: dict[str, Any] | None, *, exclude=None) -> models.Model:
    """Validate, save and log a create (``before`` None) or an update."""
    validate_and_save(obj, exclude=exclude)
    after = snapshot(obj)
    action = f"{obj._meta.model_name}.{'created' if before is None else 'updated'}"
    changes = after if before is None else diff(before, after)
    if before is None or changes:
        audit_append(actor=actor, action=action, obj=obj, detail={"changes": changes})
    return obj


def audited_delete(actor: Actor, obj: models.Model, area: Area) -> None:
    """Delete a registry row after the permission check, logging what it held."""
    require_change(actor, area)
    before = snapshot(obj)
    label, pk = obj._meta.label_lower, obj.pk
    try:
        obj.delete()
    except models.ProtectedError as exc:
        raise ValidationError(_("该记录仍被其他数据引用，不能删除。"), code="protected") from exc
    audit_append(
        actor=actor, action=f"{obj._meta.model_name}.deleted", object_type=label, object_id=str(pk),
        area_path=area.path, detail={"was": before},
    )


def apply(obj: models.Model, changes: dict[str, Any], allowed: set[str]) -> None:
    """Set the allowed fields from ``changes``; unknown keys are a programming error."""
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)} on {obj._meta.label}")
    for key, value in changes.items():
        setattr(obj, key, value)
