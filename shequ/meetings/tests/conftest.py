"""Fixtures of the meetings tests: categories, cases written straight to the table,
two more complexes so a street has four, and a "2+4" member of complex A."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from conftest import make_user

_numbers = itertools.count(1)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def category(db):
    from shequ.cases.models import Category

    return Category.objects.create(code="t-sanitation", name="测试环境卫生", group="sanitation")


@pytest.fixture
def other_category(db):
    from shequ.cases.models import Category

    return Category.objects.create(code="t-parking", name="测试停车", group="other")


def make_case(complex, category, *, area=None, received_at: datetime | None = None, **fields):
    """A case row as the cases app would leave it, without going through intake."""
    from shequ.cases.models import Case

    now = timezone.now()
    received_at = received_at or now - timedelta(hours=1)
    values = {
        "number": f"T{next(_numbers):08d}", "title": fields.pop("title", "楼道堆物"), "description": "楼道堆放杂物",
        "category": category, "channel": "staff", "area": area or complex, "complex": complex,
        "received_at": received_at, "due_at": received_at + timedelta(days=7), **fields,
    }
    return Case.objects.create(**values)


@pytest.fixture
def more_complexes(tree):
    """Complexes C (community A) and D (community B): four complexes in the street."""
    from shequ.registry.models import Area
    from shequ.registry.tests.factories import AreaFactory

    complex_c = AreaFactory(parent=tree.community_a, level=Area.Level.COMPLEX, code="CQF2", name="长庆坊二期")
    complex_d = AreaFactory(parent=tree.community_b, level=Area.Level.COMPLEX, code="XH2", name="西何二期")
    return complex_c, complex_d


@pytest.fixture
def other_street(tree):
    """A second street of the district with one complex."""
    from shequ.registry.models import Area
    from shequ.registry.tests.factories import AreaFactory

    street = AreaFactory(parent=tree.district, level=Area.Level.STREET, code="610113002", name="大雁塔街道")
    community = AreaFactory(parent=street, level=Area.Level.COMMUNITY, code="610113002001", name="雁南社区")
    complex = AreaFactory(parent=community, level=Area.Level.COMPLEX, code="YN", name="雁南小区")
    return street, complex


@pytest.fixture
def team_user(tree):
    """A "2+4" member granted on complex A only."""
    return make_user("team_a", "team_member", tree.complex_a, display_name="A小区服务长")


@pytest.fixture
def system():
    from shequ.accounts.audit import Actor

    return Actor.system(via="test")


@pytest.fixture
def seat_a(tree, system, team_user):
    """The service leader of complex A, linked to ``team_user``."""
    from datetime import date

    from shequ.meetings import services

    return services.team_member_appoint(actor=system, complex=tree.complex_a, role="service_leader", name="王强",
                                        start_date=date(2024, 1, 1), user=team_user)
