"""Escalation of unacknowledged alarms, and the periodic tick that runs it.

An alarm of an escalating kind (SOS and forced entry by default) that nobody
acknowledged within ``SHEQU_ALARM_ESCALATE_POLICE_SECONDS`` of being raised goes
to the community police console; still unacknowledged after
``SHEQU_ALARM_ESCALATE_STREET_SECONDS``, to the street. Both are counted from
``raised_at`` (the platform's clock: an edge's old events escalate from when the
platform learnt of them). Reaching the police also forwards the alarm to the
public-security platform when a police link is configured.

:func:`alarms_tick` runs escalation and then the police link's due deliveries;
``manage.py alarms_tick`` runs it from cron, :func:`alarms_tick_async` from an
event loop (``shequ gateway``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from shequ.accounts.audit import audit_append
from shequ.alarms import conf, payloads
from shequ.alarms.models import (Alarm, AlarmAction, AlarmActionKind, AlarmStatus, EscalationLevel, PoliceForward,
                                 PoliceForwardReason)
from shequ.alarms.police_link import police_link
from shequ.alarms.services.common import escalation_actor, push
from shequ.alarms.services.police import forward_create, police_forwards_deliver_due

#: alarms escalated per transaction at most; the next tick takes the rest
BATCH = 200


def alarms_escalate_due(now: datetime | None = None) -> list[Alarm]:
    """Escalate every unacknowledged alarm whose time is up at ``now`` (default: the
    clock); returns them. Timeline, audit and consoles hear of each step. Safe to
    run twice at once: the alarms are locked and re-checked."""
    now = now or timezone.now()
    police_cut = now - conf.escalate_police_after()
    street_cut = now - conf.escalate_street_after()
    due = (Q(escalation_level=EscalationLevel.NONE, raised_at__lte=police_cut)
           | Q(escalation_level__lt=EscalationLevel.STREET, raised_at__lte=street_cut))
    actor = escalation_actor()
    with transaction.atomic():
        alarms = list(Alarm.objects.select_for_update(of=("self",)).select_related(*payloads.ALARM_RELATED)
                      .filter(due, status=AlarmStatus.RAISED, kind__in=conf.escalate_kinds())
                      .order_by("raised_at", "pk")[:BATCH])
        if not alarms:
            return []
        link = police_link()
        for alarm in alarms:
            reached = []
            if alarm.escalation_level < EscalationLevel.POLICE:
                alarm.escalation_level, alarm.escalated_police_at = EscalationLevel.POLICE, now
                reached.append(EscalationLevel.POLICE)
            if alarm.raised_at <= street_cut:
                alarm.escalation_level, alarm.escalated_street_at = EscalationLevel.STREET, now
                reached.append(EscalationLevel.STREET)
            alarm.save(update_fields=["escalation_level", "escalated_police_at", "escalated_street_at", "updated_at"])
            waited = int((now - alarm.raised_at).total_seconds())
            for level in reached:
                AlarmAction.objects.create(alarm=alarm, action=AlarmActionKind.ESCALATED, at=now, by_name=actor.name,
                                           note=EscalationLevel(level).label)
                audit_append(actor=actor, action="alarm.escalate", obj=alarm,
                             detail={"kind": alarm.kind, "level": int(level), "unacknowledged_seconds": waited})
            if EscalationLevel.POLICE in reached and link.configured:
                forward_create(alarm=alarm, actor=actor, reason=PoliceForwardReason.ESCALATION, now=now, link=link)
        push(alarms)
    return alarms


@dataclass
class TickResult:
    escalated: list[Alarm] = field(default_factory=list)
    forwards_tried: list[PoliceForward] = field(default_factory=list)


def alarms_tick(now: datetime | None = None) -> TickResult:
    """Escalate what is due, then try the police forwards that are due (escalations'
    included). Call every few seconds; safe to run in several processes."""
    now = now or timezone.now()
    escalated = alarms_escalate_due(now)
    return TickResult(escalated=escalated, forwards_tried=police_forwards_deliver_due(now))


async def alarms_tick_async(now: datetime | None = None) -> TickResult:
    """:func:`alarms_tick` from an event loop: on a thread of its own, since a police
    platform may take up to its timeout to answer and the loop must keep going.
    The thread's database connection is closed afterwards (threads of the default
    executor are reused by anyone)."""
    return await asyncio.to_thread(_tick_then_close, now)


def _tick_then_close(now: datetime | None) -> TickResult:
    try:
        return alarms_tick(now)
    finally:
        connection.close()
