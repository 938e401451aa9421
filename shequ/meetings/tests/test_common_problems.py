"""The common-problem proposal: the same category rising across many complexes of
a street or district in a period becomes one item for that level's agenda."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.meetings import services
from shequ.meetings.models import CommonProblem, Meeting
from shequ.meetings.tests.conftest import make_case

START, END = date(2024, 5, 1), date(2024, 5, 31)  # previous period: 2024-03-31 .. 2024-04-30


def _at(day: date, hour: int = 10):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def complexes(tree, more_complexes):
    return [tree.complex_a, tree.complex_b, *more_complexes]


def _cases(complexes, category, day, per_complex=1, **fields):
    return [make_case(complex, category, received_at=_at(day), **fields)
            for complex in complexes for _n in range(per_complex)]


def _propose(tree, **options):
    return services.common_problems_propose(level_area=tree.street, period_start=START, period_end=END, **options)


def test_a_category_rising_across_three_complexes_is_proposed_with_its_cases(tree, complexes, category):
    _cases(complexes[:1], category, date(2024, 4, 10))  # one case last period
    now = _cases(complexes[:3], category, date(2024, 5, 10))
    [problem] = _propose(tree)
    assert (problem.area, problem.category, problem.status) == (tree.street, category, "proposed")
    assert (problem.complexes_count, problem.cases_count, problem.previous_count) == (3, 3, 1)
    assert sorted(problem.cases.values_list("pk", flat=True)) == sorted(case.pk for case in now)
    assert "测试环境卫生" in problem.title


def test_proposing_twice_keeps_one_problem(tree, complexes, category):
    _cases(complexes[:3], category, date(2024, 5, 10))
    assert len(_propose(tree)) == 1
    later = make_case(complexes[3], category, received_at=_at(date(2024, 5, 30)))
    assert _propose(tree) == []
    problem = CommonProblem.objects.get()
    assert problem.cases_count == 4 and problem.complexes_count == 4
    assert problem.cases.filter(pk=later.pk).exists()


def test_fewer_complexes_than_the_threshold_propose_nothing(tree, complexes, category):
    _cases(complexes[:2], category, date(2024, 5, 10), per_complex=5)
    assert _propose(tree) == []
    assert not CommonProblem.objects.exists()


def test_falling_counts_propose_nothing(tree, complexes, category):
    _cases(complexes, category, date(2024, 4, 10), per_complex=2)  # 8 last period
    _cases(complexes, category, date(2024, 5, 10))  # 4 now, in all four complexes
    assert _propose(tree) == []


def test_a_rise_below_the_ratio_proposes_nothing(tree, complexes, category):
    _cases(complexes[:3], category, date(2024, 4, 10))  # 3 last period
    _cases(complexes[:4], category, date(2024, 5, 10))  # 4 now: x1.33
    assert _propose(tree) == []
    assert len(_propose(tree, min_rise=Decimal("1.3"))) == 1


def test_cases_outside_the_area_and_merged_duplicates_do_not_count(tree, complexes, category, other_street):
    _street, elsewhere = other_street
    _cases(complexes[:2], category, date(2024, 5, 10))
    make_case(elsewhere, category, received_at=_at(date(2024, 5, 10)))
    make_case(complexes[2], category, received_at=_at(date(2024, 5, 10)), status="merged")
    assert _propose(tree) == []


def test_each_category_is_judged_on_its_own(tree, complexes, category, other_category):
    _cases(complexes[:3], category, date(2024, 5, 10))
    _cases(complexes[:1], other_category, date(2024, 5, 10), per_complex=4)
    assert [problem.category for problem in _propose(tree)] == [category]


def test_the_last_day_of_the_period_counts_until_midnight(tree, complexes, category):
    _cases(complexes[:3], category, date(2024, 5, 31))
    make_case(complexes[3], category, received_at=_at(date(2024, 6, 1), hour=0))
    [problem] = _propose(tree)
    assert problem.cases_count == 3


def test_a_district_gets_its_own_proposal(tree, complexes, category):
    _cases(complexes[:3], category, date(2024, 5, 10))
    [problem] = services.common_problems_propose(level_area=tree.district, period_start=START, period_end=END)
    assert problem.area == tree.district


def test_an_overlapping_period_is_not_proposed_again(tree, complexes, category):
    _cases(complexes[:3], category, date(2024, 5, 20))
    assert len(_propose(tree)) == 1
    again = services.common_problems_propose(level_area=tree.street, period_start=date(2024, 5, 15),
                                             period_end=date(2024, 6, 14))
    assert again == [] and CommonProblem.objects.count() == 1


def test_a_dismissed_problem_is_not_refreshed_or_proposed_again(tree, complexes, category, street_cadre):
    _cases(complexes[:3], category, date(2024, 5, 10))
    [problem] = _propose(tree)
    services.common_problem_dismiss(actor=Actor(user=street_cadre), problem=problem)
    make_case(complexes[3], category, received_at=_at(date(2024, 5, 11)))
    assert _propose(tree) == []
    problem.refresh_from_db()
    assert problem.status == "dismissed" and problem.cases_count == 3


def test_proposals_are_made_for_streets_and_districts_only(tree, category):
    with pytest.raises(ValidationError):
        services.common_problems_propose(level_area=tree.community_a, period_start=START, period_end=END)
    with pytest.raises(ValidationError):
        services.common_problems_propose(level_area=tree.street, period_start=END, period_end=START)


def test_accepting_puts_it_on_the_next_street_meeting(tree, complexes, category, street_cadre):
    _cases(complexes[:3], category, date(2024, 5, 10))
    [problem] = _propose(tree)
    upcoming = Meeting.objects.create(kind="street_joint", area=tree.street, held_on=timezone.localdate())
    services.common_problem_accept(actor=Actor(user=street_cadre), problem=problem)
    problem.refresh_from_db()
    assert problem.status == "accepted"
    assert list(upcoming.agenda.values_list("common_problem_id", "reason")) == [(problem.pk, "common_problem")]


def test_a_community_worker_cannot_decide_on_a_street_problem(tree, complexes, category, worker):
    _cases(complexes[:3], category, date(2024, 5, 10))
    [problem] = _propose(tree)
    with pytest.raises(PermissionDenied):
        services.common_problem_accept(actor=Actor(user=worker), problem=problem)
    problem.refresh_from_db()
    assert problem.status == "proposed"


def test_the_command_proposes_for_every_street_and_district(tree, complexes, category):
    _cases(complexes[:3], category, date(2024, 5, 10))
    out = StringIO()
    call_command("meetings_propose_common_problems", "--start", "2024-05-01", "--end", "2024-05-31", stdout=out)
    assert CommonProblem.objects.filter(area=tree.street).count() == 1
    assert CommonProblem.objects.filter(area=tree.district).count() == 1
    assert "2 common problems proposed" in out.getvalue()
    call_command("meetings_propose_common_problems", "--start", "2024-05-01", "--end", "2024-05-31", stdout=out)
    assert CommonProblem.objects.count() == 2


def test_the_command_defaults_to_the_last_complete_month():
    from shequ.meetings.management.commands.meetings_propose_common_problems import last_complete_period

    assert last_complete_period("month", date(2024, 3, 15)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert last_complete_period("week", date(2024, 3, 13)) == (date(2024, 3, 4), date(2024, 3, 10))
