"""Visit pages: recording a visit with the house picked inside the complex, its
cases, the coverage page, and nothing of A for the outsider."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from shequ.meetings.models import Visit
from shequ.meetings.tests.conftest import HTMX


def _data(tree, **extra):
    return {"building": tree.building_a.pk, "house": tree.house_a.pk, "visited_on": timezone.localdate().isoformat(),
            "people_met": 2, "notes": "独居老人", "problem_urgency": "normal", **extra}


def test_the_house_select_lists_the_buildings_houses(tree, team_user, seat_a, client_for):
    response = client_for(team_user).get(reverse("meetings:visit_houses", args=[tree.complex_a.pk]),
                                          {"building": tree.building_a.pk}, **HTMX)
    body = response.content.decode()
    assert "0301" in body and "0302" in body and "2单元" in body


def test_a_team_member_records_a_visit_with_a_problem(tree, team_user, seat_a, category, client_for):
    response = client_for(team_user).post(reverse("meetings:visit_create", args=[tree.complex_a.pk]), _data(
        tree, problem_title="楼道灯不亮", problem_category=category.pk, problem_description="3层"))
    visit = Visit.objects.get()
    assert response["Location"] == reverse("meetings:visit_detail", args=[visit.pk])
    assert visit.member == seat_a
    case = visit.cases.get()
    assert case.channel == "visit"
    body = client_for(team_user).get(response["Location"]).content.decode()
    assert case.number in body


def test_a_problem_without_a_category_is_refused_on_the_form(tree, team_user, seat_a, client_for):
    response = client_for(team_user).post(reverse("meetings:visit_create", args=[tree.complex_a.pk]),
                                          _data(tree, problem_title="楼道灯不亮"))
    assert "请选择问题分类" in response.content.decode()
    assert not Visit.objects.exists()


def test_a_house_of_another_complex_is_not_a_valid_choice(tree, team_user, seat_a, client_for):
    client_for(team_user).post(reverse("meetings:visit_create", args=[tree.complex_a.pk]),
                               _data(tree, house=tree.house_b.pk))
    assert not Visit.objects.exists()


def test_a_problem_is_added_to_a_visit_inline(tree, team_user, seat_a, category, client_for):
    client = client_for(team_user)
    client.post(reverse("meetings:visit_create", args=[tree.complex_a.pk]), _data(tree))
    visit = Visit.objects.get()
    response = client.post(reverse("meetings:visit_problem_add", args=[visit.pk]), {
        "problem_title": "外墙脱落", "problem_category": category.pk, "problem_urgency": "urgent"}, **HTMX)
    assert "外墙脱落" in response.content.decode()
    assert visit.cases.get().urgency == "urgent"


def test_the_coverage_page_shows_each_building(tree, team_user, seat_a, client_for):
    Visit.objects.create(house=tree.house_a, visited_on=timezone.localdate(), visitor_name="王强")
    body = client_for(team_user).get(reverse("meetings:coverage", args=[tree.complex_a.pk])).content.decode()
    assert "3号楼" in body and "50%" in body


def test_the_outsider_cannot_see_or_add_to_as_visits(tree, seat_a, team_user, outsider, category, client_for):
    visit = Visit.objects.create(house=tree.house_a, visited_on=timezone.localdate(), visitor_name="王强")
    client = client_for(outsider)
    assert client.get(reverse("meetings:visit_detail", args=[visit.pk])).status_code == 404
    assert client.post(reverse("meetings:visit_problem_add", args=[visit.pk]), {
        "problem_title": "越权", "problem_category": category.pk, "problem_urgency": "normal"}).status_code == 404
    assert client.post(reverse("meetings:visit_create", args=[tree.complex_a.pk]), _data(tree)).status_code == 404
    assert client.get(reverse("meetings:coverage", args=[tree.complex_a.pk])).status_code == 404
    assert "王强" not in client.get(reverse("meetings:visit_list")).content.decode()
    assert Visit.objects.count() == 1 and not visit.cases.exists()
