"""Reads for the kiosk page. The kiosk is a device, not a user: every read is bound
to the device its key proves (``shequ.intercom.terminal_auth``), and through it to
the device's place in the area tree."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from shequ.access.models import Device
from shequ.alarms.models import Alarm, AlarmKind
from shequ.intercom.terminal_auth import terminal_key_ok
from shequ.notices.models import Notice, NoticeRecipient
from shequ.terminals.services import TERMINAL_KINDS

#: notices on the kiosk at most
KIOSK_NOTICES = 20


def kiosk_device_get(*, device_id: str, key: str) -> Device:
    """The active terminal whose key this is; 404 for anything else (another device's
    key, no key, a door controller), so a guess learns nothing."""
    device = Device.objects.select_related("area").filter(
        device_id=device_id, is_active=True, kind__in=TERMINAL_KINDS).first()
    if device is None or not terminal_key_ok(device, key or ""):
        raise Http404
    return device


def kiosk_notices(device: Device, *, now: datetime | None = None, limit: int = KIOSK_NOTICES) -> list[Notice]:
    """The live terminal-channel notices that reach the terminal, urgent first, then newest.

    A notice reaches a terminal as its broadcast does (``shequ.notices.audience``): an
    audience area at or above the terminal's place, or, for a terminal in a home, the
    household being one of the notice's recipients (care groups reach homes only so)."""
    ancestors = device.area.ancestor_ids
    in_audience = Notice.audience_areas.through.objects.filter(area_id__in=ancestors).values("notice_id")
    household = NoticeRecipient.objects.filter(notice_id=OuterRef("pk"), house__area_id=device.area_id)
    return list(Notice.objects.live(now or timezone.now()).filter(to_terminals=True)
                .filter(Q(pk__in=in_audience) | Exists(household))
                .order_by("-urgent", "-published_at", "-pk")[:limit])


def kiosk_sos_latest(device: Device) -> Alarm | None:
    """The terminal's latest SOS alarm still open (what the kiosk shows under its button)."""
    return (Alarm.objects.open().filter(device=device, kind=AlarmKind.SOS)
            .order_by("-raised_at", "-pk").first())
