"""What every mailbox service uses: rights, text checks, the audit record."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.cases.services.common import field_error
from shequ.mailbox.models import Letter

__all__ = ["audit", "clean_text", "field_error", "is_writer", "lock", "require_handle", "require_writer"]


def is_writer(actor: Actor, letter: Letter) -> bool:
    return actor.user is not None and letter.sender_user_id == actor.user.pk


def require_writer(actor: Actor, letter: Letter) -> None:
    if not is_writer(actor, letter):
        raise PermissionDenied(_("只有来信人本人可以这样做。"))


def require_handle(actor: Actor, letter: Letter) -> None:
    """The police of the letter's area (system actors, such as the sweep, may too)."""
    if actor.user is not None and not user_can(actor.user, Capability.MAILBOX_HANDLE, letter.area):
        raise PermissionDenied(_("您无权办理该来信。"))


def lock(letter: Letter) -> Letter:
    """Lock the letter's row for this transaction and reload it, so two people
    acting at once see each other's step (a second rating, a reply to a closed letter)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock() needs a transaction")
    list(Letter.objects.select_for_update().filter(pk=letter.pk).values_list("pk", flat=True))
    letter.refresh_from_db()
    return letter


def clean_text(value: str, field: str, *, limit: int, label, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise field_error(field, _("请填写%(label)s。") % {"label": label}, "required")
    if len(value) > limit:
        raise field_error(field, _("%(label)s不能超过 %(limit)d 个字。") % {"label": label, "limit": limit},
                          "max_length")
    return value


def audit(actor: Actor, action: str, letter: Letter, *, by_sender: bool = False,
          detail: dict[str, Any] | None = None) -> None:
    """Write ``mailbox.<action>`` for a step on ``letter``.

    The audit log is read by people who may not know who sent an anonymous letter:
    its records carry the complex's path rather than the house's, and a step taken
    by the sender names no letter, so the log never pairs a resident with their
    anonymous letter (the record still says who acted, as every record must)."""
    if letter.anonymous:
        target = {"object_type": Letter._meta.label_lower, "object_id": "" if by_sender else str(letter.pk),
                  "area_path": letter.complex.path}
    else:
        target = {"obj": letter}
    audit_append(actor=actor, action=f"mailbox.{action}", detail={"kind": letter.kind, **(detail or {})}, **target)

