"""Periodic jobs: each one exists, runs on its interval, and a failing one stops nothing."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
from django.utils.module_loading import import_string

from shequ.core import jobs
from shequ.core.jobs import Job, JobClock, job_run


@pytest.mark.parametrize("job", jobs.JOBS, ids=lambda job: job.name)
def test_every_job_names_a_function_that_exists(job):
    assert callable(import_string(job.func))


def test_a_job_is_due_once_per_interval():
    now = [100.0]
    clock = JobClock((Job("a", "x.y", 5), Job("b", "x.z", 60)), clock=lambda: now[0])
    assert clock.due() == []
    now[0] = 105.0
    assert [job.name for job in clock.due()] == ["a"]
    assert clock.due() == []
    now[0] = 160.0
    assert [job.name for job in clock.due()] == ["a", "b"]


def test_a_failing_job_is_logged_and_reported_not_raised(caplog):
    with caplog.at_level(logging.ERROR, logger="shequ.core.jobs"):
        assert job_run(Job("broken", "shequ.core.tests.test_jobs._explode", 5)) is False
    assert "periodic job broken failed" in caplog.text


@pytest.mark.django_db
def test_tick_runs_every_job_against_the_database(tree):
    assert all(jobs.jobs_run_all().values())


def _explode(*, now):
    raise RuntimeError("boom")


#: the slow HTTP peer of a blocking job: it answers once the test lets it
_peer_answers = threading.Event()
_peer_calls: list[float] = []


def _slow_peer(*, now) -> None:
    _peer_calls.append(time.monotonic())
    assert _peer_answers.wait(10)


def test_the_gateway_runs_a_blocking_job_on_a_thread_of_its_own_and_never_twice_at_once():
    from shequ.gateway.control import Control
    from shequ.gateway.directory import DeviceDirectory
    from shequ.gateway.stats import GatewayStats

    now = [0.0]
    control = Control(worker=None, directory=DeviceDirectory(), publish=None, stats=GatewayStats(),
                      clock=lambda: now[0])
    control._jobs = JobClock((Job("peer", "shequ.core.tests.test_jobs._slow_peer", 5, blocking=True),),
                             clock=lambda: now[0])
    _peer_answers.clear()
    _peer_calls.clear()

    async def scenario() -> None:
        now[0] = 5.0
        await asyncio.wait_for(control._run_jobs(), 1)  # returns at once: the peer is slow on its own thread
        for _ in range(100):
            if _peer_calls:
                break
            await asyncio.sleep(0.01)
        now[0] = 10.0
        await asyncio.wait_for(control._run_jobs(), 1)  # due again, but the last round still waits on the peer
        assert len(_peer_calls) == 1
        _peer_answers.set()
        await asyncio.wait_for(asyncio.gather(*control._blocking_jobs.values()), 5)
        now[0] = 15.0
        await asyncio.wait_for(control._run_jobs(), 1)
        await asyncio.wait_for(asyncio.gather(*control._blocking_jobs.values()), 5)

    asyncio.run(scenario())

    assert len(_peer_calls) == 2  # the next round, once the first was over
