"""Messages the platform sends to devices, queued for ``shequ gateway``.

Web processes do not hold a broker connection: they queue a row (``Outbound``)
in the same transaction as the change that needs it, so a message exists if and
only if its change committed. The gateway polls the queue, publishes, and marks
the rows sent (:func:`outbound_pending`, :func:`outbound_mark_sent`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from shequ.access import protocol
from shequ.access.models import Device, Outbound
from shequ.registry.models import Area

#: unsent commands older than this are dropped (the edge refuses them anyway: protocol.CMD_MAX_SKEW)
COMMAND_TTL = protocol.CMD_MAX_SKEW
#: sent rows kept this long for the record
KEEP_SENT = timedelta(days=30)


def outbound_command(*, device: Device, cmd: str, params: dict | None = None, cmd_id: str = "",
                     ttl: timedelta = COMMAND_TTL) -> str:
    """Queue a command (``open``, ``resync`` ...) for one device; returns its ``cmd_id``,
    which the device echoes in its ``cmd_result`` ack."""
    cmd_id = cmd_id or uuid.uuid4().hex
    body = protocol.cmd_body(cmd, cmd_id=cmd_id, **(params or {}))
    protocol.cmd_parse(body)  # a malformed command fails here, in the caller's request, not in the gateway
    now = timezone.now()
    Outbound.objects.create(name=Outbound.Name.CMD, device=device, body=body, created_at=now, expires_at=now + ttl)
    return cmd_id


def outbound_broadcast(*, area: Area, name: str, body: dict, expires_at: datetime | None = None) -> Outbound:
    """Queue one broadcast (``notice``) to every device at or under ``area``."""
    protocol.broadcast_topic(area.pk, name)  # validates the name
    return Outbound.objects.create(name=name, area=area, body=dict(body), created_at=timezone.now(),
                                   expires_at=expires_at)


def outbound_pending(*, limit: int = 500, now: datetime | None = None) -> list[Outbound]:
    """The oldest unsent messages (expired ones are marked dropped and left out)."""
    now = now or timezone.now()
    Outbound.objects.filter(sent_at__isnull=True, dropped=False, expires_at__lte=now).update(dropped=True)
    return list(Outbound.objects.filter(sent_at__isnull=True, dropped=False)
                .select_related("device").order_by("created_at", "pk")[:limit])


def outbound_mark_sent(ids: Iterable[int], *, at: datetime | None = None) -> int:
    ids = list(ids)
    if not ids:
        return 0
    return Outbound.objects.filter(pk__in=ids, sent_at__isnull=True).update(sent_at=at or timezone.now())


def outbound_purge(*, now: datetime | None = None) -> int:
    """Forget sent and dropped messages older than ``KEEP_SENT``."""
    cutoff = (now or timezone.now()) - KEEP_SENT
    deleted, _ = Outbound.objects.filter(created_at__lt=cutoff).exclude(sent_at__isnull=True, dropped=False).delete()
    return deleted
