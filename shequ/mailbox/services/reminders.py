"""Reply reminders: letters close to or past their reply deadline are flagged to
the police of their area (``LetterReminder`` rows; the inbox shows the pending ones)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.mailbox.deadlines import reply_policies
from shequ.mailbox.models import Letter, LetterReminder, ReminderKind
from shequ.mailbox.services.common import audit

logger = logging.getLogger(__name__)


def _kind_due(letter: Letter, now: datetime, warn_before) -> str | None:
    if letter.reply_due_at < now:
        return ReminderKind.OVERDUE
    if letter.reply_due_at - warn_before <= now:
        return ReminderKind.DUE_SOON
    return None


def mailbox_remind_due(now: datetime | None = None) -> list[LetterReminder]:
    """Remind once per letter that its reply is due soon (within its kind's warning
    time) and once that it is overdue. Letters answered or closed are left alone.
    Safe to run twice at once: a reminder exists once per letter and kind."""
    now = now or timezone.now()
    actor = Actor.system(via="sweep")
    table = reply_policies()
    horizon = now + max(policy.warn_before for policy in table.values())
    candidates = (Letter.objects.awaiting_reply().filter(reply_due_at__lte=horizon)
                  .exclude(reminders__kind=ReminderKind.OVERDUE)
                  .select_related("complex").order_by("reply_due_at", "pk"))
    sent = {(letter_id, kind) for letter_id, kind in
            LetterReminder.objects.filter(letter__in=candidates).values_list("letter_id", "kind")}
    made = []
    for letter in candidates:
        kind = _kind_due(letter, now, table[letter.kind].warn_before)
        if kind is None or (letter.pk, kind) in sent:
            continue
        with transaction.atomic():
            reminder, created = LetterReminder.objects.get_or_create(
                letter=letter, kind=kind, defaults={"due_at": letter.reply_due_at, "created_at": now})
            if not created:  # another sweep got there first
                continue
            audit(actor, "reminded", letter, detail={"reminder": kind, "due_at": letter.reply_due_at.isoformat()})
        made.append(reminder)
    if made:
        logger.info("mailbox: %d reply reminders", len(made))
    return made
