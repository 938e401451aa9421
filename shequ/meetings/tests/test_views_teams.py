"""Team pages: the roster and its history, seats appointed, replaced and ended inline."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from shequ.meetings.models import TeamMember
from shequ.meetings.tests.conftest import HTMX


def test_the_team_list_shows_the_complexes_of_the_users_area(tree, worker, client_for):
    body = client_for(worker).get(reverse("meetings:team_list")).content.decode()
    assert "长庆坊" in body and "西何小区" not in body


def test_the_team_page_shows_roster_vacancies_and_history(tree, seat_a, worker, client_for, system):
    from shequ.meetings import services

    services.team_member_replace(actor=system, member=seat_a, name="李明", start_date=date(2024, 7, 1))
    body = client_for(worker).get(reverse("meetings:team_detail", args=[tree.complex_a.pk])).content.decode()
    roster, history = body.split("<h2>任职记录</h2>", 1)
    assert "李明" in roster and "王强" not in roster and "空缺" in roster
    assert "王强" in history and "2024-07-01" in history


def test_it_appoints_a_seat_inline(tree, worker, client_for):
    response = client_for(worker).post(reverse("meetings:seat_appoint", args=[tree.complex_a.pk]), {
        "role": "police", "name": "刘警官", "title": "社区民警", "start_date": "2024-02-01"}, **HTMX)
    assert response["HX-Retarget"] == "#roster"
    assert "刘警官" in response.content.decode()
    assert TeamMember.objects.get(role="police").team.complex == tree.complex_a


def test_a_taken_seat_is_reported_next_to_the_role(tree, seat_a, worker, client_for):
    response = client_for(worker).post(reverse("meetings:seat_appoint", args=[tree.complex_a.pk]), {
        "role": "service_leader", "name": "赵六", "start_date": "2024-02-01"}, **HTMX)
    assert "请使用“更换”" in response.content.decode().split('id="field-role"')[1]
    assert TeamMember.objects.count() == 1


def test_it_replaces_a_seat_inline(tree, seat_a, worker, client_for):
    response = client_for(worker).post(reverse("meetings:seat_replace", args=[seat_a.pk]), {
        "name": "李明", "start_date": "2024-07-01"}, **HTMX)
    assert response.status_code == 200
    seat_a.refresh_from_db()
    assert seat_a.end_date == date(2024, 7, 1)
    assert TeamMember.objects.get(end_date__isnull=True).name == "李明"


def test_it_ends_a_seat_inline(tree, seat_a, worker, client_for):
    client_for(worker).post(reverse("meetings:seat_end", args=[seat_a.pk]), {"end_date": "2024-03-01"}, **HTMX)
    seat_a.refresh_from_db()
    assert seat_a.end_date == date(2024, 3, 1)


def test_the_outsider_cannot_see_or_change_as_team(tree, seat_a, outsider, client_for):
    client = client_for(outsider)
    assert client.get(reverse("meetings:team_detail", args=[tree.complex_a.pk])).status_code == 404
    assert client.post(reverse("meetings:seat_appoint", args=[tree.complex_a.pk]), {
        "role": "police", "name": "越权", "start_date": "2024-02-01"}).status_code == 404
    assert client.post(reverse("meetings:seat_replace", args=[seat_a.pk]), {
        "name": "越权", "start_date": "2024-07-01"}).status_code == 404
    assert client.post(reverse("meetings:seat_end", args=[seat_a.pk]), {"end_date": "2024-03-01"}).status_code == 404
    seat_a.refresh_from_db()
    assert seat_a.end_date is None and TeamMember.objects.count() == 1
    assert "长庆坊" not in client.get(reverse("meetings:team_list")).content.decode()


def test_a_team_member_of_a_does_not_see_bs_team(tree, team_user, client_for):
    client = client_for(team_user)
    assert client.get(reverse("meetings:team_detail", args=[tree.complex_a.pk])).status_code == 200
    assert client.get(reverse("meetings:team_detail", args=[tree.complex_b.pk])).status_code == 404


def test_a_viewer_without_the_meetings_right_cannot_appoint(tree, police, client_for):
    client = client_for(police)
    assert client.get(reverse("meetings:team_detail", args=[tree.complex_a.pk])).status_code == 200
    response = client.post(reverse("meetings:seat_appoint", args=[tree.complex_a.pk]), {
        "role": "police", "name": "刘警官", "start_date": "2024-02-01"})
    assert response.status_code == 403
    assert not TeamMember.objects.exists()


def test_the_nav_links_to_the_teams(tree, worker, client_for):
    body = client_for(worker).get(reverse("meetings:team_list")).content.decode()
    assert reverse("meetings:meeting_list") in body and reverse("meetings:common_problem_list") in body


def test_the_forms_open_for_a_manager(tree, seat_a, worker, client_for):
    client = client_for(worker)
    for url in (reverse("meetings:seat_appoint", args=[tree.complex_a.pk]),
                reverse("meetings:seat_replace", args=[seat_a.pk]),
                reverse("meetings:meeting_schedule", args=[tree.complex_a.pk]),
                reverse("meetings:visit_create", args=[tree.complex_a.pk]),
                reverse("meetings:visit_list"), reverse("meetings:meeting_list"),
                reverse("meetings:common_problem_list")):
        response = client.get(url, **HTMX)
        assert response.status_code == 200, url
    assert "3号楼" in client.get(reverse("meetings:visit_create", args=[tree.complex_a.pk])).content.decode()
