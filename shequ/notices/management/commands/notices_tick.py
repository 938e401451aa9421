"""Publish notices whose scheduled time has come and expire those past their expiry.

Run it every minute (``shequ`` runs it with the other ticks in the demo). Safe to
run twice at once: each notice is published once (row locks; on PostgreSQL a
second tick skips the rows the first holds).
"""

from __future__ import annotations

from shequ.core.ticks import TickCommand
from shequ.notices.services import notices_expire_due, notices_publish_due


class Command(TickCommand):
    help = "Publish scheduled notices that are due and expire notices past their expiry."

    def tick(self, *, moment, **options):
        published = notices_publish_due(now=moment)
        expired = notices_expire_due(now=moment)
        self.stdout.write(f"published {len(published)}, expired {len(expired)}")
        for notice in published:
            self.stdout.write(f"  published #{notice.pk} {notice.title} -> {notice.recipient_count} households")
