"""The counts the figures pages read: meetings held and visits made per complex."""

from __future__ import annotations

from datetime import date

from shequ.meetings.models import Meeting, Visit
from shequ.meetings.selectors import meetings_held_counts, visits_made_counts


def test_meetings_held_are_counted_per_complex_in_one_query(tree, django_assert_num_queries):
    for day in (date(2024, 5, 6), date(2024, 5, 13)):
        Meeting.objects.create(kind="weekly", area=tree.complex_a, held_on=day, is_held=True)
    Meeting.objects.create(kind="weekly", area=tree.complex_a, held_on=date(2024, 5, 20))  # not held
    Meeting.objects.create(kind="weekly", area=tree.complex_b, held_on=date(2024, 5, 7), is_held=True)
    Meeting.objects.create(kind="weekly", area=tree.complex_b, held_on=date(2024, 6, 7), is_held=True)  # later
    Meeting.objects.create(kind="street_joint", area=tree.street, held_on=date(2024, 5, 8), is_held=True)
    with django_assert_num_queries(1):
        counts = meetings_held_counts(area=tree.street, start=date(2024, 5, 1), end=date(2024, 5, 31))
    assert counts == {tree.complex_a.pk: 2, tree.complex_b.pk: 1}
    assert meetings_held_counts(area=tree.community_b, start=date(2024, 5, 1), end=date(2024, 5, 31)) == {
        tree.complex_b.pk: 1}


def test_visits_made_are_counted_per_complex(tree):
    for house in (tree.house_a, tree.house_a2, tree.house_b):
        Visit.objects.create(house=house, visited_on=date(2024, 5, 2), visitor_name="王强")
    Visit.objects.create(house=tree.house_a, visited_on=date(2024, 4, 30), visitor_name="王强")
    counts = visits_made_counts(area=tree.street, start=date(2024, 5, 1), end=date(2024, 5, 31))
    assert counts == {tree.complex_a.pk: 2, tree.complex_b.pk: 1}
