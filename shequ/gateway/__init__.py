"""``shequ gateway``: MQTT broker <-> database for the access devices (docs/mqtt.md).

``run_gateway(...)`` is the console entry; ``serve(config)`` the coroutine; the
embedded amqtt broker of the demo lives in :mod:`shequ.gateway.broker`.
"""
