"""The embedded MQTT broker (amqtt) of the demo and the tests.

Production runs Mosquitto (or EMQX); the demo must be one command, so it starts
this broker in-process. Anonymous clients are allowed, as on the default
Mosquitto set-up: devices prove who they are by signing every message with
their own secret, whatever broker sits in between (docs/mqtt.md).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 1883


def broker_config(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> dict:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        # no $SYS topics and no packet logging: only authentication
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


@asynccontextmanager
async def embedded_broker(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> AsyncIterator[object]:
    """Run an amqtt broker on ``host:port`` for the duration of the block."""
    from amqtt.broker import Broker

    # amqtt logs every connection and packet at INFO, its state machine library every transition
    logging.getLogger("amqtt").setLevel(logging.WARNING)
    logging.getLogger("transitions").setLevel(logging.WARNING)  # amqtt's state machines

    class TrackedBroker(Broker):
        """Keeps its clients' connections, so a shutdown that hangs can still cut them."""

        connections: set[asyncio.StreamWriter]

        async def stream_connected(self, reader, writer, listener_name: str) -> None:
            self.connections.add(writer)
            try:
                await super().stream_connected(reader, writer, listener_name)
            finally:
                self.connections.discard(writer)

    broker = TrackedBroker(broker_config(host, port))
    broker.connections = set()
    await broker.start()
    try:
        yield broker
    finally:
        await _shutdown(broker)


#: seconds amqtt gets to shut down cleanly
SHUTDOWN_SECONDS = 5.0


async def _shutdown(broker) -> None:
    try:
        await asyncio.wait_for(broker.shutdown(), SHUTDOWN_SECONDS)
    except TimeoutError:
        # amqtt's shutdown first cleans up every session and can wait forever for a client
        # handler's reader to stop (seen under load); its listeners are closed only after that.
        # Close them here, so the port is free for a restart and no client hangs on a dead broker.
        # Cut the clients too: closing a listener leaves established connections open, and a client
        # still answered by the half-stopped broker would never reconnect to the next one.
        logging.getLogger(__name__).warning("the embedded broker did not shut down in %.0f s; closing its "
                                            "listeners and connections", SHUTDOWN_SECONDS)
        for server in list(getattr(broker, "_servers", {}).values()):
            server.instance.close()
        for writer in list(getattr(broker, "connections", ())):
            writer.transport.abort()
        for server in list(getattr(broker, "_servers", {}).values()):
            await server.instance.wait_closed()


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Is something listening there (a broker already running)?"""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port nobody listens on now (for tests and a second demo)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
