"""Query counts of the pages and counts that grow with data: they must not grow with it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shequ.notices import selectors
from shequ.registry.models import Area
from shequ.registry.tests.factories import AreaFactory, HouseFactory

pytestmark = pytest.mark.django_db


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def test_read_counts_take_three_queries_however_many_buildings(published, tree, django_assert_num_queries):
    for number in range(4, 7):
        building = AreaFactory(parent=tree.complex_a, level=Area.Level.BUILDING, code=f"CQF-0{number}",
                               name=f"{number}号楼")
        unit = AreaFactory(parent=building, level=Area.Level.UNIT, code=f"CQF-0{number}-1", name="1单元")
        HouseFactory(unit=unit, number="0101")
    notice = published()
    with django_assert_num_queries(3):  # GROUP BY, the buildings, their ancestors' names
        counts = selectors.read_counts(notice=notice)
    assert len(counts.buildings) == 4 and counts.recipients == 5


def test_the_unread_badge_is_two_queries(published, resident_user, django_assert_num_queries):
    published(), published(title="电梯检修")
    with django_assert_num_queries(2):  # my houses, one COUNT
        assert selectors.unread_count_for(resident_user) == 2


def test_the_resident_list_does_not_grow_with_the_notices(published, resident_user, client_for):
    client = client_for(resident_user)
    url = reverse("notices:my_notices")
    published()
    one = queries(lambda: client.get(url))
    published(title="电梯检修"), published(title="燃气安全")
    assert queries(lambda: client.get(url)) == one


def test_the_staff_list_does_not_grow_with_the_notices(draft, worker, client_for):
    client = client_for(worker)
    url = reverse("notices:notice_list")
    draft()
    one = queries(lambda: client.get(url))
    draft(title="二"), draft(title="三")
    assert queries(lambda: client.get(url)) == one
