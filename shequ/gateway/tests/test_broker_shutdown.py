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


def test_a_hanging_shutdown_cuts_the_clients_still_connected(monkeypatch):
    """A client the half-stopped broker still answered would never reconnect to the next broker."""
    monkeypatch.setattr(broker_module, "SHUTDOWN_SECONDS", 0.2)
    port = free_port()

    async def scenario() -> bytes:
        async with embedded_broker("127.0.0.1", port) as broker:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):  # until the broker has taken the connection
                if broker.connections:
                    break
                await asyncio.sleep(0.01)

            async def never() -> None:
                await asyncio.Event().wait()

            broker.shutdown = never
        try:
            return await asyncio.wait_for(reader.read(), 2)  # b"": the broker closed it
        except ConnectionResetError:
            return b""
        finally:
            writer.close()

    assert run(scenario(), timeout=10) == b""
