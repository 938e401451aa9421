"""The group commit writer: concurrent submissions share batches, each gets its own answer."""

from __future__ import annotations

import threading

import pytest

from shequ.open311.groupcommit import GroupWriter

TIMEOUT = 10


def test_it_writes_a_lone_submission_at_once():
    batches = []

    def write(items):
        batches.append([item.payload for item in items])
        for item in items:
            item.result = item.payload * 2

    assert GroupWriter(write).submit(21) == 42
    assert batches == [[21]]


def test_it_writes_what_queued_meanwhile_as_one_batch_and_answers_each():
    first_started, release_first = threading.Event(), threading.Event()
    batches = []

    def write(items):
        batches.append(sorted(item.payload for item in items))
        if len(batches) == 1:
            first_started.set()
            assert release_first.wait(TIMEOUT)
        for item in items:
            item.result = f"done {item.payload}"

    writer = GroupWriter(write)
    results = {}

    def submit(n):
        results[n] = writer.submit(n)

    leader = threading.Thread(target=submit, args=(0,))
    leader.start()
    assert first_started.wait(TIMEOUT)
    others = [threading.Thread(target=submit, args=(n,)) for n in range(1, 6)]
    for thread in others:
        thread.start()
    while len(writer._queue) < 5:  # all five queued behind the batch being written
        threading.Event().wait(0.001)
    release_first.set()
    for thread in [leader, *others]:
        thread.join(TIMEOUT)
    assert batches == [[0], [1, 2, 3, 4, 5]]
    assert results == {n: f"done {n}" for n in range(6)}


def test_it_keeps_batches_within_the_maximum():
    first_started, release_first = threading.Event(), threading.Event()
    sizes = []

    def write(items):
        sizes.append(len(items))
        if len(sizes) == 1:
            first_started.set()
            assert release_first.wait(TIMEOUT)
        for item in items:
            item.result = True

    writer = GroupWriter(write, max_batch=2)
    threads = [threading.Thread(target=writer.submit, args=(0,))]
    threads[0].start()
    assert first_started.wait(TIMEOUT)
    threads += [threading.Thread(target=writer.submit, args=(n,)) for n in range(1, 6)]
    for thread in threads[1:]:
        thread.start()
    while len(writer._queue) < 5:
        threading.Event().wait(0.001)
    release_first.set()
    for thread in threads:
        thread.join(TIMEOUT)
    assert sizes == [1, 2, 2, 1]


def test_it_raises_each_items_own_error_in_its_thread():
    def write(items):
        for item in items:
            if item.payload == "bad":
                item.error = ValueError("bad input")
            else:
                item.result = "ok"

    writer = GroupWriter(write)
    assert writer.submit("good") == "ok"
    with pytest.raises(ValueError, match="bad input"):
        writer.submit("bad")


def test_it_hands_a_failing_write_to_every_item_and_keeps_working():
    calls = []

    def write(items):
        calls.append(len(items))
        if len(calls) == 1:
            raise ConnectionError("database gone")
        for item in items:
            item.result = "ok"

    writer = GroupWriter(write)
    with pytest.raises(ConnectionError):
        writer.submit(1)
    assert writer.submit(2) == "ok"


def test_it_refuses_to_leave_an_item_unanswered():
    writer = GroupWriter(lambda items: None)
    with pytest.raises(RuntimeError, match="unanswered"):
        writer.submit(1)
