"""Agendas: a weekly meeting lists its complex's open cases, overdue first; the
street joint meeting and the district leading group list the cases escalated to them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.meetings import services
from shequ.meetings.models import AgendaItem, CommonProblem, Meeting
from shequ.meetings.tests.conftest import make_case


def _meeting(area, kind="weekly", held_on=None):
    return Meeting.objects.create(kind=kind, area=area, held_on=held_on or timezone.localdate())


def _agenda(meeting):
    return [(item.case_id, item.reason) for item in meeting.agenda.order_by("order")]


def test_the_weekly_agenda_lists_open_cases_of_that_complex_only(tree, category):
    mine = make_case(tree.complex_a, category, status="assigned")
    make_case(tree.complex_b, category)  # another complex
    make_case(tree.complex_a, category, status="closed")  # not open
    meeting = _meeting(tree.complex_a)
    services.meeting_build_agenda(meeting=meeting)
    assert _agenda(meeting) == [(mine.pk, "open")]


def test_overdue_cases_come_first(tree, category):
    now = timezone.now()
    fresh = make_case(tree.complex_a, category, status="in_progress", received_at=now - timedelta(hours=2))
    unassigned = make_case(tree.complex_a, category, status="new", received_at=now - timedelta(hours=3))
    returned = make_case(tree.complex_a, category, status="assigned", escalated_at=now - timedelta(days=1))
    late = make_case(tree.complex_a, category, status="in_progress", received_at=now - timedelta(days=9),
                     due_at=now - timedelta(days=2))
    later = make_case(tree.complex_a, category, status="new", received_at=now - timedelta(days=20),
                      due_at=now - timedelta(days=5))
    meeting = _meeting(tree.complex_a)
    services.meeting_build_agenda(meeting=meeting)
    assert _agenda(meeting) == [(later.pk, "overdue"), (late.pk, "overdue"), (returned.pk, "returned"),
                                (unassigned.pk, "awaiting"), (fresh.pk, "open")]


def test_a_paused_case_past_its_deadline_is_not_overdue(tree, category):
    now = timezone.now()
    waiting = make_case(tree.complex_a, category, status="waiting", due_at=now - timedelta(days=1),
                        paused_since=now - timedelta(days=2))
    meeting = _meeting(tree.complex_a)
    services.meeting_build_agenda(meeting=meeting)
    assert _agenda(meeting) == [(waiting.pk, "open")]


def test_it_marks_unassigned_returned_escalated_and_followed_up_cases(tree, category):
    now = timezone.now()
    new = make_case(tree.complex_a, category, status="new")
    returned = make_case(tree.complex_a, category, status="in_progress", escalated_at=now - timedelta(days=3))
    up = make_case(tree.complex_a, category, status="in_progress", level="street", escalated_at=now)
    followed = make_case(tree.complex_a, category, status="assigned")
    earlier = _meeting(tree.complex_a, held_on=timezone.localdate() - timedelta(days=7))
    earlier.decisions.create(text="三天内清理", owner_name="王强", due_date=timezone.localdate(), case=followed)
    meeting = _meeting(tree.complex_a)
    services.meeting_build_agenda(meeting=meeting)
    assert _agenda(meeting) == [(returned.pk, "returned"), (followed.pk, "follow_up"), (new.pk, "awaiting"),
                                (up.pk, "escalated")]


def test_rebuilding_lists_nothing_twice_and_keeps_notes_and_manual_items(tree, category, worker):
    case = make_case(tree.complex_a, category, status="assigned")
    meeting = _meeting(tree.complex_a)
    services.meeting_build_agenda(meeting=meeting)
    item = meeting.agenda.get(case=case)
    services.agenda_item_note(actor=Actor(user=worker), item=item, note="物业本周处理")
    services.agenda_item_add(actor=Actor(user=worker), meeting=meeting, title="下周消防演练")
    newer = make_case(tree.complex_a, category, status="assigned")
    services.meeting_build_agenda(meeting=meeting)
    titles = [(item.case_id, item.reason, item.note) for item in meeting.agenda.order_by("order")]
    assert titles == [(case.pk, "open", "物业本周处理"), (newer.pk, "open", ""), (None, "manual", "")]


def test_a_closed_case_drops_off_when_rebuilt(tree, category):
    case = make_case(tree.complex_a, category, status="assigned")
    meeting = _meeting(tree.complex_a)
    services.meeting_build_agenda(meeting=meeting)
    case.status = "closed"
    case.save()
    services.meeting_build_agenda(meeting=meeting)
    assert _agenda(meeting) == []


def test_a_held_meeting_keeps_its_agenda(tree, category):
    make_case(tree.complex_a, category)
    meeting = _meeting(tree.complex_a)
    meeting.is_held = True
    meeting.save()
    with pytest.raises(ValidationError):
        services.meeting_build_agenda(meeting=meeting)
    assert not meeting.agenda.exists()


def test_the_street_joint_agenda_holds_the_escalated_cases_of_its_complexes_only(tree, category, other_street):
    street_2, complex_elsewhere = other_street
    up_a = make_case(tree.complex_a, category, status="assigned", level="street")
    up_b = make_case(tree.complex_b, category, status="assigned", level="street", due_at=timezone.now())
    make_case(tree.complex_a, category, status="assigned")  # still with the complex's team
    make_case(tree.complex_a, category, status="assigned", level="district")  # above the street
    make_case(tree.complex_b, category, status="resolved", level="street")  # no longer open
    make_case(complex_elsewhere, category, status="assigned", level="street")  # another street
    meeting = _meeting(tree.street, kind="street_joint")
    services.meeting_build_agenda(meeting=meeting)
    assert sorted(case for case, _reason in _agenda(meeting)) == sorted([up_a.pk, up_b.pk])
    assert _agenda(meeting)[0] == (up_b.pk, "overdue")


def test_the_district_agenda_holds_district_level_cases(tree, category, other_street):
    _street, complex_elsewhere = other_street
    top = make_case(complex_elsewhere, category, status="assigned", level="district")
    make_case(tree.complex_a, category, status="assigned", level="street")
    meeting = _meeting(tree.district, kind="district_group")
    services.meeting_build_agenda(meeting=meeting)
    assert _agenda(meeting) == [(top.pk, "open")]


def test_accepted_common_problems_of_that_level_join_the_agenda(tree, category):
    def problem(status, area, start):
        return CommonProblem.objects.create(area=area, category=category, period_start=start,
                                            period_end=start + timedelta(days=6), title=f"{status} {start}",
                                            complexes_count=3, cases_count=6, previous_count=1, status=status)

    accepted = problem("accepted", tree.street, date(2024, 1, 1))
    problem("proposed", tree.street, date(2024, 2, 1))
    problem("accepted", tree.district, date(2024, 3, 1))
    meeting = _meeting(tree.street, kind="street_joint")
    services.meeting_build_agenda(meeting=meeting)
    assert [(item.common_problem_id, item.reason) for item in meeting.agenda.all()] == [
        (accepted.pk, "common_problem")]


def test_scheduling_builds_the_agenda(tree, category, worker):
    case = make_case(tree.complex_a, category, status="assigned")
    meeting = services.meeting_schedule(actor=Actor(user=worker), area=tree.complex_a,
                                        held_on=timezone.localdate(), location="党群服务站")
    assert meeting.kind == "weekly"
    assert list(AgendaItem.objects.filter(meeting=meeting).values_list("case_id", flat=True)) == [case.pk]


def test_meetings_are_held_at_complexes_streets_and_districts_only(tree, worker):
    with pytest.raises(ValidationError):
        services.meeting_schedule(actor=Actor(user=worker), area=tree.community_a, held_on=timezone.localdate())
    assert not Meeting.objects.exists()


def test_a_community_worker_cannot_call_a_street_joint_meeting(tree, worker):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.meeting_schedule(actor=Actor(user=worker), area=tree.street, held_on=timezone.localdate())
