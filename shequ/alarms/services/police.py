"""The police one-click link: forwarding an alarm to the public-security platform.

A forward is asked for (the "forward to police" button, or an escalation to the
police when a link is configured), then delivered by tries: one now, the rest
when due, each recorded as a :class:`PoliceForwardAttempt`. A failed try that may
succeed later (a 5xx, a network error) is retried after an exponentially growing,
bounded wait, up to ``SHEQU_POLICE_LINK_MAX_ATTEMPTS`` tries; then the forward
fails and says so on the alarm's timeline, in the audit log and on the consoles.

Tries never run inside a database transaction (a slow platform must not hold
locks) and are claimed first by moving ``next_attempt_at`` ahead, so two senders
(two gateways, a tick and a button) never try the same forward at once.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.alarms import conf, payloads
from shequ.alarms.models import (Alarm, AlarmAction, AlarmActionKind, AlarmKind, AlarmSource, PoliceForward,
                                 PoliceForwardAttempt, PoliceForwardReason, PoliceStatus)
from shequ.alarms.police_link import LinkResult, PoliceLink, police_link
from shequ.alarms.services.common import push
from shequ.registry.models import Area
from shequ.registry.selectors import address_labels

logger = logging.getLogger(__name__)

PAYLOAD_SCHEMA = "shequ.police-link/1"
#: a sender holds a claimed forward this long beyond the link's timeout before another may try it
CLAIM_MARGIN = timedelta(seconds=30)
#: one round of deliveries tries at most this many forwards and starts no try after this many seconds
ROUND_LIMIT = 20
ROUND_SECONDS = 20.0
_LIVE = (PoliceStatus.PENDING, PoliceStatus.SENT)


@dataclass(frozen=True)
class Outcome:
    status: str
    text: str


# --- asking for a forward ---------------------------------------------------------------------------------------

def police_forward(*, alarm: Alarm, actor: Actor, deliver: bool = True) -> PoliceForward:
    """The "forward to police" button: forward ``alarm`` to the public-security platform.

    Needs ``alarms.police`` or ``alarms.handle`` at the alarm's place. Refused for a
    closed alarm and for one already being forwarded or delivered. With no link
    configured the forward is recorded as "not configured". With ``deliver`` the
    first try runs right after the commit (the caller waits for it, bounded by the
    link's timeout); later tries are :func:`police_forwards_deliver_due`'s.
    """
    if actor.user is None or not (user_can(actor.user, Capability.ALARMS_POLICE, alarm.area)
                                  or user_can(actor.user, Capability.ALARMS_HANDLE, alarm.area)):
        raise PermissionDenied
    with transaction.atomic():
        locked = _lock(alarm.pk)
        if not locked.is_open:
            raise ValidationError({"alarm": ValidationError(_("报警已关闭，不能再推送公安平台。"), code="closed")})
        forward = forward_create(alarm=locked, actor=actor, reason=PoliceForwardReason.MANUAL, now=timezone.now())
        if forward is None:
            raise ValidationError({"alarm": ValidationError(
                _("该报警已推送或正在推送公安平台（%(status)s）。") % {"status": locked.get_police_status_display()},
                code="already_forwarded")})
        push([locked])
        if deliver and forward.status == PoliceStatus.PENDING:
            pk = forward.pk
            transaction.on_commit(lambda: police_forward_try(forward_pk=pk), robust=True)
    return forward


def forward_create(*, alarm: Alarm, actor: Actor, reason: str, now: datetime,
                   link: PoliceLink | None = None) -> PoliceForward | None:
    """Record a forward of a locked ``alarm`` (in the caller's transaction; the caller
    pushes the alarm). None when one is already pending or delivered."""
    if PoliceForward.objects.filter(alarm=alarm, status__in=_LIVE).exists():
        return None
    link = link or police_link()
    forward = PoliceForward.objects.create(
        alarm=alarm, key=uuid.uuid4(), reason=reason, backend=link.name, requested_at=now, requested_by=actor.user,
        requested_by_name=actor.name, status=PoliceStatus.PENDING if link.configured else PoliceStatus.NOT_CONFIGURED,
        next_attempt_at=now if link.configured else None)
    AlarmAction.objects.create(alarm=alarm, action=AlarmActionKind.FORWARDED, at=now, by=actor.user,
                               by_name=actor.name, note=PoliceForwardReason(reason).label)
    audit_append(actor=actor, action="alarm.police_forward", obj=alarm,
                 detail={"forward": str(forward.key), "reason": reason, "backend": link.name})
    if link.configured:
        _set_alarm_status(alarm, PoliceStatus.PENDING)
    else:
        PoliceForwardAttempt.objects.create(forward=forward, number=1, at=now, error=_("未配置公安平台接口"))
        forward.attempt_count, forward.finished_at = 1, now
        _finish(forward, alarm, Outcome(PoliceStatus.NOT_CONFIGURED,
                                        _("未配置公安平台接口（SHEQU_POLICE_LINK_URL），未推送。")), now)
    return forward


# --- delivering -------------------------------------------------------------------------------------------------

def police_forwards_deliver_due(now: datetime | None = None, *, limit: int = ROUND_LIMIT,
                                seconds: float = ROUND_SECONDS) -> list[PoliceForward]:
    """One try for each pending forward whose next try is due (oldest first), within a
    bounded round. Run it every few seconds, off any thread that must stay quick
    (a try may wait up to the link's timeout). Returns the forwards tried."""
    now = now or timezone.now()
    due = list(PoliceForward.objects.filter(status=PoliceStatus.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    if not due:
        return []
    link = police_link()
    tried = []
    stop_at = time.monotonic() + seconds
    for pk in due:
        if time.monotonic() > stop_at:
            break
        forward = police_forward_try(forward_pk=pk, now=now, link=link)
        if forward is not None:
            tried.append(forward)
    return tried


def police_forward_try(*, forward_pk: int, now: datetime | None = None,
                       link: PoliceLink | None = None) -> PoliceForward | None:
    """One try at delivering a pending forward that is due; None if it is not (any more)
    or another sender holds it. Records the try and what follows from it."""
    now = now or timezone.now()
    link = link or police_link()
    timeout = float(getattr(link, "timeout", 0) or 0)
    claimed = PoliceForward.objects.filter(pk=forward_pk, status=PoliceStatus.PENDING, next_attempt_at__lte=now) \
        .update(next_attempt_at=now + timedelta(seconds=timeout) + CLAIM_MARGIN)
    if not claimed:
        return None
    forward = PoliceForward.objects.select_related("alarm__area", "alarm__device").get(pk=forward_pk)
    body = police_payload(forward.alarm, forward=forward)
    at, started = timezone.now(), time.perf_counter()
    try:
        result = link.send(body, key=str(forward.key))
    except Exception as error:  # noqa: BLE001 - a broken backend is a failed try, recorded; the others go on
        logger.exception("police link backend %s failed on forward %s", link.name, forward.key)
        result = LinkResult(ok=False, error=f"{type(error).__name__}: {error}"[:300], retry=True)
    duration_ms = int((time.perf_counter() - started) * 1000)
    return _record_try(forward_pk, result, at=at, duration_ms=duration_ms, now=now)


def _record_try(forward_pk: int, result: LinkResult, *, at: datetime, duration_ms: int,
                now: datetime) -> PoliceForward:
    with transaction.atomic():
        forward = PoliceForward.objects.select_for_update().get(pk=forward_pk)
        alarm = _lock(forward.alarm_id)
        number = forward.attempt_count + 1
        PoliceForwardAttempt.objects.create(
            forward=forward, number=number, at=at, duration_ms=duration_ms, ok=result.ok,
            http_status=result.http_status, error=result.error[:300], response_excerpt=result.response_excerpt[:500])
        forward.attempt_count = number
        outcome = _outcome(result, number)
        if outcome is None:
            wait = conf.link_backoff(number)
            forward.next_attempt_at = now + wait
            forward.outcome = _("第 %(n)d 次推送失败（%(why)s），%(s)d 秒后重试。") % {
                "n": number, "why": _why(result), "s": int(wait.total_seconds())}
            forward.save(update_fields=["attempt_count", "next_attempt_at", "outcome"])
        else:
            forward.finished_at, forward.next_attempt_at = at, None
            _finish(forward, alarm, outcome, now)
            push([alarm])
    return forward


def _outcome(result: LinkResult, number: int) -> Outcome | None:
    """How a forward ends after this try, or None when it is to be tried again."""
    if result.ok:
        return Outcome(PoliceStatus.SENT, _("已送达公安平台（HTTP %(status)s）。") % {"status": result.http_status})
    if not result.retry:
        return Outcome(PoliceStatus.FAILED, _("公安平台拒绝了推送（%(why)s），不再重试。") % {"why": _why(result)})
    if number >= conf.link_max_attempts():
        return Outcome(PoliceStatus.FAILED, _("已尝试 %(n)d 次均失败（最后一次：%(why)s），已放弃推送。") % {
            "n": number, "why": _why(result)})
    return None


def _why(result: LinkResult) -> str:
    return f"HTTP {result.http_status}" if result.http_status else (result.error or "?")


def _finish(forward: PoliceForward, alarm: Alarm, outcome: Outcome, now: datetime) -> None:
    """The forward is over: record it on the forward, the alarm, its timeline and the audit log."""
    forward.status, forward.outcome = outcome.status, outcome.text[:200]
    forward.save()
    _set_alarm_status(alarm, outcome.status)
    AlarmAction.objects.create(alarm=alarm, action=AlarmActionKind.FORWARD_RESULT, at=now,
                               by_name=Actor.system(via="police-link").name, note=outcome.text)
    audit_append(actor=Actor.system(via="police-link"), action="alarm.police_forward_result", obj=alarm,
                 detail={"forward": str(forward.key), "status": outcome.status, "attempts": forward.attempt_count})


def _set_alarm_status(alarm: Alarm, status: str) -> None:
    alarm.police_status = status
    alarm.save(update_fields=["police_status", "updated_at"])


def _lock(pk: int) -> Alarm:
    return Alarm.objects.select_for_update(of=("self",)).select_related(*payloads.ALARM_RELATED).get(pk=pk)


# --- what is sent -----------------------------------------------------------------------------------------------

def police_payload(alarm: Alarm, *, forward: PoliceForward) -> dict[str, Any]:
    """The JSON body sent to the platform (schema in docs/police-link.md), in the
    platform's language whatever the language of whoever pressed the button."""
    area = alarm.area
    chain = list(Area.objects.filter(pk__in=area.ancestor_ids).order_by("depth").values_list("name", "code"))
    with translation.override(settings.LANGUAGE_CODE):
        kind_label = str(AlarmKind(alarm.kind).label)
        source_label = str(AlarmSource(alarm.source).label)
    return {
        "schema": PAYLOAD_SCHEMA,
        "forward_key": str(forward.key),
        "reason": forward.reason,
        "alarm": {
            "id": alarm.pk,
            "kind": alarm.kind,
            "kind_label": kind_label,
            "status": alarm.status,
            "source": alarm.source,
            "source_label": source_label,
            "detail": alarm.detail,
            "occurred_at": alarm.occurred_at.isoformat(),
            "raised_at": alarm.raised_at.isoformat(),
            "acknowledged_at": alarm.acknowledged_at.isoformat() if alarm.acknowledged_at else None,
            "escalation_level": alarm.escalation_level,
            "repeat_count": alarm.repeat_count,
        },
        "location": {
            "label": " ".join(name for name, _code in chain),
            "short_label": address_labels([area]).get(area.pk, area.name),
            "area_code": area.code,
            "area_codes": [code for _name, code in chain],
            "device_id": alarm.device.device_id if alarm.device_id else None,
            "device_name": alarm.device.name if alarm.device_id else None,
            "latitude": float(alarm.latitude) if alarm.latitude is not None else None,
            "longitude": float(alarm.longitude) if alarm.longitude is not None else None,
        },
        "reporter": {"phone_masked": alarm.reporter_phone_masked or None},
    }
