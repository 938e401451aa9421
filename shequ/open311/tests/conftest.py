"""Open311 fixtures: a service account per community with its API key, the way
an upper-level platform is connected (``shequ apikey create``, then a role grant)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from shequ.accounts.audit import Actor
from shequ.cases.models import Case, Category
from shequ.cases.services.intake import case_create
from conftest import make_user
from shequ.exchange.services import apikey_create

BASE = "/open311/v2"
SYSTEM = Actor.system(via="test")


@dataclass
class Key:
    user: object
    raw: str


def _key(username: str, role: str, area) -> Key:
    user = make_user(username, role, area)
    _row, raw = apikey_create(actor=SYSTEM, name=username, user=user)
    return Key(user, raw)


@pytest.fixture
def key_a(tree) -> Key:
    """An upper-level platform's key, granted on community A."""
    return _key("api:platform_a", "community_staff", tree.community_a)


@pytest.fixture
def key_b(tree) -> Key:
    return _key("api:platform_b", "community_staff", tree.community_b)


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def garbage(db) -> Category:
    return Category.objects.get(code="garbage")


def post(client: Client, fmt: str = "json", key: Key | None = None, **fields) -> object:
    data = dict(fields)
    if key is not None:
        data.setdefault("api_key", key.raw)
    return client.post(f"{BASE}/requests.{fmt}", data)


def xml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)


def make_case(user, area, category, **extra) -> Case:
    fields = {"title": "垃圾没人清", "description": "3号楼门口垃圾堆了三天", "channel": Case.Channel.STAFF}
    fields.update(extra)
    return case_create(actor=Actor(user=user, via="test"), category=category, area=area, **fields)
