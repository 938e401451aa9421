"""Remind the police of letters whose reply is due soon or overdue.

Run it every few minutes, like ``cases_tick``. Safe to run twice at once: each
letter is reminded at most once that it is due soon and once that it is overdue.
"""

from __future__ import annotations

from shequ.core.ticks import TickCommand
from shequ.mailbox.services import mailbox_remind_due


class Command(TickCommand):
    help = "Record reply reminders for mailbox letters due soon or overdue."

    def tick(self, *, moment, **options):
        reminders = mailbox_remind_due(moment)
        self.stdout.write(f"reminded {len(reminders)}")
        for reminder in reminders:
            self.stdout.write(f"  letter {reminder.letter_id}: {reminder.kind}")
