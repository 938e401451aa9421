"""Counters of what the gateway did, logged now and then and read by tests and the benchmark."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class GatewayStats:
    messages: int = 0
    events_received: int = 0
    events_stored: int = 0
    events_already_stored: int = 0
    events_rejected: int = 0
    quarantined: int = 0
    #: event messages refused because too much was waiting for a failing database (not acknowledged: edges resend)
    dropped: int = 0
    batches: int = 0
    db_failures: int = 0
    evacks_sent: int = 0
    evacks_unsent: int = 0
    heartbeats: int = 0
    acks: int = 0
    syncs_sent: int = 0
    outbound_sent: int = 0
    states_sent: int = 0
    connects: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
