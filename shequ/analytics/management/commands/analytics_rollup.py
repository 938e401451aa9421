"""Bring the figures rollup up to date.

Without options: recompute the (complex, day) buckets that case changes marked
(run it every few minutes beside ``cases_tick``; the figures page also does this
itself for small backlogs). ``--since DATE``: recompute everything from that day
on (after a bulk load, a restore, or edits made outside the case services).
``--all``: recompute everything.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date

from shequ.analytics.services import rollup_rebuild, rollup_refresh


class Command(BaseCommand):
    help = "Recompute the figures rollup: marked buckets, or everything since a day."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="recompute every day from this date (YYYY-MM-DD) on")
        parser.add_argument("--all", action="store_true", help="recompute everything")

    def handle(self, *args, since: str | None = None, all: bool = False, **options):
        started = time.perf_counter()
        if since and all:
            raise CommandError("give --since or --all, not both")
        if since:
            try:
                day = parse_date(since)
            except ValueError:
                day = None
            if day is None:
                raise CommandError(f"not a date (YYYY-MM-DD): {since!r}")
            report = rollup_rebuild(since=day)
        elif all:
            report = rollup_rebuild()
        else:
            report = rollup_refresh()
        seconds = time.perf_counter() - started
        if report.full:
            what = "rebuilt everything"
        elif report.rebuilt_since:
            what = f"rebuilt from {report.rebuilt_since:%Y-%m-%d}"
        else:
            what = f"recomputed {report.buckets} bucket(s)"
        self.stdout.write(f"{what} from {report.marks} mark(s) in {seconds:.1f} s")
