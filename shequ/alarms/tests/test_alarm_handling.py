"""Acknowledge, note and close: who did what when, audited; only legal steps."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.alarms import services
from shequ.alarms.models import Alarm

pytestmark = pytest.mark.django_db


def _ack(alarm, user, note=""):
    return services.alarm_acknowledge(alarm=alarm, actor=Actor(user=user, ip="10.0.0.7"), note=note)


def _close(alarm, user, note=""):
    return services.alarm_close(alarm=alarm, actor=Actor(user=user, ip="10.0.0.7"), note=note)


def _refused_as_illegal(call) -> None:
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.error_dict["status"][0].code == "illegal_transition"


def test_it_records_who_acknowledged_and_when(forced_alarm, guard):
    _ack(forced_alarm, guard, note="已派人查看")

    alarm = Alarm.objects.get(pk=forced_alarm.pk)
    assert (alarm.status, alarm.acknowledged_by) == ("acknowledged", guard)
    assert alarm.acknowledged_at >= alarm.raised_at
    action = alarm.actions.get(action="acknowledged")
    assert (action.by, action.by_name, action.note, action.at) == (guard, "guard_a", "已派人查看", alarm.acknowledged_at)


def test_it_audits_the_acknowledgement_with_the_address(forced_alarm, guard):
    _ack(forced_alarm, guard)

    record = AuditRecord.objects.get(action="alarm.acknowledge")
    assert (record.actor, record.ip, record.object_id, record.area_path) == (
        guard, "10.0.0.7", str(forced_alarm.pk), forced_alarm.area.path)


def test_it_records_who_closed_and_when(forced_alarm, guard):
    _ack(forced_alarm, guard)
    _close(forced_alarm, guard, note="住户忘带门卡，已核实")

    alarm = Alarm.objects.get(pk=forced_alarm.pk)
    assert (alarm.status, alarm.closed_by) == ("closed", guard)
    assert alarm.closed_at >= alarm.acknowledged_at
    assert alarm.actions.get(action="closed").note == "住户忘带门卡，已核实"
    assert AuditRecord.objects.filter(action="alarm.close", object_id=str(alarm.pk)).exists()
    assert list(alarm.actions.values_list("action", flat=True)) == ["raised", "acknowledged", "closed"]


def test_it_refuses_to_close_an_unacknowledged_alarm(forced_alarm, guard):
    _refused_as_illegal(lambda: _close(forced_alarm, guard))

    alarm = Alarm.objects.get(pk=forced_alarm.pk)
    assert (alarm.status, alarm.closed_at) == ("raised", None)
    assert not AuditRecord.objects.filter(action="alarm.close").exists()


def test_it_refuses_to_acknowledge_twice(forced_alarm, guard, police):
    _ack(forced_alarm, guard)

    _refused_as_illegal(lambda: _ack(forced_alarm, police))

    assert Alarm.objects.get(pk=forced_alarm.pk).acknowledged_by == guard


def test_it_refuses_to_acknowledge_a_closed_alarm(forced_alarm, guard):
    _ack(forced_alarm, guard)
    _close(forced_alarm, guard)

    _refused_as_illegal(lambda: _ack(forced_alarm, guard))


def test_it_refuses_to_close_a_closed_alarm(forced_alarm, guard):
    _ack(forced_alarm, guard)
    closed = _close(forced_alarm, guard)

    _refused_as_illegal(lambda: _close(forced_alarm, guard))

    assert Alarm.objects.get(pk=forced_alarm.pk).closed_at == closed.closed_at


def test_it_judges_by_the_stored_state_not_the_callers_copy(forced_alarm, guard, police):
    stale = Alarm.objects.get(pk=forced_alarm.pk)
    _ack(forced_alarm, guard)

    _refused_as_illegal(lambda: _ack(stale, police))


def test_it_refuses_a_guard_of_another_complex(forced_alarm, guard_b):
    with pytest.raises(PermissionDenied):
        _ack(forced_alarm, guard_b)

    assert Alarm.objects.get(pk=forced_alarm.pk).status == "raised"


def test_it_refuses_staff_without_the_alarms_role(forced_alarm, worker):
    with pytest.raises(PermissionDenied):
        _ack(forced_alarm, worker)


def test_it_refuses_the_system_actor(forced_alarm):
    with pytest.raises(PermissionDenied):
        services.alarm_acknowledge(alarm=forced_alarm, actor=Actor.system())


def test_it_lets_police_of_the_community_acknowledge(forced_alarm, police):
    assert _ack(forced_alarm, police).acknowledged_by == police


def test_it_adds_a_note_to_an_open_alarm(forced_alarm, guard):
    services.alarm_note(alarm=forced_alarm, actor=Actor(user=guard), note="监控显示一名男子进入")

    alarm = Alarm.objects.get(pk=forced_alarm.pk)
    assert alarm.status == "raised"
    assert alarm.actions.get(action="note").note == "监控显示一名男子进入"


def test_it_refuses_an_empty_note(forced_alarm, guard):
    with pytest.raises(ValidationError) as caught:
        services.alarm_note(alarm=forced_alarm, actor=Actor(user=guard), note="   ")

    assert caught.value.error_dict["note"][0].code == "required"


def test_it_refuses_a_note_on_a_closed_alarm(forced_alarm, guard):
    _ack(forced_alarm, guard)
    _close(forced_alarm, guard)

    _refused_as_illegal(lambda: services.alarm_note(alarm=forced_alarm, actor=Actor(user=guard), note="补记"))


def test_it_refuses_an_overlong_note(forced_alarm, guard):
    with pytest.raises(ValidationError) as caught:
        _ack(forced_alarm, guard, note="长" * 501)

    assert caught.value.error_dict["note"][0].code == "max_length"
    assert Alarm.objects.get(pk=forced_alarm.pk).status == "raised"


def test_the_database_refuses_a_closed_alarm_without_a_closing_time(forced_alarm):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Alarm.objects.filter(pk=forced_alarm.pk).update(status="closed", acknowledged_at=forced_alarm.raised_at)
