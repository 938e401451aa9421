"""Escalate cases whose deadline is broken and warn those close to it.

Run it every few minutes (the demo does; ``shequ cases tick``). Safe to run twice
at once: each case is escalated at most once per broken deadline.
"""

from __future__ import annotations

from shequ.core.ticks import TickCommand
from shequ.cases.services import cases_escalate_overdue, cases_warn_due_soon


class Command(TickCommand):
    help = "Escalate overdue cases one level and warn cases near their deadline."

    def tick(self, *, moment, **options):
        escalated = cases_escalate_overdue(now=moment, warn=False)
        warned = cases_warn_due_soon(now=moment)
        self.stdout.write(f"escalated {len(escalated)}, warned {len(warned)}")
        for case in escalated:
            self.stdout.write(f"  {case.number} -> {case.level}", ending="\n")
