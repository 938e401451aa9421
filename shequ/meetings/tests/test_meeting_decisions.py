"""Attendance, minutes and decisions of a meeting; a decision may escalate its case."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.cases.models import CaseEvent
from shequ.meetings import services
from shequ.meetings.models import Decision, Meeting
from shequ.meetings.tests.conftest import make_case


@pytest.fixture
def meeting(tree):
    return Meeting.objects.create(kind="weekly", area=tree.complex_a, held_on=timezone.localdate())


@pytest.fixture
def police_seat(tree, system):
    return services.team_member_appoint(actor=system, complex=tree.complex_a, role="police", name="刘警官",
                                        start_date=date(2024, 1, 1))


def test_a_decision_is_linked_to_its_case_with_owner_and_deadline(tree, category, meeting, seat_a, worker):
    case = make_case(tree.complex_a, category, status="assigned")
    due = timezone.localdate() + timedelta(days=3)
    decision = services.decision_record(actor=Actor(user=worker), meeting=meeting, text="物业三日内清理楼道",
                                        owner=seat_a, due_date=due, case=case)
    decision.refresh_from_db()
    assert (decision.case, decision.owner, decision.owner_name, decision.due_date) == (case, seat_a, "王强", due)
    assert list(case.decisions.all()) == [decision]


def test_a_decision_can_escalate_its_case_to_the_street(tree, category, meeting, seat_a, worker):
    case = make_case(tree.complex_a, category, status="assigned")
    decision = services.decision_record(actor=Actor(user=worker), meeting=meeting, text="涉及管网改造，提请街道协调",
                                        owner=seat_a, case=case, escalate=True)
    case.refresh_from_db()
    assert decision.escalated and case.level == "street" and case.escalated_at is not None
    assert CaseEvent.objects.filter(case=case, action="escalated").exists()


def test_the_escalated_case_moves_to_the_street_agenda(tree, category, meeting, seat_a, worker):
    case = make_case(tree.complex_a, category, status="assigned")
    services.decision_record(actor=Actor(user=worker), meeting=meeting, text="提请街道", owner=seat_a, case=case,
                             escalate=True)
    street_meeting = Meeting.objects.create(kind="street_joint", area=tree.street, held_on=timezone.localdate())
    services.meeting_build_agenda(meeting=street_meeting)
    assert list(street_meeting.agenda.values_list("case_id", flat=True)) == [case.pk]


def test_escalating_needs_a_case_still_at_the_meetings_level(tree, category, meeting, seat_a, worker):
    case = make_case(tree.complex_a, category, status="assigned", level="street")
    with pytest.raises(ValidationError):
        services.decision_record(actor=Actor(user=worker), meeting=meeting, text="再提请", owner=seat_a, case=case,
                                 escalate=True)
    with pytest.raises(ValidationError):
        services.decision_record(actor=Actor(user=worker), meeting=meeting, text="提请", owner=seat_a, escalate=True)
    assert not Decision.objects.exists()


def test_a_decision_cannot_be_about_a_case_of_another_complex(tree, category, meeting, seat_a, worker):
    case_b = make_case(tree.complex_b, category)
    with pytest.raises(ValidationError) as error:
        services.decision_record(actor=Actor(user=worker), meeting=meeting, text="处理", owner=seat_a, case=case_b)
    assert error.value.error_dict["case"][0].code == "case_outside_area"


def test_the_owner_must_sit_on_the_meetings_team(tree, category, meeting, worker, system):
    other = services.team_member_appoint(actor=system, complex=tree.complex_b, role="police", name="外区民警",
                                         start_date=date(2024, 1, 1))
    with pytest.raises(ValidationError) as error:
        services.decision_record(actor=Actor(user=worker), meeting=meeting, text="处理", owner=other)
    assert error.value.error_dict["owner"][0].code == "owner_outside_area"


def test_a_decision_needs_text_and_an_owner(meeting, worker):
    with pytest.raises(ValidationError) as error:
        services.decision_record(actor=Actor(user=worker), meeting=meeting, text=" ")
    assert "text" in error.value.error_dict


def test_completing_a_decision_stamps_it(meeting, seat_a, worker):
    decision = services.decision_record(actor=Actor(user=worker), meeting=meeting, text="处理", owner=seat_a)
    services.decision_complete(actor=Actor(user=worker), decision=decision)
    decision.refresh_from_db()
    assert decision.done_at is not None


def test_attendance_comes_from_the_roster_on_the_day_plus_guests(tree, meeting, seat_a, police_seat, worker):
    rows = services.meeting_attendance_record(actor=Actor(user=worker), meeting=meeting,
                                              present_member_ids=[seat_a.pk], guests=[("王五", "街道城管科")])
    assert [(row.name, row.present) for row in rows] == [("王强", True), ("刘警官", False), ("王五", True)]
    services.meeting_attendance_record(actor=Actor(user=worker), meeting=meeting,
                                       present_member_ids=[seat_a.pk, police_seat.pk])
    assert list(meeting.attendance.values_list("name", "present")) == [("王强", True), ("刘警官", True)]


def test_attendance_refuses_someone_not_on_the_roster(tree, meeting, worker, system):
    stranger = services.team_member_appoint(actor=system, complex=tree.complex_b, role="police", name="外区民警",
                                            start_date=date(2024, 1, 1))
    with pytest.raises(ValidationError):
        services.meeting_attendance_record(actor=Actor(user=worker), meeting=meeting,
                                           present_member_ids=[stranger.pk])
    assert not meeting.attendance.exists()


def test_minutes_are_saved_and_the_meeting_counts_as_held(meeting, worker):
    services.meeting_record(actor=Actor(user=worker), meeting=meeting, minutes="议定三项", is_held=True)
    meeting.refresh_from_db()
    assert meeting.is_held and meeting.minutes == "议定三项"


def test_a_meeting_in_the_future_cannot_be_marked_held(tree, worker):
    meeting = Meeting.objects.create(kind="weekly", area=tree.complex_a,
                                     held_on=timezone.localdate() + timedelta(days=2))
    with pytest.raises(ValidationError):
        services.meeting_record(actor=Actor(user=worker), meeting=meeting, minutes="", is_held=True)
    meeting.refresh_from_db()
    assert not meeting.is_held


def test_the_outsider_cannot_record_on_a_meeting_of_a(meeting, outsider):
    with pytest.raises(PermissionDenied):
        services.decision_record(actor=Actor(user=outsider), meeting=meeting, text="越权", owner_name="某人")
    with pytest.raises(PermissionDenied):
        services.meeting_record(actor=Actor(user=outsider), meeting=meeting, minutes="越权")
    assert not Decision.objects.exists()
