"""Storing what devices report: events in idempotent batches, unusable messages in quarantine.

``shequ gateway`` calls :func:`events_store` from its database thread with up to a
few hundred events of many devices at a time. Each ``(device, event_id)`` is
stored once whatever arrives twice: the batch goes through
``INSERT … SELECT … ON CONFLICT (device_id, event_id) DO NOTHING`` (PostgreSQL and
SQLite ≥ 3.35, which also gives ``RETURNING``), staged in a temporary table that is
filled with ``COPY`` on PostgreSQL and ``executemany`` on SQLite.

The gateway acknowledges events to the device (``evack``) only after this returns,
that is after the commit: an acknowledged event is in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.db.models.base import ModelState
from django.utils import timezone

from shequ.access.models import AccessEvent, Device, QuarantinedMessage
from shequ.registry.models import Person

logger = logging.getLogger(__name__)

#: QuarantinedMessage.payload keeps at most this much of a message (a flood of huge junk must not fill the disk)
QUARANTINE_PAYLOAD_MAX = 256 * 1024
STAGE = "shequ_event_stage"


class EventRow(NamedTuple):
    """One device event, validated (``protocol.Event``) and bound to its device's pk.

    A named tuple: thousands are made a second, and its fields are in the staging
    table's column order, so it goes to ``COPY`` as it is."""

    device_pk: int
    event_id: str
    kind: str
    occurred_at: datetime
    credential_kind: str = ""
    person_id: int | None = None
    plate: str = ""
    direction: str = ""
    reason: str = ""
    pass_id: str = ""


def event_rows(device_pk: int, events: Iterable[dict]) -> list[EventRow]:
    """EventRows of one device's events as ``protocol.events_parse_fields`` gives them (dicts
    holding the optional fields only when sent; the defaults are ``protocol.Event``'s).

    Made with ``tuple.__new__``: NamedTuple's own ``__new__`` is a Python function, and at
    thousands of events a second it costs as much as the rest of making the row."""
    new = tuple.__new__
    return [
        new(EventRow, (device_pk, event["event_id"], event["kind"], event["occurred_at"],
                       event.get("credential_kind", ""), event.get("person_id"), event.get("plate", ""),
                       event.get("direction", ""), event.get("reason", ""), event.get("pass_id", "")))
        for event in events
    ]


#: the staging table's columns, in EventRow's order, and their PostgreSQL types (binary COPY sends them as such)
_COLUMNS = tuple("device_id" if name == "device_pk" else name for name in EventRow._fields)
_STAGE_TYPES = ("int8", "varchar", "varchar", "timestamptz", "varchar", "int8", "varchar", "varchar", "varchar", "varchar")


class StoredEvent(NamedTuple):
    """An event that was new to the database: its primary key and what was stored."""

    pk: int
    row: EventRow
    received_at: datetime


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    """A message (or one event of a batch) that cannot be used, and why."""

    topic: str
    payload: bytes
    reason: str


def events_store(
    batch: Sequence[EventRow],
    *,
    quarantined: Sequence[QuarantineRow] = (),
    received_at: datetime | None = None,
    raise_alarms: bool = True,
) -> list[StoredEvent]:
    """Store events and quarantined messages in one transaction, then raise their alarms; idempotent.

    Returns the events new to the database (those already stored are left alone).
    Visitor-pass uses are counted in the storing transaction (an exhausted pass is
    audited there, rarely). Forced-entry, door-held and SOS events raise their alarms
    in a short transaction of their own right after (a savepoint when the caller holds
    a transaction, as the vendor adapters do):
    the alarms append to the audit chain, whose lock would otherwise be held through
    the whole batch's commit and make the gateway's writers wait for each other. The
    gateway acknowledges events only after this returns, so a database failure during
    the alarms (:class:`AlarmsNotRaised`) leaves the events stored but unacknowledged:
    the batch is retried, they arrive as duplicates, and duplicates of alarming kinds
    are handed to the alarms again (which skip events already behind an alarm). A bug in the alarms
    code is logged and does not stop ingest. Streaming the ordinary events to the
    consoles is :func:`events_to_consoles`, after commit.

    Events naming a person who no longer exists are stored without the person;
    events of a device deleted meanwhile are dropped. If the database refuses the
    batch for its content (a constraint or a value it cannot hold), the events are
    stored one by one and the refused ones quarantined with the database's reason,
    so one bad row never blocks the rest.
    """
    received_at = received_at or timezone.now()
    by_key = _unique(batch)
    rows = list(by_key.values())
    with transaction.atomic():
        if quarantined:
            messages_quarantine(quarantined)
        try:
            with transaction.atomic():
                inserted = _insert(rows, received_at) if rows else []
        except (IntegrityError, DataError):
            logger.warning("the database refused a batch of %d events; storing them one by one", len(rows))
            inserted = _insert_one_by_one(rows, received_at)
        stored = [StoredEvent(pk, by_key[device_pk, event_id], received_at) for pk, device_pk, event_id in inserted]
        passes = [event for event in stored if event.row.credential_kind == "pass" and event.row.pass_id]
        if passes:
            from shequ.visitors.services import pass_events_record

            _hand_over([_event(item, connection.alias) for item in passes], pass_events_record,
                       what="pass use counting")
    if raise_alarms:
        kinds = _alarming_kinds()
        alarming = [_event(event, connection.alias) for event in stored if event.row.kind in kinds]
        new_keys = {(device_pk, event_id) for _, device_pk, event_id in inserted}
        try:
            alarming += _stored_before([row for key, row in by_key.items()
                                        if row.kind in kinds and key not in new_keys])
            if alarming:
                from shequ.alarms.services import alarms_from_events

                # streamed after commit by events_to_consoles
                _hand_over(alarming, lambda events: alarms_from_events(events, stream=False), what="alarms")
        except (OperationalError, InterfaceError) as error:
            raise AlarmsNotRaised(stored) from error
    return stored


class AlarmsNotRaised(OperationalError):
    """The events (and quarantined messages) are stored, their alarms are not: the database
    failed in between. Retry the same events without the quarantined messages (they are
    stored); ``stored`` are the events this first call stored, for the consoles and counts."""

    def __init__(self, stored: list[StoredEvent]) -> None:
        super().__init__(f"{len(stored)} events stored, their alarms not raised")
        self.stored = stored


def _stored_before(resent: Sequence[EventRow]) -> list[AccessEvent]:
    """The stored rows of events that arrived again (a device resends what was not acknowledged,
    as after a failure between storing an event and raising its alarm)."""
    if not resent:
        return []
    wanted = {(row.device_pk, row.event_id) for row in resent}
    found = AccessEvent.objects.filter(device_id__in={device for device, _ in wanted},
                                       event_id__in={event_id for _, event_id in wanted})
    return [event for event in found if (event.device_id, event.event_id) in wanted]


def events_to_consoles(stored: Sequence[StoredEvent]) -> None:
    """Stream stored events to the guard-room consoles (best effort: a console that
    missed some reloads its snapshot). Their alarms were raised when they were stored.

    A console is sent the latest events of its complex only, so only those are built
    and handed on: the work stays bounded whatever the ingest rate."""
    if stored:
        from shequ.alarms.services import events_stream

        alias = connection.alias
        _hand_over([_event(item, alias) for item in _latest_per_console(stored)], events_stream,
                   what="console push", atomic=False)


def _latest_per_console(stored: Sequence[StoredEvent]) -> list[StoredEvent]:
    """The events ``alarms_from_events`` would stream: per console group, the latest by time."""
    from shequ.alarms.broadcast import home_area_id
    from shequ.alarms.services import EVENTS_PER_MESSAGE

    places = Device.objects.filter(pk__in={item.row.device_pk for item in stored}).values_list(
        "pk", "area__path", "area__level")
    group_of = {pk: home_area_id(path, level) for pk, path, level in places}
    groups: dict[int, list[StoredEvent]] = {}
    for item in stored:
        group = group_of.get(item.row.device_pk)
        if group is not None:
            groups.setdefault(group, []).append(item)
    latest = []
    for items in groups.values():
        if len(items) > EVENTS_PER_MESSAGE:
            items = sorted(items, key=lambda item: item.row.occurred_at)[-EVENTS_PER_MESSAGE:]
        latest.extend(items)
    return latest


def messages_quarantine(rows: Iterable[QuarantineRow]) -> int:
    """Keep unusable messages with the reason (the payload cut to a bounded size)."""
    objs = [
        QuarantinedMessage(topic=row.topic[:200], payload=bytes(row.payload[:QUARANTINE_PAYLOAD_MAX]),
                           reason=_cut_reason(row.reason, truncated=len(row.payload) > QUARANTINE_PAYLOAD_MAX))
        for row in rows
    ]
    QuarantinedMessage.objects.bulk_create(objs)
    return len(objs)


def _cut_reason(reason: str, *, truncated: bool) -> str:
    suffix = " (payload truncated)" if truncated else ""
    return reason[: 200 - len(suffix)] + suffix


def _unique(batch: Sequence[EventRow]) -> dict[tuple[int, str], EventRow]:
    """The first of each (device, event id), by that key: a resend can land in the same batch as the original."""
    seen: dict[tuple[int, str], EventRow] = {}
    for row in batch:
        seen.setdefault(row[:2], row)
    return seen


def _insert(rows: list[EventRow], received_at: datetime) -> list[tuple[int, int, str]]:
    """Stage the rows, then move the new ones into the event table; (pk, device pk, event id) of those moved."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _stage_postgresql(cursor, rows)
        else:
            _stage_generic(cursor, rows)
        cursor.execute(_move_sql(), [connection.ops.adapt_datetimefield_value(received_at)])
        return cursor.fetchall()


def _stage_postgresql(cursor, rows: list[EventRow]) -> None:
    import psycopg

    # ON COMMIT DELETE ROWS truncates the stage at each commit (temp tables get no vacuum, so
    # no dead rows pile up); the DELETE, a no-op then, covers callers inside a longer transaction.
    statements = [
        f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (device_id bigint NOT NULL, event_id varchar(64) NOT NULL, "
        "kind varchar(14) NOT NULL, occurred_at timestamptz NOT NULL, credential_kind varchar(8) NOT NULL, "
        "person_id bigint, plate varchar(10) NOT NULL, direction varchar(3) NOT NULL, reason varchar(40) NOT NULL, "
        "pass_id varchar(40) NOT NULL) ON COMMIT DELETE ROWS",
        f"DELETE FROM {STAGE}",
    ]
    raw = cursor.cursor  # the psycopg cursor under Django's wrapper: COPY is not in the DB-API
    if isinstance(raw, psycopg.ClientCursor):  # Django's default: client-side binding takes both in one round trip
        statements = ["; ".join(statements)]
    for statement in statements:
        cursor.execute(statement)
    # the raw cursor bypasses Django's error translation: psycopg errors must still become django.db errors;
    # binary, so neither side formats or parses text (timestamps above all): a third of the text form's CPU
    with connection.wrap_database_errors, raw.copy(f"COPY {STAGE} ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(_STAGE_TYPES)
        try:
            for row in rows:
                copy.write_row(row)
        except (OverflowError, UnicodeEncodeError) as error:
            # what the server refuses in text form (a person id beyond bigint) the binary form refuses here
            raise DataError(f"a value does not fit its column: {error}") from error


def _stage_generic(cursor, rows: list[EventRow]) -> None:
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (device_id integer NOT NULL, event_id varchar(64) NOT NULL, "
        "kind varchar(14) NOT NULL, occurred_at datetime NOT NULL, credential_kind varchar(8) NOT NULL, "
        "person_id integer, plate varchar(10) NOT NULL, direction varchar(3) NOT NULL, reason varchar(40) NOT NULL, "
        "pass_id varchar(40) NOT NULL)"
    )
    cursor.execute(f"DELETE FROM {STAGE}")  # SQLite has no ON COMMIT DELETE ROWS
    adapt = connection.ops.adapt_datetimefield_value
    cursor.executemany(
        f"INSERT INTO {STAGE} ({', '.join(_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})",
        [(row.device_pk, row.event_id, row.kind, adapt(row.occurred_at), row.credential_kind, row.person_id,
          row.plate, row.direction, row.reason, row.pass_id) for row in rows],
    )


def _move_sql() -> str:
    quote = connection.ops.quote_name
    events, devices, people = (quote(model._meta.db_table) for model in (AccessEvent, Device, Person))
    # the joins drop vanished devices and blank vanished people, so the foreign keys cannot fail at commit;
    # "WHERE true" keeps SQLite from reading ON CONFLICT as the join's ON
    return (
        f"INSERT INTO {events} (device_id, event_id, kind, occurred_at, received_at, credential_kind, person_id, "
        "plate, direction, reason, pass_id, payload) "
        "SELECT s.device_id, s.event_id, s.kind, s.occurred_at, %s, s.credential_kind, p.id, s.plate, s.direction, "
        f"s.reason, s.pass_id, '{{}}' FROM {STAGE} s JOIN {devices} d ON d.id = s.device_id "
        f"LEFT JOIN {people} p ON p.id = s.person_id WHERE true "
        "ON CONFLICT (device_id, event_id) DO NOTHING RETURNING id, device_id, event_id"
    )


def _insert_one_by_one(rows: list[EventRow], received_at: datetime) -> list[tuple[int, int, str]]:
    stored: list[tuple[int, int, str]] = []
    refused: list[QuarantineRow] = []
    for row in rows:
        try:
            with transaction.atomic():
                stored.extend(_insert([row], received_at))
        except (IntegrityError, DataError) as error:
            refused.append(QuarantineRow(
                topic=f"db/{row.device_pk}/event", payload=repr(row).encode(),
                reason=f"event {row.event_id}: the database refused it: {error}",
            ))
    if refused:
        messages_quarantine(refused)
    return stored


def _alarming_kinds() -> frozenset[str]:
    from shequ.alarms.services import ALARM_OF_EVENT

    return frozenset(ALARM_OF_EVENT)


def _hand_over(events: list[AccessEvent], handler: Callable[[list[AccessEvent]], object], *, what: str,
               atomic: bool = True) -> None:
    """Hand stored events to another app (alarms, visitor passes, consoles). Database errors
    propagate (the caller retries the batch); anything else is a bug there, logged with its
    traceback, so it cannot stop ingest. A handler that writes runs in a transaction (a
    savepoint inside the storing one), so its failure cannot lose the events stored with it."""
    try:
        with transaction.atomic() if atomic else nullcontext():
            handler(events)
    except (OperationalError, InterfaceError):
        raise
    except Exception:  # noqa: BLE001 - logged with its traceback
        logger.exception("%s failed for %d stored events", what, len(events))


def _event(stored: StoredEvent, alias: str) -> AccessEvent:
    """The AccessEvent as loaded from the database, built the way ``Model.from_db`` leaves it
    but without ``__init__``: ten times cheaper, and at thousands of events a second
    ``__init__`` would cost more than storing them. No init signals are connected to
    AccessEvent, so nothing is skipped."""
    row = stored.row
    event = AccessEvent.__new__(AccessEvent)
    event.__dict__.update(
        id=stored.pk, device_id=row.device_pk, event_id=row.event_id, kind=row.kind, occurred_at=row.occurred_at,
        received_at=stored.received_at, credential_kind=row.credential_kind, person_id=row.person_id,
        plate=row.plate, direction=row.direction, reason=row.reason, pass_id=row.pass_id, payload={},
    )
    state = event._state = ModelState()
    state.adding = False
    state.db = alias
    return event
