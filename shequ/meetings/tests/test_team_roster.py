"""The roster of a "2+4" team: appointing, replacing and ending seats keeps history."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.meetings import selectors, services
from shequ.meetings.models import Team, TeamMember


def _appoint(actor, complex, role="service_leader", name="王强", start=date(2024, 1, 1), **extra):
    return services.team_member_appoint(actor=actor, complex=complex, role=role, name=name, start_date=start, **extra)


def test_it_creates_the_team_with_its_first_seat(tree, worker):
    member = _appoint(Actor(user=worker), tree.complex_a)
    assert Team.objects.get(complex=tree.complex_a) == member.team
    assert AuditRecord.objects.filter(action="teammember.appointed", object_id=str(member.pk)).exists()


def test_replacing_a_seat_keeps_the_old_one_with_its_end_date(tree, worker):
    actor = Actor(user=worker)
    old = _appoint(actor, tree.complex_a)
    new = services.team_member_replace(actor=actor, member=old, name="李明", start_date=date(2024, 7, 1))
    old.refresh_from_db()
    assert old.end_date == date(2024, 7, 1)
    assert new.start_date == date(2024, 7, 1) and new.end_date is None and new.role == old.role
    assert TeamMember.objects.filter(team=old.team, role="service_leader").count() == 2


def test_the_roster_on_a_day_shows_whoever_held_the_seat_then(tree, worker):
    actor = Actor(user=worker)
    old = _appoint(actor, tree.complex_a)
    services.team_member_replace(actor=actor, member=old, name="李明", start_date=date(2024, 7, 1))
    leader = {seat.role: seat for seat in selectors.team_roster(complex=tree.complex_a, on=date(2024, 6, 30))}
    assert [m.name for m in leader["service_leader"].holders] == ["王强"]
    leader = {seat.role: seat for seat in selectors.team_roster(complex=tree.complex_a, on=date(2024, 7, 1))}
    assert [m.name for m in leader["service_leader"].holders] == ["李明"]


def test_it_refuses_a_second_holder_of_a_single_seat(tree, worker):
    actor = Actor(user=worker)
    _appoint(actor, tree.complex_a)
    with pytest.raises(ValidationError) as error:
        _appoint(actor, tree.complex_a, name="赵六", start=date(2024, 3, 1))
    assert error.value.error_dict["role"][0].code == "seat_taken"
    assert TeamMember.objects.filter(role="service_leader").count() == 1


def test_it_refuses_a_seat_overlapping_an_ended_one(tree, worker):
    actor = Actor(user=worker)
    old = _appoint(actor, tree.complex_a)
    services.team_member_end(actor=actor, member=old, end_date=date(2024, 6, 1))
    with pytest.raises(ValidationError):
        _appoint(actor, tree.complex_a, name="赵六", start=date(2024, 5, 1))
    assert _appoint(actor, tree.complex_a, name="赵六", start=date(2024, 6, 1)).name == "赵六"


def test_self_governance_may_have_several_holders(tree, worker):
    actor = Actor(user=worker)
    _appoint(actor, tree.complex_a, role="self_governance", name="业委会主任")
    _appoint(actor, tree.complex_a, role="self_governance", name="物管会主任")
    seats = {seat.role: seat for seat in selectors.team_roster(complex=tree.complex_a)}
    assert len(seats["self_governance"].holders) == 2


def test_it_refuses_a_replacement_starting_before_the_seat(tree, worker):
    actor = Actor(user=worker)
    old = _appoint(actor, tree.complex_a)
    with pytest.raises(ValidationError):
        services.team_member_replace(actor=actor, member=old, name="李明", start_date=date(2024, 1, 1))
    old.refresh_from_db()
    assert old.end_date is None


def test_ending_a_seat_leaves_it_vacant_but_on_record(tree, worker):
    actor = Actor(user=worker)
    member = _appoint(actor, tree.complex_a)
    services.team_member_end(actor=actor, member=member, end_date=date(2024, 3, 1))
    seats = {seat.role: seat for seat in selectors.team_roster(complex=tree.complex_a, on=date(2024, 3, 1))}
    assert seats["service_leader"].holders == []
    assert [m.pk for m in selectors.team_history(complex=tree.complex_a)] == [member.pk]


def test_it_refuses_an_end_before_the_start(tree, worker):
    member = _appoint(Actor(user=worker), tree.complex_a)
    with pytest.raises(ValidationError):
        services.team_member_end(actor=Actor(user=worker), member=member, end_date=date(2023, 12, 31))


def test_teams_sit_on_complexes_only(tree, worker):
    with pytest.raises(ValidationError):
        _appoint(Actor(user=worker), tree.community_a)


def test_the_outsider_cannot_appoint_on_a(tree, outsider):
    with pytest.raises(PermissionDenied):
        _appoint(Actor(user=outsider), tree.complex_a)
    assert not TeamMember.objects.exists()


def test_the_outsider_cannot_replace_or_end_a_seat_of_a(tree, worker, outsider):
    member = _appoint(Actor(user=worker), tree.complex_a)
    with pytest.raises(PermissionDenied):
        services.team_member_replace(actor=Actor(user=outsider), member=member, name="X", start_date=date(2024, 5, 1))
    with pytest.raises(PermissionDenied):
        services.team_member_end(actor=Actor(user=outsider), member=member, end_date=date(2024, 5, 1))
    member.refresh_from_db()
    assert member.end_date is None
