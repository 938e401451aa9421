"""Shared fixtures: a small area tree with two communities, and personas.

Personas (style guide: owner, member, outsider): ``worker`` is community staff
of community A; ``outsider`` is community staff of community B and must never see
or change A's rows; plus a street cadre over both, a police officer, a resident,
and the three separated administrators.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal

import pytest

os.environ.setdefault("SHEQU_DATA_DIR", os.path.join(os.path.dirname(__file__), "var", "test"))


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    """Production Argon2 costs ~0.1 s a hash; hundreds of test users would take minutes."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["shequ.accounts.tests.hashers.CheapArgon2PasswordHasher"]
    yield


@pytest.fixture(autouse=True, scope="session")
def _audit_table_flushable_in_tests():
    """Let transactional tests (live_server, Playwright) empty the audit table.

    The audit table refuses DELETE through triggers (accounts migration 0002), so
    Django's flush after a transactional test would fail. Only here, in tests, the
    flush SQL is wrapped to lift the triggers for the flush and restore them after.
    """
    from django.db import connection

    from shequ.accounts.migrations import _audit_triggers as triggers

    ops_class = type(connection.ops)
    original = ops_class.sql_flush

    def sql_flush(self, style, tables, *args, **kwargs):
        statements = original(self, style, tables, *args, **kwargs)
        if "accounts_auditrecord" not in tables or not statements:
            return statements
        lift, restore = triggers.LIFT_FOR_FLUSH[self.connection.vendor]
        return [*lift, *statements, *restore]

    ops_class.sql_flush = sql_flush
    yield
    ops_class.sql_flush = original


# data migrations whose rows every test may rely on; their forwards() only add what is missing
DATA_MIGRATIONS = (
    "shequ.registry.migrations.0003_care_tags",
    "shequ.cases.migrations.0004_default_categories_policies_calendar",
)


@pytest.fixture(autouse=True)
def _migration_data_for_transactional_tests(request):
    """Transactional tests flush every table after they run, migration data included,
    and Django's serialized rollback clashes with the content types the flush
    re-creates. So each transactional test re-runs the data migrations first."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if transactional:
        import importlib

        from django.apps import apps

        request.getfixturevalue("transactional_db")
        for name in DATA_MIGRATIONS:
            importlib.import_module(name).forwards(apps, None)
    yield


@pytest.fixture(autouse=True)
def _reset_language():
    """A request in English leaves English active in this thread: reset it after each test."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@dataclass
class Tree:
    city: object
    district: object
    street: object
    community_a: object
    community_b: object
    complex_a: object
    complex_b: object
    building_a: object
    unit_a: object
    unit_b: object
    house_a: object
    house_a2: object
    house_b: object


@pytest.fixture
def tree(db) -> Tree:
    from shequ.registry.models import Area
    from shequ.registry.tests.factories import SYSTEM, AreaFactory, HouseFactory
    from shequ.registry import services

    city = AreaFactory(level=Area.Level.CITY, code="610100", name="西安市")
    district = AreaFactory(parent=city, level=Area.Level.DISTRICT, code="610113", name="雁塔区")
    street = AreaFactory(parent=district, level=Area.Level.STREET, code="610113001", name="小寨路街道")
    community_a = AreaFactory(parent=street, level=Area.Level.COMMUNITY, code="610113001001", name="长庆坊社区")
    community_b = AreaFactory(parent=street, level=Area.Level.COMMUNITY, code="610113001002", name="西何社区")
    complex_a = AreaFactory(parent=community_a, level=Area.Level.COMPLEX, code="CQF", name="长庆坊")
    complex_b = AreaFactory(parent=community_b, level=Area.Level.COMPLEX, code="XH", name="西何小区")
    building_a = AreaFactory(parent=complex_a, level=Area.Level.BUILDING, code="CQF-03", name="3号楼")
    building_b = AreaFactory(parent=complex_b, level=Area.Level.BUILDING, code="XH-01", name="1号楼")
    unit_a = AreaFactory(parent=building_a, level=Area.Level.UNIT, code="CQF-03-2", name="2单元")
    unit_b = AreaFactory(parent=building_b, level=Area.Level.UNIT, code="XH-01-1", name="1单元")
    house_a = HouseFactory(unit=unit_a, number="0301", floor=3, floor_area=Decimal("89.50"))
    house_a2 = HouseFactory(unit=unit_a, number="0302", floor=3, floor_area=Decimal("120.00"))
    house_b = HouseFactory(unit=unit_b, number="0101", floor=1, floor_area=Decimal("66.00"))
    del services, SYSTEM
    return Tree(city, district, street, community_a, community_b, complex_a, complex_b, building_a,
                unit_a, unit_b, house_a, house_a2, house_b)


def make_user(username: str, role: str | None, area, **extra):
    from shequ.accounts.models import RoleGrant, User

    user = User.objects.create_user(username=username, password="Correct-Horse-9", **extra)
    if role:
        RoleGrant.objects.create(user=user, role=role, area=area)
    return user


@pytest.fixture
def worker(tree):
    return make_user("worker_a", "community_staff", tree.community_a, display_name="社区A工作人员")


@pytest.fixture
def outsider(tree):
    return make_user("worker_b", "community_staff", tree.community_b, display_name="社区B工作人员")


@pytest.fixture
def street_cadre(tree):
    return make_user("street", "street_staff", tree.street)


@pytest.fixture
def police(tree):
    return make_user("police_a", "police", tree.community_a)


@pytest.fixture
def guard(tree):
    return make_user("guard_a", "guard", tree.complex_a)


@pytest.fixture
def resident_user(tree):
    return make_user("resident_a", "resident", tree.house_a.area)


@pytest.fixture
def sysadmin(tree):
    return make_user("sysadmin", "system_admin", tree.city)


@pytest.fixture
def secadmin(tree):
    return make_user("secadmin", "security_admin", tree.city)


@pytest.fixture
def auditor(tree):
    return make_user("auditor", "auditor", tree.city)


@pytest.fixture
def person_a(tree):
    from shequ.registry.tests.factories import PersonFactory

    return PersonFactory(area=tree.house_a.area, name="张三", id_number="610113198005170015", phone="13812345678")


@pytest.fixture
def person_b(tree):
    from shequ.registry.tests.factories import PersonFactory

    return PersonFactory(area=tree.house_b.area, name="李四")


def logged_in_client(user):
    """A Django test client logged in as ``user`` with the second factor passed."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.session
    session["second_factor_ok"] = True
    session.save()
    return client


@pytest.fixture
def client_for():
    return logged_in_client
