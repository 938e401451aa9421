"""The adapter interface and the one path vendor events take into the database.

An adapter knows a vendor's wire format and how the vendor names its devices;
it never decides anything. Plate reads are decided by
:func:`shequ.access.vehicles.plate_decide`, then every event goes through
:func:`shequ.access.services.ingest.events_store`, the store the MQTT gateway
uses, so an event id stored once is stored once whatever path it came by.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from shequ.access.models import AccessEvent, Device, EventKind
from shequ.access.services.ingest import EventRow, QuarantineRow, events_store, events_to_consoles
from shequ.access.vehicles import complex_of, plate_decide


@dataclass(frozen=True)
class VendorRecord:
    """One event a vendor device reported, bound to its Device row.

    ``event_id`` must be derived from the vendor's own record id (not from the
    arrival), so a device resending a record produces the same id.
    """

    device: Device
    event_id: str
    kind: str
    occurred_at: datetime
    plate_text: str = ""
    direction: str = ""
    credential_kind: str = ""
    reason: str = ""
    payload: dict = field(default_factory=dict)


@dataclass
class Decoded:
    """What an adapter made of one push: usable records, and messages put aside with the reason."""

    records: list[VendorRecord] = field(default_factory=list)
    quarantined: list[QuarantineRow] = field(default_factory=list)


class VendorAdapter(ABC):
    """A vendor's protocol: device naming and payload decoding."""

    #: the ``Device.protocol`` value of devices speaking it
    protocol: str

    def device_for(self, vendor_device_id: str) -> Device | None:
        """The active Device row a vendor device id names, or None."""
        if not vendor_device_id:
            return None
        return (Device.objects.select_related("area")
                .filter(Q(device_id=vendor_device_id) | Q(device_id__in=self.device_id_aliases(vendor_device_id)),
                        protocol=self.protocol, is_active=True).order_by("pk").first())

    def device_id_aliases(self, vendor_device_id: str) -> list[str]:
        """Other ``Device.device_id`` spellings of one vendor id (none by default)."""
        return []

    @abstractmethod
    def decode(self, *, device: Device, resource: str, body: bytes) -> Decoded:
        """Decode a push of ``resource`` (e.g. "MotorVehicles") sent by the authenticated ``device``."""


def vendor_records_store(records: list[VendorRecord], *, quarantined: list[QuarantineRow] = (),
                         now: datetime | None = None) -> list[AccessEvent]:
    """Decide plate reads, store the events once each (with their quarantined
    neighbours), stream the new ones to the guard consoles, and return them."""
    now = now or timezone.now()
    rows: list[EventRow] = []
    payloads: dict[tuple[int, str], dict] = {}
    complexes: dict[int, object] = {}
    for record in records:
        person_id, plate, reason, payload = None, "", record.reason, dict(record.payload)
        if record.kind == EventKind.PLATE:
            area = complexes.setdefault(record.device.area_id, complex_of(record.device.area))
            decision = plate_decide(device=record.device, plate_text=record.plate_text,
                                    direction=record.direction, now=now, complex_area=area)
            person_id, plate, reason = decision.person_id, decision.plate, decision.reason
            payload.update(decision.payload)
        rows.append(EventRow(
            device_pk=record.device.pk, event_id=record.event_id, kind=record.kind, occurred_at=record.occurred_at,
            credential_kind=record.credential_kind or ("plate" if record.kind == EventKind.PLATE else ""),
            person_id=person_id, plate=plate, direction=record.direction, reason=reason))
        payloads.setdefault((record.device.pk, record.event_id), payload)
    with transaction.atomic():
        stored = events_store(rows, quarantined=quarantined, received_at=now)
        # events_store writes an empty payload (its COPY path is shared with MQTT); the
        # vendor's details and a held car's pending decision join it in the same transaction
        for event in stored:
            AccessEvent.objects.filter(pk=event.pk).update(
                payload=payloads.get((event.row.device_pk, event.row.event_id), {}))
    events_to_consoles(stored)
    return list(AccessEvent.objects.filter(pk__in=[event.pk for event in stored]).order_by("pk"))
