"""Resident fixtures: a family in house A (the phone owner and a child), a
resident of house B, the in-memory SMS backend, and doors with face recognition."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.test import Client

from shequ.access.models import Device
from shequ.access.services import credential_issue, device_register
from shequ.registry.models import Residence
from shequ.registry.services import residence_start
from shequ.registry.tests.factories import SYSTEM, PersonFactory
from shequ.residents.sms import MemoryBackend

PHONE_A = "13812345678"
PHONE_B = "13900001111"
UNKNOWN_PHONE = "13700009999"


@pytest.fixture(autouse=True)
def sms(settings) -> list:
    """Messages sent during the test (the in-memory backend, emptied first)."""
    settings.SHEQU_SMS_BACKEND = "shequ.residents.sms.MemoryBackend"
    MemoryBackend.outbox.clear()
    yield MemoryBackend.outbox
    MemoryBackend.outbox.clear()


def move_in(person, house, relation=Residence.Relation.OWNER) -> Residence:
    return residence_start(actor=SYSTEM, person=person, house=house, relation=relation,
                           population_type=Residence.PopulationType.RESIDENT)


@dataclass
class Family:
    owner: object  # person_a, phone PHONE_A
    child: object
    house: object


@pytest.fixture
def family(tree, person_a) -> Family:
    move_in(person_a, tree.house_a)
    child = PersonFactory(area=tree.house_a.area, name="张小明")
    move_in(child, tree.house_a, Residence.Relation.FAMILY)
    return Family(person_a, child, tree.house_a)


@pytest.fixture
def neighbour(tree):
    """Someone living in house B (another community)."""
    person = PersonFactory(area=tree.house_b.area, name="李四", phone=PHONE_B)
    move_in(person, tree.house_b)
    return person


def last_code(outbox) -> str:
    return re.search(r"\d{6}", outbox[-1].message).group(0)


def request_code(client: Client, phone: str):
    return client.post("/me/login/", {"phone": phone})


def log_in(client: Client, outbox, phone: str = PHONE_A) -> Client:
    request_code(client, phone)
    response = client.post("/me/login/code/", {"code": last_code(outbox)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


@pytest.fixture
def resident_client(family, sms) -> Client:
    """Logged in through the code flow as the owner of house A."""
    return log_in(Client(), sms)


@dataclass
class Doors:
    gate_a: Device
    unit_door_a: Device
    gate_b: Device
    no_face_gate_a: Device


@pytest.fixture
def doors(tree) -> Doors:
    def register(device_id, kind, area, **extra):
        return device_register(actor=SYSTEM, device_id=device_id, name=device_id, kind=kind, area=area,
                               **extra).device

    return Doors(
        gate_a=register("cqf-gate-01", Device.Kind.GATE, tree.complex_a, credential_kinds=["card", "qr", "face"]),
        unit_door_a=register("cqf-03-2-door", Device.Kind.UNIT_DOOR, tree.unit_a,
                             credential_kinds=["card", "pin", "face"]),
        gate_b=register("xh-gate-01", Device.Kind.GATE, tree.complex_b, credential_kinds=["card", "face"]),
        no_face_gate_a=register("cqf-gate-02", Device.Kind.GATE, tree.complex_a, credential_kinds=["card"]),
    )


@pytest.fixture
def carded(family, doors):
    """The owner of house A holds a card (a non-face way through every door)."""
    credential_issue(actor=SYSTEM, person=family.owner, kind="card", value="04A1B2C3")
    return family.owner
