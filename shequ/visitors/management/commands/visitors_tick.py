"""Expire visitor passes and raise overstay alarms.

Run it every minute or so (``python -m django visitors_tick``; ``--every 60`` keeps
running). Safe to run twice at once: each visit alarms at most once.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from shequ.core.ticks import tick_moment
from shequ.visitors.services import visitors_tick


class Command(BaseCommand):
    help = "Expire visitor passes past their end; raise an alarm for visitors still inside after they should have left."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO time to run as (for replaying history); default: now")
        parser.add_argument("--every", type=float, default=0, help="repeat every this many seconds (default: run once)")

    def handle(self, *args, now: str | None = None, every: float = 0, **options):
        moment = tick_moment(now) if now else None  # None: the clock at each round
        while True:
            outcome = visitors_tick(now=moment)
            self.stdout.write(f"expired {outcome['expired']}, overstay alarms {outcome['overstays']}")
            if every <= 0 or moment is not None:
                return
            time.sleep(every)
