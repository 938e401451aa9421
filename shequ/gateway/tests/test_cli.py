"""``shequ gateway`` and the demo's gateway thread."""

from __future__ import annotations

import asyncio
import socket

import aiomqtt
import pytest

from shequ.cli import build_parser
from shequ.gateway.broker import free_port, port_is_open
from shequ.gateway.main import GatewayConfig, GatewayThread, run_gateway


def test_it_parses_the_gateway_options():
    args = build_parser().parse_args(["gateway", "--broker-host", "10.0.0.5", "--broker-port", "1884",
                                      "--embedded-broker", "--client-id", "gw-2"])

    assert (args.broker_host, args.broker_port, args.embedded_broker, args.client_id) == (
        "10.0.0.5", 1884, True, "gw-2")


def test_it_defaults_to_a_broker_on_this_machine():
    args = build_parser().parse_args(["gateway"])

    assert (args.broker_host, args.broker_port, args.embedded_broker) == ("127.0.0.1", 1883, False)


def test_it_fails_cleanly_when_the_embedded_broker_port_is_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()

        status = run_gateway(broker_port=taken.getsockname()[1], embedded_broker=True)

    assert status == 1


@pytest.mark.django_db(transaction=True)
def test_it_runs_the_broker_and_the_gateway_on_a_thread_for_the_demo(tree):
    port = free_port()
    gateway = GatewayThread(GatewayConfig(broker_port=port, client_id="demo-test"), embedded=True)

    assert gateway.start()
    try:
        assert port_is_open("127.0.0.1", port)

        async def connect():
            async with aiomqtt.Client("127.0.0.1", port, timeout=5):
                return True

        assert asyncio.run(asyncio.wait_for(connect(), 10))
    finally:
        stopped = gateway.stop()

    assert stopped
    assert not port_is_open("127.0.0.1", port)


@pytest.mark.django_db(transaction=True)
def test_it_uses_a_broker_already_on_the_port_for_the_demo(tree, capsys):
    from shequ.cli import _demo_gateway

    port = free_port()
    outside = GatewayThread(GatewayConfig(broker_port=port, client_id="outside"), embedded=True)
    assert outside.start()
    try:
        gateway = _demo_gateway("127.0.0.1", port)
        try:
            assert gateway is not None and not gateway.embedded
        finally:
            gateway.stop()
    finally:
        outside.stop()

    assert "已运行的 MQTT 代理" in capsys.readouterr().out
