"""EventBatcher: batches by size and time, retries a failing store, acknowledges after commit."""

from __future__ import annotations

import asyncio
import time

import pytest
from django.db import OperationalError
from django.utils import timezone

from shequ.access.services.ingest import EventRow, events_store
from shequ.gateway.backoff import Backoff
from shequ.gateway.dbworker import DbWorker
from shequ.gateway.directory import DeviceInfo
from shequ.gateway.ingest import Delivery, EventBatcher
from shequ.gateway.stats import GatewayStats
from shequ.gateway.tests.conftest import make_devices, run

pytestmark = pytest.mark.django_db(transaction=True)


class Recorder:
    """events_store, noting each batch; fails (as a lost connection does) ``fail`` times first."""

    def __init__(self, fail: int = 0) -> None:
        self.sizes: list[int] = []
        self.fail = fail
        self.calls = 0

    def __call__(self, rows, **kwargs):
        self.calls += 1
        if self.calls <= self.fail:
            raise OperationalError("connection refused")
        self.sizes.append(len(rows))
        return events_store(rows, **kwargs)


@pytest.fixture
def device(tree) -> DeviceInfo:
    from shequ.access.models import Device

    ((device_id, secret),) = make_devices(tree.unit_a, 1).items()
    return DeviceInfo(Device.objects.get(device_id=device_id).pk, device_id, secret, 0, 0)


def delivery(device: DeviceInfo, start: int, count: int) -> Delivery:
    now = timezone.now()
    rows = [EventRow(device.pk, f"e{index}", "pass", now) for index in range(start, start + count)]
    return Delivery(device, rows, [], [row.event_id for row in rows])


async def with_batcher(store, scenario, **options):
    worker = DbWorker("test-ingest")
    acks: list[list[str]] = []
    stats = GatewayStats()
    batcher = EventBatcher(store=store, workers=[worker], stats=stats,
                           on_committed=lambda by_device, stored: acks.extend(ids for _d, ids in by_device.values()),
                           backoff=Backoff(0.01, 0.05), **options)
    task = asyncio.create_task(batcher.run())
    try:
        return await scenario(batcher, acks, stats)
    finally:
        task.cancel()
        worker.close()


def test_it_writes_at_most_a_batch_at_a_time(device):
    store = Recorder()

    async def scenario(batcher, acks, stats):
        for start in range(0, 1200, 100):
            assert batcher.offer(delivery(device, start, 100))
        assert await batcher.drain(10)
        return stats

    stats = run(with_batcher(store, scenario, batch_size=500))

    assert store.sizes == [500, 500, 200]
    assert (stats.batches, stats.events_stored) == (3, 1200)


def test_it_writes_a_lone_event_after_the_delay(device):
    store = Recorder()

    async def scenario(batcher, acks, stats):
        started = time.monotonic()
        batcher.offer(delivery(device, 0, 1))
        while not acks:
            await asyncio.sleep(0.005)
        return time.monotonic() - started

    waited = run(with_batcher(store, scenario, batch_delay=0.1))

    assert 0.1 <= waited < 2
    assert store.sizes == [1]


def test_it_retries_a_failing_store_and_acknowledges_only_after_it_worked(device):
    store = Recorder(fail=3)

    async def scenario(batcher, acks, stats):
        batcher.offer(delivery(device, 0, 5))
        while store.calls < 3:
            await asyncio.sleep(0.005)
        assert acks == []  # nothing stored yet, nothing acknowledged
        assert batcher.failing
        await batcher.drain(10)
        return acks, stats

    acks, stats = run(with_batcher(store, scenario, batch_delay=0.01))

    assert acks == [[f"e{index}" for index in range(5)]]
    assert stats.db_failures == 3
    assert store.sizes == [5]


def test_it_refuses_deliveries_beyond_its_bound(device):
    store = Recorder(fail=1000)  # the database is down: everything stays pending

    async def scenario(batcher, acks, stats):
        accepted = [batcher.offer(delivery(device, start, 60)) for start in range(0, 300, 60)]
        return accepted, batcher.pending

    accepted, pending = run(with_batcher(store, scenario, max_pending=150))

    assert accepted == [True, True, False, False, False]
    assert pending == 120


def test_it_refuses_new_deliveries_once_draining(device):
    store = Recorder()

    async def scenario(batcher, acks, stats):
        batcher.offer(delivery(device, 0, 2))
        assert await batcher.drain(5)
        return batcher.offer(delivery(device, 2, 2)), acks

    refused, acks = run(with_batcher(store, scenario))

    assert refused is False
    assert acks == [["e0", "e1"]]


def test_when_only_the_alarms_failed_the_retry_stores_the_quarantined_messages_once(device, monkeypatch):
    from shequ.access.models import AccessEvent, QuarantinedMessage
    from shequ.access.services.ingest import QuarantineRow
    from shequ.alarms import services
    from shequ.alarms.models import Alarm

    real = services.alarms_from_events
    calls = []

    def lost_once(events, **options):
        calls.append(len(events))
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(events, **options)

    monkeypatch.setattr(services, "alarms_from_events", lost_once)
    now = timezone.now()
    rows = [EventRow(device.pk, "e1", "pass", now), EventRow(device.pk, "f1", "forced", now)]
    junk = QuarantineRow(f"shequ/v1/dev/{device.device_id}/event", b"{", "not JSON")

    async def scenario(batcher, acks, stats):
        assert batcher.offer(Delivery(device, rows, [junk], ["e1", "f1"]))
        assert await batcher.drain(10)
        return acks, stats

    acks, stats = run(with_batcher(events_store, scenario))

    assert calls == [1, 1]  # the retry handed the stored forced entry over again
    assert Alarm.objects.get().event.event_id == "f1"
    assert QuarantinedMessage.objects.count() == 1
    assert AccessEvent.objects.count() == 2
    assert acks == [["e1", "f1"]]  # acknowledged once, after the alarm
    assert (stats.events_stored, stats.events_already_stored, stats.db_failures) == (2, 0, 1)
