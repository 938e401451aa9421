"""The ``--now`` option of the ``*_tick`` management commands, in one place."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime


class TickCommand(BaseCommand):
    """A periodic job run by hand or from cron; ``--now`` replays it at another time."""

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO time to run as (for replaying history); default: now")

    def handle(self, *args, now: str | None = None, **options):
        return self.tick(moment=tick_moment(now), **options)

    def tick(self, *, moment: datetime, **options):
        raise NotImplementedError


def tick_moment(text: str | None) -> datetime:
    """``text`` as an aware time (local time zone when it has none); now when empty."""
    if not text:
        return timezone.now()
    parsed = parse_datetime(text)
    if parsed is None:
        raise CommandError(f"not an ISO date-time: {text!r}")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
