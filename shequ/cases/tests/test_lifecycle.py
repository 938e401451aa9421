"""Lifecycle steps: transitions, rights, pauses, reopen, merge, escalation."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from conftest import make_user
from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.cases import services
from shequ.cases.deadlines import TZ
from shequ.cases.models import AssigneeKind, Case, CaseEvent, Channel, Level, Status
from shequ.meetings.models import TeamMember

pytestmark = pytest.mark.django_db


def at(y, m, d, h=0, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=TZ)


@pytest.fixture
def staff(worker) -> Actor:
    return Actor(user=worker)


@pytest.fixture
def resident(resident_user) -> Actor:
    return Actor(user=resident_user)


@pytest.fixture
def reported(make_case, resident, tree) -> Case:
    """A case the resident of house A reported themselves."""
    return make_case(actor=resident, area=tree.house_a.area, channel=Channel.RESIDENT)


def resolved(case: Case, staff: Actor) -> Case:
    services.case_accept(actor=staff, case=case)
    services.case_assign(actor=staff, case=case, assignee_kind=AssigneeKind.PROPERTY, assignee_name="长庆物业")
    services.case_start(actor=staff, case=case)
    return services.case_resolve(actor=staff, case=case, resolution="已清运。")


def test_it_accepts_a_new_case_and_time_stamps_the_step(case_a, staff, worker):
    services.case_accept(actor=staff, case=case_a)
    case_a.refresh_from_db()
    event = CaseEvent.objects.filter(case=case_a).last()
    assert case_a.status == Status.ACCEPTED and case_a.accepted_at is not None
    assert (event.action, event.from_status, event.to_status, event.actor_id) == (
        "accepted", Status.NEW, Status.ACCEPTED, worker.pk)
    assert event.actor_name == "社区A工作人员"
    assert AuditRecord.objects.filter(action="case.accepted", object_id=str(case_a.pk)).exists()


def test_it_refuses_to_accept_twice_with_a_clear_message(case_a, staff):
    services.case_accept(actor=staff, case=case_a)
    with pytest.raises(ValidationError) as exc:
        services.case_accept(actor=staff, case=case_a)
    assert exc.value.messages == ["事件当前状态为“已受理”，不能受理。"]


def test_it_refuses_to_start_a_case_nobody_accepted(case_a, staff):
    with pytest.raises(ValidationError) as exc:
        services.case_start(actor=staff, case=case_a)
    assert exc.value.code == "invalid_transition"
    case_a.refresh_from_db()
    assert case_a.status == Status.NEW


def test_it_refuses_an_outsider_acting_on_the_case(case_a, outsider):
    with pytest.raises(PermissionDenied):
        services.case_accept(actor=Actor(user=outsider), case=case_a)
    case_a.refresh_from_db()
    assert case_a.status == Status.NEW


def test_it_refuses_a_resident_handling_their_own_case(reported, resident):
    with pytest.raises(PermissionDenied):
        services.case_accept(actor=resident, case=reported)


def test_it_lets_the_team_member_and_the_street_act(case_a, team_member, street_cadre):
    services.case_accept(actor=Actor(user=team_member), case=case_a)
    services.case_start(actor=Actor(user=street_cadre), case=case_a)
    case_a.refresh_from_db()
    assert case_a.status == Status.IN_PROGRESS


def test_it_assigns_with_an_accountable_team_member(case_a, staff, leader_seat):
    services.case_assign(actor=staff, case=case_a, assignee_kind=AssigneeKind.PROPERTY, assignee_name="长庆物业",
                         accountable=leader_seat)
    case_a.refresh_from_db()
    assert (case_a.status, case_a.accountable_id, case_a.assignee_name) == (Status.ASSIGNED, leader_seat.pk, "长庆物业")
    assert case_a.accepted_at is not None


def test_it_requires_an_accountable_member_once_the_complex_has_a_team(case_a, staff, leader_seat):
    with pytest.raises(ValidationError) as exc:
        services.case_assign(actor=staff, case=case_a, assignee_kind=AssigneeKind.PROPERTY, assignee_name="物业")
    assert exc.value.error_dict["accountable"][0].code == "accountable_required"


def test_it_refuses_a_former_team_member_as_accountable(case_a, staff, leader_seat):
    TeamMember.objects.filter(pk=leader_seat.pk).update(end_date=date(2026, 2, 1))
    leader_seat.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.case_assign(actor=staff, case=case_a, assignee_kind=AssigneeKind.PROPERTY, assignee_name="物业",
                             accountable=leader_seat)
    assert exc.value.error_dict["accountable"][0].code == "accountable_not_member"


def test_it_refuses_a_member_of_another_complex_as_accountable(make_case, staff, street_cadre, leader_seat, tree):
    case_b = make_case(area=tree.complex_b)
    with pytest.raises(ValidationError) as exc:
        services.case_assign(actor=Actor(user=street_cadre), case=case_b, assignee_kind=AssigneeKind.PROPERTY,
                             assignee_name="物业", accountable=leader_seat)
    assert exc.value.error_dict["accountable"][0].code == "accountable_not_member"


def test_it_needs_an_assignee(case_a, staff):
    with pytest.raises(ValidationError) as exc:
        services.case_assign(actor=staff, case=case_a, assignee_kind=AssigneeKind.PROPERTY)
    assert "assignee_name" in exc.value.error_dict


def test_it_stops_the_clock_while_waiting_on_the_resident(make_case, staff):
    case = make_case(received_at=at(2026, 11, 20, 9))  # ordinary: due Tue 1 Dec 18:00
    assert case.due_at == at(2026, 12, 1, 18)
    services.case_accept(actor=staff, case=case, at=at(2026, 11, 20, 10))
    services.case_wait_on_resident(actor=staff, case=case, note="需入户查看", at=at(2026, 11, 20, 17))
    assert Case.objects.get(pk=case.pk).status == Status.WAITING
    services.case_resume(actor=staff, case=case, at=at(2026, 11, 23, 10))
    case.refresh_from_db()
    # Fri 17–18 and Mon 9–10 are two working hours of pause: due Wed 2 Dec 11:00
    assert case.due_at == at(2026, 12, 2, 11)
    assert case.paused_seconds == int(timedelta(days=2, hours=17).total_seconds())
    assert case.paused_since is None and case.status == Status.ACCEPTED


def test_it_lets_the_reporting_resident_resume_with_their_answer(reported, staff, resident):
    services.case_accept(actor=staff, case=reported)
    services.case_wait_on_resident(actor=staff, case=reported, note="请提供照片")
    services.case_resume(actor=resident, case=reported, note="已补充")
    reported.refresh_from_db()
    assert reported.status == Status.ACCEPTED


def test_it_keeps_a_waiting_case_out_of_the_overdue_sweep(make_case, staff):
    case = make_case(received_at=timezone.now() - timedelta(days=30))
    services.case_accept(actor=staff, case=case)
    services.case_wait_on_resident(actor=staff, case=case, note="等待居民")
    assert services.cases_escalate_overdue(now=timezone.now()) == []


def test_it_needs_a_resolution_text(case_a, staff):
    services.case_accept(actor=staff, case=case_a)
    with pytest.raises(ValidationError) as exc:
        services.case_resolve(actor=staff, case=case_a, resolution="  ")
    assert "resolution" in exc.value.error_dict


def test_it_lets_the_reporting_resident_rate_a_resolved_case(reported, staff, resident):
    resolved(reported, staff)
    follow = timezone.localdate() + timedelta(days=3)
    services.case_confirm(actor=resident, case=reported, satisfaction=5, follow_up_at=follow)
    reported.refresh_from_db()
    assert (reported.status, reported.satisfaction) == (Status.CONFIRMED, 5)
    assert timezone.localdate(reported.follow_up_at) == follow


def test_it_refuses_a_rating_from_staff(reported, staff):
    resolved(reported, staff)
    with pytest.raises(PermissionDenied):
        services.case_confirm(actor=staff, case=reported, satisfaction=5)


def test_it_refuses_a_rating_from_another_resident(reported, staff, tree):
    other = make_user("resident_a2", "resident", tree.house_a2.area)
    resolved(reported, staff)
    with pytest.raises(PermissionDenied):
        services.case_confirm(actor=Actor(user=other), case=reported, satisfaction=1)
    reported.refresh_from_db()
    assert reported.satisfaction is None


def test_it_refuses_a_rating_before_the_case_is_resolved(reported, staff, resident):
    services.case_accept(actor=staff, case=reported)
    with pytest.raises(ValidationError) as exc:
        services.case_confirm(actor=resident, case=reported, satisfaction=4)
    assert exc.value.code == "invalid_transition"


@pytest.mark.parametrize("score", [0, 6, "x"])
def test_it_refuses_a_rating_outside_one_to_five(reported, staff, resident, score):
    resolved(reported, staff)
    with pytest.raises(ValidationError) as exc:
        services.case_confirm(actor=resident, case=reported, satisfaction=score)
    assert exc.value.error_dict["satisfaction"][0].code == "satisfaction_range"


def test_it_closes_a_resolved_case(case_a, staff):
    resolved(case_a, staff)
    services.case_close(actor=staff, case=case_a)
    case_a.refresh_from_db()
    assert case_a.status == Status.CLOSED and case_a.closed_at is not None


def test_it_closes_an_open_case_only_with_a_reason(case_a, staff):
    with pytest.raises(ValidationError):
        services.case_close(actor=staff, case=case_a)
    services.case_close(actor=staff, case=case_a, note="居民撤回")
    assert Case.objects.get(pk=case_a.pk).status == Status.CLOSED


def test_it_reopens_a_closed_case_with_a_new_deadline(reported, staff, resident):
    resolved(reported, staff)
    services.case_confirm(actor=resident, case=reported, satisfaction=2)
    services.case_close(actor=staff, case=reported)
    old_due = Case.objects.get(pk=reported.pk).due_at
    services.case_reopen(actor=staff, case=reported, reason="居民反映问题复发", at=timezone.now() + timedelta(days=3))
    reported.refresh_from_db()
    assert (reported.status, reported.reopened_count) == (Status.IN_PROGRESS, 1)
    assert reported.satisfaction is None and reported.closed_at is None and reported.resolved_at is None
    assert reported.due_at > old_due


def test_it_lets_the_resident_reopen_a_resolution_they_reject(reported, staff, resident):
    resolved(reported, staff)
    services.case_reopen(actor=resident, case=reported, reason="垃圾仍未清走")
    assert Case.objects.get(pk=reported.pk).status == Status.IN_PROGRESS


def test_it_refuses_the_resident_reopening_a_closed_case(reported, staff, resident):
    resolved(reported, staff)
    services.case_close(actor=staff, case=reported)
    with pytest.raises(PermissionDenied):
        services.case_reopen(actor=resident, case=reported, reason="再看看")


def test_it_refuses_to_reopen_an_open_case(case_a, staff):
    with pytest.raises(ValidationError) as exc:
        services.case_reopen(actor=staff, case=case_a, reason="x")
    assert exc.value.code == "invalid_transition"


def test_it_merges_a_duplicate_into_a_case_of_the_same_complex(make_case, staff):
    keep, duplicate = make_case(), make_case(title="重复：垃圾未清运")
    services.case_merge(actor=staff, case=duplicate, into=keep)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id) == (Status.MERGED, keep.pk)
    assert CaseEvent.objects.filter(case=keep, action="merge_received").exists()


def test_it_refuses_to_merge_across_complexes(make_case, street_cadre, tree):
    keep, other = make_case(area=tree.complex_a), make_case(area=tree.complex_b)
    with pytest.raises(ValidationError) as exc:
        services.case_merge(actor=Actor(user=street_cadre), case=other, into=keep)
    assert exc.value.error_dict["into"][0].code == "merge_other_complex"


def test_it_refuses_to_merge_into_itself_or_a_merged_case(make_case, staff):
    first, second, third = make_case(), make_case(), make_case()
    with pytest.raises(ValidationError):
        services.case_merge(actor=staff, case=first, into=first)
    services.case_merge(actor=staff, case=second, into=first)
    with pytest.raises(ValidationError) as exc:
        services.case_merge(actor=staff, case=third, into=second)
    assert exc.value.error_dict["into"][0].code == "merge_target_merged"


def test_it_refuses_to_merge_into_a_case_the_actor_cannot_see(make_case, staff, tree):
    theirs = make_case(area=tree.complex_b)
    with pytest.raises(PermissionDenied):
        services.case_merge(actor=staff, case=make_case(), into=theirs)


def test_it_escalates_by_hand_up_to_the_district_and_no_further(case_a, staff):
    with pytest.raises(ValidationError):
        services.case_escalate(actor=staff, case=case_a, reason="")
    services.case_escalate(actor=staff, case=case_a, reason="小区无法协调")
    services.case_escalate(actor=staff, case=case_a, reason="街道无法协调")
    case_a.refresh_from_db()
    assert case_a.level == Level.DISTRICT and case_a.escalated_at is not None
    with pytest.raises(ValidationError) as exc:
        services.case_escalate(actor=staff, case=case_a, reason="再升")
    assert exc.value.code == "escalate_top"


def test_it_escalates_a_case_whose_deadline_is_broken(make_case):
    now = timezone.now()
    case = make_case(received_at=now - timedelta(days=20))
    escalated = services.cases_escalate_overdue(now=now)
    case.refresh_from_db()
    assert [c.pk for c in escalated] == [case.pk]
    assert case.level == Level.STREET and case.due_at > now
    event = CaseEvent.objects.get(case=case, action="escalated")
    assert event.detail["auto"] is True and event.detail["to_level"] == Level.STREET


def test_it_does_not_escalate_the_same_broken_deadline_twice(make_case):
    now = timezone.now()
    case = make_case(received_at=now - timedelta(days=20))
    services.cases_escalate_overdue(now=now)
    assert services.cases_escalate_overdue(now=now + timedelta(minutes=5)) == []
    case.refresh_from_db()
    assert case.level == Level.STREET
    assert CaseEvent.objects.filter(case=case, action="escalated").count() == 1


def test_it_escalates_again_when_the_street_deadline_breaks(make_case):
    now = timezone.now()
    case = make_case(received_at=now - timedelta(days=20))
    services.cases_escalate_overdue(now=now)
    later = Case.objects.get(pk=case.pk).due_at + timedelta(minutes=1)
    services.cases_escalate_overdue(now=later)
    assert Case.objects.get(pk=case.pk).level == Level.DISTRICT
    assert services.cases_escalate_overdue(now=later + timedelta(days=60)) == []


def test_it_leaves_cases_within_their_deadline_alone(make_case):
    case = make_case()
    assert services.cases_escalate_overdue(now=timezone.now()) == []
    assert Case.objects.get(pk=case.pk).level == Level.COMPLEX


def test_it_warns_once_when_a_deadline_is_near(make_case, garbage):
    now = timezone.now()
    case = make_case(urgency="urgent", received_at=now - timedelta(minutes=90))  # due in 30 min, warn 1 h before
    warned = services.cases_warn_due_soon(now=now)
    assert [c.pk for c in warned] == [case.pk]
    assert Case.objects.get(pk=case.pk).warned_at is not None
    assert services.cases_warn_due_soon(now=now + timedelta(minutes=1)) == []


def test_the_tick_command_reports_what_it_did(make_case, capsys):
    from django.core.management import call_command

    make_case(received_at=timezone.now() - timedelta(days=20))
    call_command("cases_tick")
    assert "escalated 1" in capsys.readouterr().out


def test_it_counts_only_the_pause_after_escalating_a_waiting_case(make_case, staff):
    case = make_case(received_at=at(2026, 11, 20, 9))
    services.case_accept(actor=staff, case=case, at=at(2026, 11, 20, 9, 30))
    services.case_wait_on_resident(actor=staff, case=case, note="等待居民开门", at=at(2026, 11, 20, 10))
    services.case_escalate(actor=staff, case=case, reason="物业不配合", at=at(2026, 11, 23, 9))
    assert Case.objects.get(pk=case.pk).due_at == at(2026, 12, 2, 18)  # street level: 7 working days from Monday
    services.case_resume(actor=staff, case=case, at=at(2026, 11, 23, 11))
    case.refresh_from_db()
    assert case.due_at == at(2026, 12, 3, 11)  # moved by the two working hours waited since the escalation
    assert case.paused_seconds == int((at(2026, 11, 23, 11) - at(2026, 11, 20, 10)).total_seconds())
