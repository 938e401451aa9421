"""Which group carries what happens where, and which groups a console joins."""

from __future__ import annotations

import pytest

from conftest import make_user
from shequ.alarms import broadcast, selectors

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("area_name", ["complex_a", "building_a", "unit_a"])
def test_it_sends_everything_below_a_complex_to_the_complex_group(tree, area_name):
    assert broadcast.home_group(getattr(tree, area_name)) == f"alarms.area.{tree.complex_a.pk}"


def test_it_sends_a_house_to_its_complex_group(tree):
    assert broadcast.home_group(tree.house_b.area) == f"alarms.area.{tree.complex_b.pk}"


def test_it_gives_a_node_above_complex_level_its_own_group(tree):
    assert broadcast.home_group(tree.community_a) == f"alarms.area.{tree.community_a.pk}"


def test_a_guards_console_joins_its_complex(guard, tree):
    assert selectors.console_groups(user=guard) == [f"alarms.area.{tree.complex_a.pk}"]


def test_a_building_guards_console_joins_the_complex_of_the_building(tree):
    building_guard = make_user("guard_bld", "guard", tree.building_a)

    assert selectors.console_groups(user=building_guard) == [f"alarms.area.{tree.complex_a.pk}"]
    assert selectors.console_paths(user=building_guard) == [tree.building_a.path]


def test_a_community_police_console_joins_the_community_and_its_complexes(police, tree):
    assert selectors.console_groups(user=police) == sorted(
        [f"alarms.area.{tree.community_a.pk}", f"alarms.area.{tree.complex_a.pk}"])


@pytest.mark.parametrize("persona", ["worker", "resident_user", "auditor", "sysadmin"])
def test_users_without_the_alarms_role_join_nothing(request, persona):
    user = request.getfixturevalue(persona)

    assert selectors.console_groups(user=user) == []
