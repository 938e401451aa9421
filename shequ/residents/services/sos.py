"""The resident's one-click alarm (SOS) from the phone, raised at their house."""

from __future__ import annotations

from shequ.accounts.audit import Actor
from shequ.registry.models import House

SOURCE = "resident_app"


def resident_sos(*, actor: Actor, house: House, detail: str = "", latitude=None, longitude=None):
    """Raise an SOS alarm at ``house`` for the guard and police consoles; returns the alarm.

    ``shequ.alarms.services.sos_raise`` owns the rules: the resident must hold
    ``alarms.raise`` at the house, a second press before anyone acknowledged counts
    as a repeat, the alarm is pushed live and escalates if nobody answers."""
    from shequ.alarms.services import sos_raise

    return sos_raise(actor=actor, area=house.area, source=SOURCE, detail=detail,
                     latitude=latitude or None, longitude=longitude or None)
