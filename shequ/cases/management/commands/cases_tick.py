"""Escalate cases whose deadline is broken and warn those close to it.

Run it every few minutes (the demo does; ``shequ cases tick``). Safe to run twice
at once: each case is escalated at most once per broken deadline.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shequ.cases.services import cases_escalate_overdue, cases_warn_due_soon


class Command(BaseCommand):
    help = "Escalate overdue cases one level and warn cases near their deadline."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO time to run as (for replaying history); default: now")

    def handle(self, *args, now: str | None = None, **options):
        moment = timezone.now()
        if now:
            parsed = parse_datetime(now)
            if parsed is None:
                raise CommandError(f"not an ISO date-time: {now!r}")
            moment = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        escalated = cases_escalate_overdue(now=moment, warn=False)
        warned = cases_warn_due_soon(now=moment)
        self.stdout.write(f"escalated {len(escalated)}, warned {len(warned)}")
        for case in escalated:
            self.stdout.write(f"  {case.number} -> {case.level}", ending="\n")
