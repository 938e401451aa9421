"""Common-problem pages: the street sees its proposals and decides on them inline."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from shequ.meetings.models import CommonProblem
from shequ.meetings.tests.conftest import HTMX, make_case


@pytest.fixture
def problem(tree, category):
    problem = CommonProblem.objects.create(area=tree.street, category=category, period_start=date(2024, 5, 1),
                                           period_end=date(2024, 5, 31), title="小寨路街道：楼道堆物上升",
                                           complexes_count=3, cases_count=3, previous_count=0)
    problem.cases.add(make_case(tree.complex_a, category, title="楼道堆物A"))
    return problem


def test_the_street_sees_and_accepts_a_proposal(problem, street_cadre, client_for):
    client = client_for(street_cadre)
    assert "楼道堆物上升" in client.get(reverse("meetings:common_problem_list")).content.decode()
    assert "楼道堆物A" in client.get(reverse("meetings:common_problem_detail", args=[problem.pk])).content.decode()
    response = client.post(reverse("meetings:common_problem_accept", args=[problem.pk]), **HTMX)
    problem.refresh_from_db()
    assert problem.status == "accepted" and "已列入议程" in response.content.decode()


def test_the_street_dismisses_a_proposal(problem, street_cadre, client_for):
    client_for(street_cadre).post(reverse("meetings:common_problem_dismiss", args=[problem.pk]), **HTMX)
    problem.refresh_from_db()
    assert problem.status == "dismissed"


def test_a_community_does_not_see_the_streets_problems(problem, worker, client_for):
    client = client_for(worker)
    assert client.get(reverse("meetings:common_problem_detail", args=[problem.pk])).status_code == 404
    assert client.post(reverse("meetings:common_problem_accept", args=[problem.pk])).status_code == 404
    problem.refresh_from_db()
    assert problem.status == "proposed"
