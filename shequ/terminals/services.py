"""Terminal writes: placing (simulated) terminals in the area tree, and the kiosk's SOS.

Terminals are access devices (``indoor_terminal`` in homes, ``outdoor_terminal``
on lamp posts); registering one goes through the access service like any device.
"""

from __future__ import annotations

from itertools import cycle, islice

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shequ.access import protocol
from shequ.access.models import Device, DeviceKind
from shequ.access.services import device_register, device_secret
from shequ.accounts.audit import Actor
from shequ.registry.models import Area
from shequ.terminals.sim import TerminalSpec

TERMINAL_KINDS = frozenset({DeviceKind.INDOOR_TERMINAL, DeviceKind.OUTDOOR_TERMINAL})
#: in a mixed fleet one terminal in this many stands on a lamp post
OUTDOOR_EVERY = 10
#: outdoor terminals stand on lamp posts of the complex grounds and in front of buildings
OUTDOOR_LEVELS = (Area.Level.COMPLEX, Area.Level.BUILDING)
KINDS = {"indoor": DeviceKind.INDOOR_TERMINAL, "outdoor": DeviceKind.OUTDOOR_TERMINAL}


def terminal_actor(device: Device, ip: str = "") -> Actor:
    """Who acts when a terminal does something: the device itself, named in the audit trail."""
    return Actor(user=None, ip=ip, via=f"terminal:{device.device_id}")


def kiosk_sos(*, device: Device, ip: str = ""):
    """The kiosk's SOS button: a one-click alarm at the terminal's place, for the guard room and the police."""
    from shequ.alarms.services import sos_raise

    if device.kind not in TERMINAL_KINDS or not device.is_active:
        raise ValidationError({"device": ValidationError(_("该设备不是启用中的终端。"), code="not_a_terminal")})
    return sos_raise(actor=terminal_actor(device, ip), area=device.area, source=device.kind, device=device)


def terminals_provision(*, actor: Actor, area: Area, count: int, kind: str = "mixed",
                        prefix: str = "sim") -> list[TerminalSpec]:
    """``count`` terminals under ``area`` named ``<prefix>-00001`` …: registered through the
    access service when new, loaded (with their secrets) when they exist. ``kind``: ``indoor``
    (on the houses), ``outdoor`` (complexes and buildings) or ``mixed`` (one in ten outdoor).
    With more terminals than places, places take several (rooms, posts). Returns what the
    simulator needs; [] when the area has no place for them."""
    plan = _plan(area, count, kind)
    ids = [f"{prefix}-{index:05d}" for index in range(1, len(plan) + 1)]
    existing = {device.device_id: device for device in Device.objects.filter(device_id__in=ids).select_related("area")}
    specs = []
    with transaction.atomic():
        for device_id, (device_kind, place) in zip(ids, plan):
            device = existing.get(device_id)
            if device is None:
                registered = device_register(actor=actor, device_id=device_id, kind=device_kind, area=place,
                                             name=_("%(place)s终端") % {"place": place.name}, faces_enabled=False)
                device, secret = registered.device, registered.secret
            elif device.kind not in TERMINAL_KINDS:
                raise ValidationError({"device_id": ValidationError(
                    _("设备编号 %(id)s 已被非终端设备使用。") % {"id": device_id}, code="not_a_terminal")})
            else:
                secret = device_secret(device)
            specs.append(TerminalSpec(device_id=device.device_id, secret=secret,
                                      area_ids=tuple(protocol.area_ids_of_path(device.area.path)), kind=device.kind))
    return specs


def _plan(area: Area, count: int, kind: str) -> list[tuple[str, Area]]:
    """(device kind, place) for each terminal to provision."""
    if kind not in ("indoor", "outdoor", "mixed"):
        raise ValueError(f"unknown terminal kind {kind!r}")
    outdoor = count if kind == "outdoor" else 0 if kind == "indoor" else max(1, count // OUTDOOR_EVERY)
    under = Area.objects.filter(path__startswith=area.path).active().order_by("path")
    posts = list(under.filter(level__in=OUTDOOR_LEVELS)[:outdoor]) if outdoor else []
    if not posts:
        if kind == "outdoor":
            return []
        outdoor = 0
    indoor = count - outdoor
    houses = list(under.filter(level=Area.Level.HOUSE)[:indoor]) if indoor else []
    if indoor and not houses:
        return []
    return ([(DeviceKind.INDOOR_TERMINAL, place) for place in islice(cycle(houses), indoor)]
            + [(DeviceKind.OUTDOOR_TERMINAL, place) for place in islice(cycle(posts), outdoor)])
