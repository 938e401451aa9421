"""Publish notices whose scheduled time has come and expire those past their expiry.

Run it every minute (``shequ`` runs it with the other ticks in the demo). Safe to
run twice at once: each notice is published once (row locks; on PostgreSQL a
second tick skips the rows the first holds).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shequ.notices.services import notices_expire_due, notices_publish_due


class Command(BaseCommand):
    help = "Publish scheduled notices that are due and expire notices past their expiry."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO time to run as (for replaying history); default: now")

    def handle(self, *args, now: str | None = None, **options):
        moment = timezone.now()
        if now:
            parsed = parse_datetime(now)
            if parsed is None:
                raise CommandError(f"not an ISO date-time: {now!r}")
            moment = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        published = notices_publish_due(now=moment)
        expired = notices_expire_due(now=moment)
        self.stdout.write(f"published {len(published)}, expired {len(expired)}")
        for notice in published:
            self.stdout.write(f"  published #{notice.pk} {notice.title} -> {notice.recipient_count} households")
