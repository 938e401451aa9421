"""Remind the police of letters whose reply is due soon or overdue.

Run it every few minutes, like ``cases_tick``. Safe to run twice at once: each
letter is reminded at most once that it is due soon and once that it is overdue.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shequ.mailbox.services import mailbox_remind_due


class Command(BaseCommand):
    help = "Record reply reminders for mailbox letters due soon or overdue."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO time to run as (for replaying history); default: now")

    def handle(self, *args, now: str | None = None, **options):
        moment = timezone.now()
        if now:
            parsed = parse_datetime(now)
            if parsed is None:
                raise CommandError(f"not an ISO date-time: {now!r}")
            moment = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        reminders = mailbox_remind_due(moment)
        self.stdout.write(f"reminded {len(reminders)}")
        for reminder in reminders:
            self.stdout.write(f"  letter {reminder.letter_id}: {reminder.kind}")
