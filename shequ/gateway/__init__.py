"""``shequ gateway``: MQTT broker <-> database for the access devices (protocol: docs/mqtt.md).

Modules: ``main`` (the process: MQTT session, message dispatch, ``run_gateway``,
``GatewayThread`` for the demo), ``ingest`` (batches into the database, ``evack``
after commit), ``control`` (heartbeats, acks, sync pushes, offline faults),
``feed`` (live events to the guard-room consoles), ``directory`` (device secrets
in memory), ``broker`` (the embedded amqtt broker), ``dbworker``, ``backoff``.
The database side is ``shequ.access.services.ingest``.

Running it:

- ``shequ gateway`` connects to Mosquitto on 127.0.0.1:1883 (``--broker-host``,
  ``--broker-port``); ``--embedded-broker`` starts amqtt in the same process
  instead; ``shequ demo`` runs both on a thread of the web process.
- It uses a persistent MQTT session under a fixed client id (``--client-id``,
  default ``shequ-gateway``), so the broker keeps QoS 1 messages while it
  restarts. Mosquitto keeps at most ``max_queued_messages`` (default 1000) per
  client and drops the rest; nothing is lost by that, since devices resend every
  event not acknowledged with ``evack``, but a larger queue saves resends after a
  long gateway outage. Two gateways need two client ids (and see each other's
  traffic: share topics with ``$share/…`` subscriptions before running several).
- Stop it with SIGTERM or Ctrl-C: it stops reading, stores and acknowledges what
  it holds (up to 10 s), then disconnects. Killed outright, it loses nothing
  either: unacknowledged events come again from the devices.
"""
