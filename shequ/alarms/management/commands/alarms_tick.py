"""Escalate unacknowledged alarms and try the police forwards that are due.

``shequ gateway`` runs the same work from its loop; without a gateway, run this
every few seconds (``--every``) or from cron. Safe to run in several places at
once: alarms are locked and re-checked, forwards claimed before each try.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from shequ.core.ticks import tick_moment
from shequ.alarms.services import alarms_tick


class Command(BaseCommand):
    help = "Escalate alarms nobody acknowledged in time and deliver due forwards to the police platform."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO time to run as (for replaying history); default: now")
        parser.add_argument("--every", type=float, default=0.0, metavar="SECONDS",
                            help="keep running, once every SECONDS (default: run once)")

    def handle(self, *args, now: str | None = None, every: float = 0.0, **options):
        moment = tick_moment(now) if now else None  # None: the clock at each round
        if every < 0:
            raise CommandError("--every must not be negative")
        while True:
            result = alarms_tick(moment)
            self.stdout.write(f"escalated {len(result.escalated)}, police forwards tried {len(result.forwards_tried)}")
            for alarm in result.escalated:
                self.stdout.write(f"  alarm {alarm.pk} ({alarm.kind}) -> level {alarm.escalation_level}")
            for forward in result.forwards_tried:
                self.stdout.write(f"  forward {forward.key} of alarm {forward.alarm_id}: {forward.status} "
                                  f"after {forward.attempt_count} tries")
            if not every:
                return
            time.sleep(every)
