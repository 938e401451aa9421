"""Periodic jobs: the platform's clock-driven work, as data.

Deadlines break, alarms go unacknowledged, passes run out, scheduled notices
come due: something must look at the clock. ``shequ gateway`` is the one
long-running process every deployment has, so it runs these jobs on its
database thread (:func:`jobs_due` / :func:`job_run`); a deployment may instead
run ``shequ tick`` from cron. Every job is safe to run twice at once (each
service locks or re-checks what it changes) and takes ``now`` as a keyword.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    #: dotted path of a function called as ``func(now=...)``
    func: str
    #: seconds between runs
    every: float
    #: waits on something outside the database (an HTTP peer): the gateway runs it on a thread
    #: of its own, so a slow peer cannot hold up acks, heartbeats and the other jobs
    blocking: bool = False


JOBS: tuple[Job, ...] = (
    Job("intercom.calls_expire", "shequ.intercom.services.calls_expire", 5),
    Job("alarms.escalate", "shequ.alarms.services.alarms_escalate_due", 5),
    Job("alarms.police_forwards", "shequ.alarms.services.police_forwards_deliver_due", 5, blocking=True),
    Job("notices.publish_due", "shequ.notices.services.notices_publish_due", 10),
    Job("notices.expire_due", "shequ.notices.services.notices_expire_due", 60),
    Job("visitors.tick", "shequ.visitors.services.visitors_tick", 60),  # passes expire, overstays alarm
    Job("mailbox.remind", "shequ.mailbox.services.mailbox_remind_due", 300),
    Job("cases.escalate_overdue", "shequ.cases.services.lifecycle.cases_escalate_overdue", 300),
    Job("cases.warn_due_soon", "shequ.cases.services.lifecycle.cases_warn_due_soon", 300),
    Job("access.sweep", "shequ.access.services.access_sweep", 3600),
    Job("residents.grants_sweep", "shequ.residents.jobs.residents_sweep", 3600),
    Job("access.outbound_purge", "shequ.access.services.outbound.outbound_purge", 86400),
)


def job_run(job: Job, *, now: datetime | None = None) -> bool:
    """Run one job; a failure is logged with its traceback and reported as False,
    so one broken job never stops the others."""
    started = time.monotonic()
    try:
        import_string(job.func)(now=now or timezone.now())
    except Exception:  # noqa: BLE001 - logged; the next round tries again
        logger.exception("periodic job %s failed", job.name)
        return False
    elapsed = time.monotonic() - started
    if elapsed > job.every:
        logger.warning("periodic job %s took %.1f s, longer than its interval (%.0f s)", job.name, elapsed, job.every)
    return True


class JobClock:
    """Which jobs are due, by a monotonic clock: each job first runs one interval after start."""

    def __init__(self, jobs: tuple[Job, ...] = JOBS, *, clock=time.monotonic) -> None:
        self._clock = clock
        self._due = {job.name: clock() + job.every for job in jobs}
        self._jobs = jobs

    def due(self) -> list[Job]:
        now = self._clock()
        ready = [job for job in self._jobs if self._due[job.name] <= now]
        for job in ready:
            self._due[job.name] = now + job.every
        return ready


def job_run_on_thread(job: Job) -> bool:
    """:func:`job_run` for a thread of its own (``asyncio.to_thread``): closes that thread's
    database connections afterwards, as Django does at the end of a request."""
    from django.db import connections

    try:
        return job_run(job)
    finally:
        connections.close_all()


def jobs_run_all(*, now: datetime | None = None) -> dict[str, bool]:
    """Every job once (``shequ tick``): name -> succeeded."""
    return {job.name: job_run(job, now=now) for job in JOBS}
