"""The embedded broker frees its port even when amqtt's own shutdown hangs."""

from __future__ import annotations

import asyncio

from shequ.gateway import broker as broker_module
from shequ.gateway.broker import embedded_broker, free_port, port_is_open
from shequ.gateway.tests.conftest import run


def test_a_hanging_shutdown_still_closes_the_listener(monkeypatch):
    monkeypatch.setattr(broker_module, "SHUTDOWN_SECONDS", 0.2)
    port = free_port()

    async def scenario() -> bool:
        async with embedded_broker("127.0.0.1", port) as broker:
            listening = port_is_open("127.0.0.1", port)

            async def never() -> None:  # amqtt waiting for a client's reader that never stops
                await asyncio.Event().wait()

            broker.shutdown = never
        return listening

    assert run(scenario(), timeout=10) is True
    assert not port_is_open("127.0.0.1", port)
