"""Household visits: recorded by team members; problems found become linked cases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.cases.models import Case
from shequ.meetings import services
from shequ.meetings.models import Visit


def test_a_team_member_records_a_visit_as_their_seat(tree, seat_a, team_user):
    visit = services.visit_record(actor=Actor(user=team_user), house=tree.house_a, visited_on=timezone.localdate(),
                                  people_met=2, notes="老人独居，身体尚可")
    visit.refresh_from_db()
    assert (visit.member, visit.visitor_name, visit.people_met) == (seat_a, "王强", 2)


def test_a_problem_found_on_a_visit_becomes_a_linked_case(tree, seat_a, team_user, category):
    problem = services.FoundProblem(title="楼道灯不亮", description="3号楼2单元3层楼道灯坏", category=category)
    visit = services.visit_record(actor=Actor(user=team_user), house=tree.house_a, visited_on=timezone.localdate(),
                                  problems=[problem])
    case = visit.cases.get()
    assert (case.channel, case.area, case.complex, case.title) == ("visit", tree.house_a.area, tree.complex_a,
                                                                   "楼道灯不亮")
    assert list(case.visits.all()) == [visit]


def test_a_problem_can_be_added_to_a_recorded_visit(tree, seat_a, team_user, category):
    visit = services.visit_record(actor=Actor(user=team_user), house=tree.house_a, visited_on=timezone.localdate())
    case = services.visit_problem_add(actor=Actor(user=team_user), visit=visit, problem=services.FoundProblem(
        title="下水道堵塞", description="", category=category))
    assert list(visit.cases.all()) == [case]
    assert case.description == "下水道堵塞"


def test_a_bad_problem_leaves_no_visit_behind(tree, seat_a, team_user, category):
    problem = services.FoundProblem(title="", description="无标题", category=category)
    with pytest.raises(ValidationError):
        services.visit_record(actor=Actor(user=team_user), house=tree.house_a, visited_on=timezone.localdate(),
                              problems=[problem])
    assert not Visit.objects.exists() and not Case.objects.exists()


def test_the_visitor_must_sit_on_that_complexs_team(tree, worker, system):
    stranger = services.team_member_appoint(actor=system, complex=tree.complex_b, role="police", name="外区民警",
                                            start_date=date(2024, 1, 1))
    with pytest.raises(ValidationError) as error:
        services.visit_record(actor=Actor(user=worker), house=tree.house_a, visited_on=timezone.localdate(),
                              member=stranger)
    assert error.value.error_dict["member"][0].code == "member_outside_complex"


def test_someone_without_a_seat_names_the_visitor_or_is_named(tree, worker):
    visit = services.visit_record(actor=Actor(user=worker), house=tree.house_a, visited_on=timezone.localdate())
    assert visit.member is None and visit.visitor_name == "社区A工作人员"


def test_a_visit_cannot_be_in_the_future(tree, seat_a, team_user):
    with pytest.raises(ValidationError):
        services.visit_record(actor=Actor(user=team_user), house=tree.house_a,
                              visited_on=timezone.localdate() + timedelta(days=1))
    assert not Visit.objects.exists()


def test_a_team_member_of_a_cannot_visit_in_b(tree, seat_a, team_user):
    with pytest.raises(PermissionDenied):
        services.visit_record(actor=Actor(user=team_user), house=tree.house_b, visited_on=timezone.localdate())
    assert not Visit.objects.exists()
