"""Production: the Redis channel layer (REDIS_URL). The publisher knows no console
loop there, as in a separate gateway process, and still reaches the right console.
Skipped when no Redis answers on 127.0.0.1:6379."""

from __future__ import annotations

import socket
import uuid

import pytest
from channels.db import database_sync_to_async

from shequ.alarms.tests.conftest import ingest_stored
from shequ.alarms.tests.test_consumer import WAIT, _open, run

REDIS = ("127.0.0.1", 6379)


def _redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379 (production channel layer)"),
]


@pytest.fixture
def redis_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # a prefix of its own: parallel runs and other tests never share groups
        "CONFIG": {"hosts": [f"redis://{REDIS[0]}:{REDIS[1]}/0"], "prefix": f"shequ-test-{uuid.uuid4().hex[:8]}"},
    }}
    yield


def test_an_alarm_reaches_the_right_console_through_redis(redis_layer, guard, guard_b, door_a):
    async def scenario():
        console_a, _ = await _open(guard)
        console_b, _ = await _open(guard_b)
        await database_sync_to_async(ingest_stored)(door_a, "forced")
        messages = [await console_a.receive_json_from(timeout=WAIT) for _ in range(2)]
        quiet_b = await console_b.receive_nothing(timeout=0.5)
        await console_a.disconnect()
        await console_b.disconnect()
        return messages, quiet_b

    messages, quiet_b = run(scenario)
    assert sorted(message["type"] for message in messages) == ["alarms", "events"]
    assert quiet_b


def test_the_hub_listens_on_the_key_the_process_polls(redis_layer, guard):
    """channels_redis reads one process-specific key per process: a hub channel under
    another prefix would never be read, and every console would stay silent."""
    from channels.layers import get_channel_layer

    from shequ.alarms.hub import ConsoleHub

    async def scenario():
        console, _ = await _open(guard)
        layer = get_channel_layer()
        hub_key = layer.non_local_name(ConsoleHub.of(layer).channel)
        process_key = layer.non_local_name(await layer.new_channel())
        await console.disconnect()
        return hub_key, process_key

    hub_key, process_key = run(scenario)
    assert hub_key == process_key
