"""``shequ edge``: the reference program for a door controller or gate PC.

It runs without Django: a small asyncio program that talks MQTT to the platform
(protocol in :mod:`shequ.access.protocol`, docs/mqtt.md), keeps its rules,
credentials, revocations, face gallery and event outbox in a local SQLite file,
and decides at the door whether or not the platform is reachable. docs/edge.md
describes it.
"""
