"""Fixtures of the visitors tests: doors in complexes A and B (and in a second
building of A), residents of two households of A and one of B, a guard of A,
and a pass issued by the resident of house A."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from conftest import make_user

_event_ids = itertools.count(1)


@dataclass
class Doors:
    gate_a: object
    unit_door_a: object
    other_building_door_a: object
    gate_b: object


@pytest.fixture
def doors(tree) -> Doors:
    from shequ.access.services import device_register
    from shequ.registry.models import Area
    from shequ.registry.tests.factories import SYSTEM, AreaFactory

    building_a2 = AreaFactory(parent=tree.complex_a, level=Area.Level.BUILDING, code="CQF-05", name="5号楼")
    unit_a2 = AreaFactory(parent=building_a2, level=Area.Level.UNIT, code="CQF-05-1", name="1单元")
    made = {}
    for key, device_id, kind, area in [
        ("gate_a", "cqf-gate-01", "gate", tree.complex_a),
        ("unit_door_a", "cqf-03-2-door", "unit_door", tree.unit_a),
        ("other_building_door_a", "cqf-05-1-door", "unit_door", unit_a2),
        ("gate_b", "xh-gate-01", "gate", tree.complex_b),
    ]:
        made[key] = device_register(actor=SYSTEM, device_id=device_id, name=device_id, kind=kind, area=area).device
    return Doors(**made)


@pytest.fixture
def neighbour(tree):
    """A resident of house A2: same building as house A, another household."""
    return make_user("resident_a2", "resident", tree.house_a2.area)


@pytest.fixture
def resident_b(tree):
    return make_user("resident_b", "resident", tree.house_b.area)


@pytest.fixture
def guard_b(tree):
    return make_user("guard_b", "guard", tree.complex_b)


def actor(user):
    from shequ.accounts.audit import Actor

    return Actor(user=user, ip="127.0.0.1", via="test")


def issue(user, house, doors, *, now: datetime | None = None, **overrides):
    """A pass issued through the service, valid from an hour ago for four hours by default."""
    from shequ.visitors.services import pass_issue

    now = now or timezone.now()
    kwargs = {"visitor_name": "王访客", "phone": "13912345678", "plate": "陕A12345",
              "valid_from": now - timedelta(hours=1), "valid_until": now + timedelta(hours=3),
              "max_entries": 2, "doors": doors}
    kwargs.update(overrides)
    return pass_issue(actor=actor(user), house=house, now=now, **kwargs)


@pytest.fixture
def visitor_pass(tree, doors, resident_user):
    return issue(resident_user, tree.house_a.area, [doors.gate_a, doors.unit_door_a])


def pass_event(device, visitor_pass, *, kind: str = "pass", direction: str = "in",
               occurred_at: datetime | None = None, event_id: str | None = None):
    """An EventRow as the gateway hands it to the ingest."""
    from shequ.access.services.ingest import EventRow

    return EventRow(device_pk=device.pk, event_id=event_id or f"pv-{next(_event_ids)}", kind=kind,
                    occurred_at=occurred_at or timezone.now(), credential_kind="pass", direction=direction,
                    reason="" if kind == "pass" else "revoked", pass_id=visitor_pass.pass_id)


def ingest(*rows):
    """Store events through the gateway's ingest (which counts pass uses); the stored AccessEvents."""
    from shequ.access.models import AccessEvent
    from shequ.access.services.ingest import events_store

    stored = events_store(list(rows))
    return list(AccessEvent.objects.filter(pk__in=[item.pk for item in stored]).order_by("pk"))
