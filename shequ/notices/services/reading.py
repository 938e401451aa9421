"""Read receipts: a resident opening a notice, counted once per person and per household."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.notices.models import Notice, NoticeRecipient, ReadReceipt


@transaction.atomic
def notice_read(*, actor: Actor, notice: Notice, now: datetime | None = None) -> tuple[ReadReceipt, bool]:
    """Record that the actor (a resident) opened the notice; (receipt, created).

    Idempotent: opening it again changes nothing. The first receipt from a
    household also marks the household read, which is what the counts per
    building count. Not audited: a receipt is the reader's own trace, written on
    every first open, and the audit chain serialises appends; the receipt row
    itself records who and when. Raises ``Notice.DoesNotExist`` when the notice
    does not reach any of the actor's households (callers answer 404)."""
    from shequ.notices.selectors import resident_house_ids

    user = actor.user
    houses = list(NoticeRecipient.objects.filter(notice=notice, house_id__in=resident_house_ids(user))
                  .order_by("house_id").values_list("house_id", flat=True)) if user is not None else []
    if not houses:
        raise Notice.DoesNotExist("the notice does not reach this user's households")
    now = now or timezone.now()
    receipt, created = ReadReceipt.objects.get_or_create(
        notice=notice, user=user, defaults={"house_id": houses[0], "person_id": user.person_id, "read_at": now},
    )
    if created:
        NoticeRecipient.objects.filter(notice=notice, house_id__in=houses, read_at__isnull=True).update(read_at=now)
    return receipt, created
