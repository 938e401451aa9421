"""Meeting pages: scheduling, the agenda, attendance, minutes and decisions inline."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from shequ.meetings.models import Decision, Meeting
from shequ.meetings.tests.conftest import HTMX, make_case

TODAY = timezone.localdate


@pytest.fixture
def meeting(tree):
    return Meeting.objects.create(kind="weekly", area=tree.complex_a, held_on=TODAY())


def test_scheduling_a_weekly_meeting_builds_its_agenda(tree, category, worker, client_for):
    case = make_case(tree.complex_a, category, status="assigned", title="电梯异响")
    response = client_for(worker).post(reverse("meetings:meeting_schedule", args=[tree.complex_a.pk]),
                                       {"held_on": TODAY().isoformat(), "location": "党群服务站"})
    meeting = Meeting.objects.get()
    assert response["Location"] == reverse("meetings:meeting_detail", args=[meeting.pk])
    assert meeting.kind == "weekly" and meeting.created_by == worker
    body = client_for(worker).get(response["Location"]).content.decode()
    assert f'<a href="{reverse("cases:case_detail", args=[case.pk])}">{case.number}</a> 电梯异响' in body


def test_the_street_cadre_schedules_a_joint_meeting_from_the_list(tree, street_cadre, client_for):
    client = client_for(street_cadre)
    assert reverse("meetings:meeting_schedule", args=[tree.street.pk]) in client.get(
        reverse("meetings:meeting_list")).content.decode()
    client.post(reverse("meetings:meeting_schedule", args=[tree.street.pk]), {"held_on": TODAY().isoformat()})
    assert Meeting.objects.get().kind == "street_joint"


def test_it_records_a_decision_inline(tree, category, meeting, seat_a, worker, client_for):
    case = make_case(tree.complex_a, category, status="assigned")
    from shequ.meetings import services

    services.meeting_build_agenda(meeting=meeting)
    response = client_for(worker).post(reverse("meetings:decision_add", args=[meeting.pk]), {
        "text": "物业三日内清理", "owner": seat_a.pk, "due_date": TODAY().isoformat(), "case": case.pk}, **HTMX)
    assert "物业三日内清理" in response.content.decode()
    decision = Decision.objects.get()
    assert (decision.owner, decision.case) == (seat_a, case)


def test_a_decision_about_a_case_off_the_agenda_is_refused(tree, category, meeting, seat_a, worker, client_for):
    case_b = make_case(tree.complex_b, category)
    response = client_for(worker).post(reverse("meetings:decision_add", args=[meeting.pk]), {
        "text": "越界", "owner": seat_a.pk, "case": case_b.pk}, **HTMX)
    assert 'id="field-case"' in response.content.decode()
    assert not Decision.objects.exists()


def test_it_records_attendance_minutes_and_marks_held(meeting, seat_a, worker, client_for):
    client = client_for(worker)
    client.post(reverse("meetings:attendance_record", args=[meeting.pk]),
                {"members": [seat_a.pk], "guests": "王五 街道城管科\n"}, **HTMX)
    response = client.post(reverse("meetings:minutes_record", args=[meeting.pk]),
                           {"minutes": "议定两项", "is_held": "on", "location": "会议室"}, **HTMX)
    assert response.status_code == 200
    meeting.refresh_from_db()
    assert meeting.is_held and meeting.minutes == "议定两项"
    assert list(meeting.attendance.values_list("name", "role", "present")) == [
        ("王强", "小区服务长", True), ("王五", "街道城管科", True)]


def test_it_adds_and_notes_an_agenda_item(meeting, worker, client_for):
    client = client_for(worker)
    client.post(reverse("meetings:agenda_add", args=[meeting.pk]), {"title": "消防通道"}, **HTMX)
    item = meeting.agenda.get()
    response = client.post(reverse("meetings:agenda_note", args=[item.pk]), {"note": "周五前清理"}, **HTMX)
    item.refresh_from_db()
    assert item.note == "周五前清理" and "周五前清理" in response.content.decode()


def test_rebuilding_a_held_meetings_agenda_shows_why_not(tree, category, meeting, worker, client_for):
    make_case(tree.complex_a, category)
    meeting.is_held = True
    meeting.save()
    response = client_for(worker).post(reverse("meetings:agenda_build", args=[meeting.pk]), **HTMX)
    assert "会议已召开" in response.content.decode()
    assert not meeting.agenda.exists()


def test_the_outsider_cannot_see_or_change_as_meetings(tree, meeting, seat_a, outsider, client_for):
    client = client_for(outsider)
    assert client.get(reverse("meetings:meeting_detail", args=[meeting.pk])).status_code == 404
    assert client.post(reverse("meetings:decision_add", args=[meeting.pk]),
                       {"text": "越权", "owner_name": "某人"}).status_code == 404
    assert client.post(reverse("meetings:minutes_record", args=[meeting.pk]),
                       {"minutes": "越权"}).status_code == 404
    assert client.post(reverse("meetings:meeting_schedule", args=[tree.complex_a.pk]),
                       {"held_on": TODAY().isoformat()}).status_code == 404
    assert TODAY().isoformat() not in client.get(reverse("meetings:meeting_list")).content.decode()
    meeting.refresh_from_db()
    assert meeting.minutes == "" and not Decision.objects.exists() and Meeting.objects.count() == 1


def test_the_team_member_of_a_does_not_see_the_street_meeting(tree, team_user, client_for):
    street_meeting = Meeting.objects.create(kind="street_joint", area=tree.street, held_on=TODAY())
    response = client_for(team_user).get(reverse("meetings:meeting_detail", args=[street_meeting.pk]))
    assert response.status_code == 404


def test_the_detail_page_costs_the_same_queries_however_long_the_agenda(tree, category, meeting, seat_a, worker,
                                                                        client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shequ.meetings import services

    client = client_for(worker)
    url = reverse("meetings:meeting_detail", args=[meeting.pk])

    def queries(cases: int) -> int:
        for _n in range(cases):
            case = make_case(tree.complex_a, category, status="assigned")
        services.meeting_build_agenda(meeting=meeting)
        services.decision_record(actor=services_actor(worker), meeting=meeting, text="处理", owner=seat_a, case=case)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries(1) == queries(6)


def services_actor(user):
    from shequ.accounts.audit import Actor

    return Actor(user=user)
