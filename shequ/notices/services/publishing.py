"""Publishing, withdrawing and expiring notices, and the tick that does it on time.

Publishing resolves the audience to households (``NoticeRecipient`` rows) and,
when the terminals channel is chosen, queues one signed broadcast per audience
area (``shequ.notices.broadcast`` documents the body) in the same transaction:
a broadcast exists if and only if the notice was published.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.access.services.outbound import outbound_broadcast
from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.notices.audience import audience_resolve, published_broadcast_area_ids, recipients_write
from shequ.notices.broadcast import notice_broadcast_body, notice_withdraw_body
from shequ.notices.models import Notice, Status
from shequ.notices.services.common import (
    field_error, is_author, lock, record, require_approve, require_status,
)
from shequ.registry.models import Area

logger = logging.getLogger(__name__)

TICK = Actor.system(via="tick")
WITHDRAWABLE = frozenset({Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.PUBLISHED})


def _broadcast(area_ids: list[int], body: dict, expires_at: datetime | None) -> int:
    areas = list(Area.objects.filter(pk__in=area_ids).order_by("path"))
    for area in areas:
        outbound_broadcast(area=area, name="notice", body=body, expires_at=expires_at)
    return len(areas)


def _publish(actor: Actor, notice: Notice, now: datetime) -> Notice:
    """Publish a locked, approved notice (inside the caller's transaction)."""
    resolved = audience_resolve(notice)
    notice.recipient_count = recipients_write(notice, resolved.houses)
    notice.status, notice.published_at = Status.PUBLISHED, now
    notice.save(update_fields=["status", "published_at", "recipient_count", "updated_at"])
    broadcasts = 0
    if notice.to_terminals:
        broadcasts = _broadcast(resolved.broadcast_area_ids(), notice_broadcast_body(notice), notice.expires_at)
    record(actor, "publish", notice, {"recipients": notice.recipient_count, "broadcasts": broadcasts,
                                      "urgent": notice.urgent})
    return notice


@transaction.atomic
def notice_publish(*, actor: Actor, notice: Notice, now: datetime | None = None) -> Notice:
    """Publish an approved notice now (立即发布), whatever its ``publish_at``."""
    require_approve(actor, notice)
    lock(notice)
    require_status(notice, {Status.APPROVED}, _("发布"))
    now = now or timezone.now()
    if notice.expires_at is not None and notice.expires_at <= now:
        raise field_error("expires_at", _("该通知的有效期已过，不能发布。"), "expired")
    return _publish(actor, notice, now)


@transaction.atomic
def notice_withdraw(*, actor: Actor, notice: Notice, reason: str = "", now: datetime | None = None) -> Notice:
    """Take a notice back (撤回): its author or an approver. A published notice
    disappears from every page, and terminals that got it are told to drop it."""
    if not (is_author(actor, notice) and user_can(actor.user, Capability.NOTICES_DRAFT, notice.area)):
        require_approve(actor, notice)
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise field_error("reason", _("不能超过 %(limit)d 个字。") % {"limit": 200}, "max_length")
    lock(notice)
    require_status(notice, WITHDRAWABLE, _("撤回"))
    was_published = notice.status == Status.PUBLISHED
    now = now or timezone.now()
    notice.status, notice.withdrawn_by, notice.withdrawn_at = Status.WITHDRAWN, actor.user, now
    notice.status_note = reason
    notice.save(update_fields=["status", "withdrawn_by", "withdrawn_at", "status_note", "updated_at"])
    broadcasts = 0
    if was_published and notice.to_terminals:
        broadcasts = _broadcast(published_broadcast_area_ids(notice), notice_withdraw_body(notice),
                                notice.expires_at)
    record(actor, "withdraw", notice, {"reason": reason, "broadcasts": broadcasts})
    return notice


def _expire(notice: Notice, now: datetime) -> None:
    notice.status, notice.expired_at = Status.EXPIRED, now
    notice.save(update_fields=["status", "expired_at", "updated_at"])
    record(TICK, "expire", notice)


def _due_ids(status: str, field: str, now: datetime) -> list[int]:
    return list(Notice.objects.filter(status=status, **{f"{field}__lte": now})
                .order_by(field, "pk").values_list("pk", flat=True))


def _locked(pk: int) -> Notice | None:
    """The notice locked for this transaction; None when another tick holds it (PostgreSQL)."""
    rows = Notice.objects.select_for_update(skip_locked=connection.features.has_select_for_update_skip_locked)
    return rows.select_related("area").filter(pk=pk).first()


def notices_publish_due(now: datetime | None = None) -> list[Notice]:
    """Publish every approved notice whose ``publish_at`` has come; one whose expiry
    passed meanwhile is expired instead. Each in its own transaction, so one bad
    notice does not hold up the others, and two ticks at once publish each once."""
    now = now or timezone.now()
    published: list[Notice] = []
    for pk in _due_ids(Status.APPROVED, "publish_at", now):
        try:
            with transaction.atomic():
                notice = _locked(pk)
                if notice is None or notice.status != Status.APPROVED or notice.publish_at is None \
                        or notice.publish_at > now:
                    continue
                if notice.expires_at is not None and notice.expires_at <= now:
                    _expire(notice, now)
                    continue
                published.append(_publish(TICK, notice, now))
        except Exception:  # noqa: BLE001 - one notice failing must not stop the others; logged and retried next tick
            logger.exception("publishing notice %s failed", pk)
    return published


def notices_expire_due(now: datetime | None = None) -> list[Notice]:
    """Mark published (or approved, never published) notices past their expiry as expired.
    Pages hide them from the moment they expire anyway (``NoticeQuerySet.live``)."""
    now = now or timezone.now()
    expired: list[Notice] = []
    ids = _due_ids(Status.PUBLISHED, "expires_at", now) + _due_ids(Status.APPROVED, "expires_at", now)
    for pk in ids:
        with transaction.atomic():
            notice = _locked(pk)
            if notice is None or notice.status not in (Status.PUBLISHED, Status.APPROVED) \
                    or notice.expires_at is None or notice.expires_at > now:
                continue
            _expire(notice, now)
            expired.append(notice)
    return expired
