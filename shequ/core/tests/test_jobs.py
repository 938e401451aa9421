"""Periodic jobs: each one exists, runs on its interval, and a failing one stops nothing."""

from __future__ import annotations

import logging

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
