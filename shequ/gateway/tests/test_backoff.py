"""Backoff: delays double up to a cap, drawn from the upper half of each step."""

from __future__ import annotations

import pytest

from shequ.gateway.backoff import Backoff


def test_it_doubles_the_delay_up_to_the_cap():
    backoff = Backoff(0.5, 4.0, rng=lambda: 1.0)

    assert [backoff.next() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_it_waits_at_least_half_of_each_step():
    backoff = Backoff(0.5, 4.0, rng=lambda: 0.0)

    assert [backoff.next() for _ in range(4)] == [0.25, 0.5, 1.0, 2.0]


def test_it_spreads_clients_that_failed_together():
    delays = {Backoff(1.0, 30.0).next() for _ in range(50)}

    assert len(delays) > 40
    assert all(0.5 <= delay <= 1.0 for delay in delays)


def test_it_starts_again_from_the_base_after_a_success():
    backoff = Backoff(0.5, 4.0, rng=lambda: 1.0)
    for _ in range(5):
        backoff.next()

    backoff.reset()

    assert backoff.next() == 0.5


def test_it_stays_finite_after_very_many_failures():
    backoff = Backoff(0.1, 30.0, rng=lambda: 1.0)
    backoff.attempts = 10_000

    assert backoff.next() == 30.0


@pytest.mark.parametrize(("base", "cap"), [(0, 1), (-1, 1), (2, 1)])
def test_it_refuses_a_nonsense_range(base, cap):
    with pytest.raises(ValueError):
        Backoff(base, cap)
