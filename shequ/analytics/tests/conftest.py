"""Figures fixtures: cadres at each level, and random case histories written in
bulk (figures are about many cases; the case services are exercised in the
incremental tests, where each step must mark its bucket)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conftest import make_user

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def city_cadre(tree):
    return make_user("city_cadre", "district_staff", tree.city)


@pytest.fixture
def district_cadre(tree):
    return make_user("district_cadre", "district_staff", tree.district)


@pytest.fixture
def complex_team(tree):
    """A "2+4" member of complex A: sees complex A's figures and nothing above."""
    return make_user("team_a", "team_member", tree.complex_a)


@dataclass
class Places:
    """Where random cases may sit: complex A's own node, its building and houses; complex B's unit and house."""

    areas: list


@pytest.fixture
def places(tree) -> Places:
    return Places([tree.complex_a, tree.building_a, tree.house_a.area, tree.house_a2.area, tree.unit_b,
                   tree.house_b.area, tree.complex_b])


def _complex_of(area):
    from shequ.registry.models import Area

    return Area.objects.get(pk__in=area.ancestor_ids, level=Area.Level.COMPLEX)


@pytest.fixture
def random_cases(places):
    """``random_cases(count, seed, start, end)``: cases received between two moments,
    in every status, some resolved late, some rated, some escalated, some merged.
    Times carry microseconds on purpose (handling time sums whole seconds)."""
    from shequ.cases.models import Case, Category, Channel, Level, Status

    categories = list(Category.objects.all())
    complexes = {area.pk: _complex_of(area) for area in places.areas}
    counter = iter(range(1, 10**7))

    def make(count: int, seed: int, start: datetime, end: datetime) -> list[Case]:
        rng = random.Random(seed)
        span = int((end - start).total_seconds())
        cases = []
        for _ in range(count):
            area = rng.choice(places.areas)
            received = start + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(10**6))
            status = rng.choice(list(Status.values))
            due = None if rng.random() < 0.1 else received + timedelta(hours=rng.choice([2, 24, 72, 168]))
            resolved = confirmed = satisfaction = None
            if status in (Status.RESOLVED, Status.CONFIRMED, Status.CLOSED) and rng.random() < 0.9:
                resolved = received + timedelta(seconds=rng.randrange(1, 15 * 86400), microseconds=rng.randrange(10**6))
            if status == Status.CONFIRMED and resolved is not None:
                confirmed = resolved + timedelta(hours=1)
                satisfaction = rng.randint(1, 5)
            level = rng.choices(Level.values, weights=[6, 3, 1])[0]
            cases.append(Case(
                number=f"T{seed:04d}{next(counter):07d}", title="随机事件", description="测试数据",
                category=rng.choice(categories), channel=rng.choice(Channel.values), area=area,
                complex=complexes[area.pk], status=status, level=level, received_at=received, due_at=due,
                resolved_at=resolved, confirmed_at=confirmed, satisfaction=satisfaction,
            ))
        created = Case.objects.bulk_create(cases)
        merged = [case for case in created if case.status == Status.MERGED]
        for case in merged:  # a merged case points at a live one of its complex, like case_merge leaves it
            target = next((other for other in created if other.complex_id == case.complex_id
                           and other.status != Status.MERGED), None)
            case.merged_into = target
        Case.objects.bulk_update(merged, ["merged_into"])
        return created

    return make


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)
