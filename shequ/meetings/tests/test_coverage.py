"""Visit coverage per building: the share of a building's houses visited in a period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shequ.meetings.models import Visit
from shequ.meetings.selectors import building_coverage
from shequ.registry.models import Area
from shequ.registry.tests.factories import AreaFactory, HouseFactory

START, END = date(2024, 4, 1), date(2024, 6, 30)


@pytest.fixture
def building_2(tree):
    """A second building of complex A with four houses and one with none."""
    building = AreaFactory(parent=tree.complex_a, level=Area.Level.BUILDING, code="CQF-05", name="5号楼")
    unit = AreaFactory(parent=building, level=Area.Level.UNIT, code="CQF-05-1", name="1单元")
    houses = [HouseFactory(unit=unit, number=f"010{n}", floor_area=Decimal("70")) for n in range(1, 5)]
    AreaFactory(parent=tree.complex_a, level=Area.Level.BUILDING, code="CQF-07", name="7号楼")
    return building, houses


def _visit(house, day):
    return Visit.objects.create(house=house, visited_on=day, visitor_name="王强")


def _by_name(rows):
    return {row.building.name: (row.houses, row.visited, row.percent) for row in rows}


def test_it_counts_each_visited_house_once(tree, building_2):
    _visit(tree.house_a, date(2024, 4, 2))
    _visit(tree.house_a, date(2024, 5, 2))  # the same house again
    building, houses = building_2
    _visit(houses[0], date(2024, 6, 30))
    rows = _by_name(building_coverage(complex=tree.complex_a, start=START, end=END))
    assert rows == {"3号楼": (2, 1, 50), "5号楼": (4, 1, 25), "7号楼": (0, 0, 0)}


def test_visits_outside_the_period_do_not_count(tree, building_2):
    _visit(tree.house_a, date(2024, 3, 31))
    _visit(tree.house_a2, date(2024, 7, 1))
    rows = _by_name(building_coverage(complex=tree.complex_a, start=START, end=END))
    assert rows["3号楼"] == (2, 0, 0)


def test_houses_of_other_complexes_stay_out(tree):
    _visit(tree.house_b, date(2024, 5, 1))
    rows = building_coverage(complex=tree.complex_a, start=START, end=END)
    assert _by_name(rows) == {"3号楼": (2, 0, 0)}
    assert rows[0].share == 0.0


def test_a_fully_visited_building_is_covered_whole(tree):
    _visit(tree.house_a, date(2024, 5, 1))
    _visit(tree.house_a2, date(2024, 5, 1))
    [row] = building_coverage(complex=tree.complex_a, start=START, end=END)
    assert (row.share, row.percent) == (1.0, 100)


def test_coverage_takes_two_queries(tree, building_2, django_assert_num_queries):
    with django_assert_num_queries(2):
        building_coverage(complex=tree.complex_a, start=START, end=END)
