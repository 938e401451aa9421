"""Case numbers stay unique when several writers create cases at once."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, connections, transaction

from shequ.cases.models import CaseNumberCounter
from shequ.cases.services import case_numbers_reserve

# Threads get their own connections, which commit for real: they number a day no
# other test uses and remove its counter afterwards. (A transactional test cannot
# be used: flushing would truncate the append-only audit log, which refuses it.)
RACE_DAY = date(2001, 1, 1)


def _in_thread(func) -> None:
    def run():
        try:
            func()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_it_hands_out_each_number_once_to_concurrent_writers():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs write transactions one at a time; the race needs PostgreSQL")
    numbers: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def writer():
        try:
            start.wait()
            for _ in range(10):
                with transaction.atomic():
                    got = case_numbers_reserve(3, day=RACE_DAY)
                with lock:
                    numbers.extend(got)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        _in_thread(lambda: CaseNumberCounter.objects.filter(day=RACE_DAY).delete())
    assert len(numbers) == 120 and len(set(numbers)) == 120
    assert sorted(int(n[-5:]) for n in numbers) == list(range(1, 121))


@pytest.mark.django_db
def test_a_rolled_back_creation_gives_its_numbers_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        case_numbers_reserve(5)
        raise RuntimeError("the import failed")
    assert case_numbers_reserve(1)[0].endswith("-00001")
