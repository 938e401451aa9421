"""Access fixtures: doors in complexes A and B, and a resident of house A with a card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from django.utils import timezone

from shequ.access.models import Device
from shequ.access.services import credential_issue, device_register
from shequ.registry.models import Residence
from shequ.registry.services import residence_start
from shequ.registry.tests.factories import SYSTEM

CARD_A = "04A1B2C3"


@dataclass
class Doors:
    gate_a: Device
    unit_door_a: Device
    barrier_a: Device
    gate_b: Device
    secrets: dict[str, str]


def _register(device_id: str, kind: str, area, **extra) -> tuple[Device, str]:
    registered = device_register(actor=SYSTEM, device_id=device_id, name=device_id, kind=kind, area=area, **extra)
    return registered.device, registered.secret


@pytest.fixture
def doors(tree) -> Doors:
    secrets = {}
    made = {}
    for key, device_id, kind, area in [
        ("gate_a", "cqf-gate-01", Device.Kind.GATE, tree.complex_a),
        ("unit_door_a", "cqf-03-2-door", Device.Kind.UNIT_DOOR, tree.unit_a),
        ("barrier_a", "cqf-barrier-01", Device.Kind.VEHICLE_BARRIER, tree.complex_a),
        ("gate_b", "xh-gate-01", Device.Kind.GATE, tree.complex_b),
    ]:
        made[key], secrets[device_id] = _register(device_id, kind, area)
    return Doors(**made, secrets=secrets)


def move_in(person, house, *, relation=Residence.Relation.OWNER, **extra) -> Residence:
    return residence_start(actor=SYSTEM, person=person, house=house, relation=relation,
                           population_type=Residence.PopulationType.RESIDENT, **extra)


@pytest.fixture
def resident(tree, doors, person_a):
    """person_a living in house_a with a card."""
    move_in(person_a, tree.house_a)
    credential_issue(actor=SYSTEM, person=person_a, kind="card", value=CARD_A)
    return person_a


def at(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


def people_on(access_list: dict) -> set[int]:
    return {entry["person_id"] for entry in access_list["people"]}
