"""Alarms nobody acknowledged in time go to the community police, then to the street."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.alarms import services
from shequ.alarms.models import Alarm, PoliceForward
from shequ.alarms.tests.conftest import ingest

pytestmark = pytest.mark.django_db


def _after(alarm, seconds: float):
    return alarm.raised_at + timedelta(seconds=seconds)


def test_it_leaves_an_alarm_alone_before_its_time(forced_alarm):
    assert services.alarms_escalate_due(_after(forced_alarm, 59)) == []

    assert Alarm.objects.get(pk=forced_alarm.pk).escalation_level == 0


def test_an_unacknowledged_alarm_goes_to_the_police_after_a_minute(forced_alarm):
    moment = _after(forced_alarm, 60)

    escalated = services.alarms_escalate_due(moment)

    assert [alarm.pk for alarm in escalated] == [forced_alarm.pk]
    alarm = Alarm.objects.get(pk=forced_alarm.pk)
    assert (alarm.escalation_level, alarm.escalated_police_at, alarm.escalated_street_at) == (1, moment, None)
    assert alarm.status == "raised"
    action = alarm.actions.get(action="escalated")
    assert (action.at, action.by, action.by_name, action.note) == (moment, None, "<escalation>", "已升级至社区民警")
    record = AuditRecord.objects.get(action="alarm.escalate")
    assert (record.object_id, record.detail["level"], record.detail["unacknowledged_seconds"]) == (
        str(alarm.pk), 1, 60)


def test_then_to_the_street_after_five_minutes(forced_alarm):
    services.alarms_escalate_due(_after(forced_alarm, 61))
    assert services.alarms_escalate_due(_after(forced_alarm, 299)) == []

    services.alarms_escalate_due(_after(forced_alarm, 300))

    alarm = Alarm.objects.get(pk=forced_alarm.pk)
    assert (alarm.escalation_level, alarm.escalated_police_at, alarm.escalated_street_at) == (
        2, _after(forced_alarm, 61), _after(forced_alarm, 300))
    assert list(alarm.actions.filter(action="escalated").values_list("note", flat=True)) == [
        "已升级至社区民警", "已升级至街道"]


def test_an_alarm_found_late_goes_to_both_at_once(forced_alarm):
    moment = _after(forced_alarm, 900)

    services.alarms_escalate_due(moment)

    alarm = Alarm.objects.get(pk=forced_alarm.pk)
    assert (alarm.escalation_level, alarm.escalated_police_at, alarm.escalated_street_at) == (2, moment, moment)
    assert alarm.actions.filter(action="escalated").count() == 2


def test_an_acknowledged_alarm_does_not_escalate(forced_alarm, guard):
    services.alarm_acknowledge(alarm=forced_alarm, actor=Actor(user=guard))

    assert services.alarms_escalate_due(_after(forced_alarm, 900)) == []

    alarm = Alarm.objects.get(pk=forced_alarm.pk)
    assert (alarm.escalation_level, alarm.escalated_police_at) == (0, None)
    assert not alarm.actions.filter(action="escalated").exists()


def test_an_escalated_alarm_stops_escalating_once_acknowledged(forced_alarm, police):
    services.alarms_escalate_due(_after(forced_alarm, 61))
    services.alarm_acknowledge(alarm=forced_alarm, actor=Actor(user=police))

    services.alarms_escalate_due(_after(forced_alarm, 900))

    assert Alarm.objects.get(pk=forced_alarm.pk).escalation_level == 1


def test_running_twice_escalates_once(forced_alarm):
    moment = _after(forced_alarm, 61)
    services.alarms_escalate_due(moment)

    assert services.alarms_escalate_due(moment) == []
    assert Alarm.objects.get(pk=forced_alarm.pk).actions.filter(action="escalated").count() == 1


def test_kinds_that_do_not_escalate_stay(door_a):
    _event, (held,) = ingest(door_a, "held_open")

    assert services.alarms_escalate_due(_after(held, 3600)) == []


def test_an_sos_escalates_too(indoor_a):
    _event, (sos,) = ingest(indoor_a, "sos")

    services.alarms_escalate_due(_after(sos, 60))

    assert Alarm.objects.get(pk=sos.pk).escalation_level == 1


def test_the_times_are_settings(forced_alarm, settings):
    settings.SHEQU_ALARM_ESCALATE_POLICE_SECONDS = 10
    settings.SHEQU_ALARM_ESCALATE_STREET_SECONDS = 20

    services.alarms_escalate_due(_after(forced_alarm, 20))

    assert Alarm.objects.get(pk=forced_alarm.pk).escalation_level == 2


def test_without_a_police_link_nothing_is_forwarded_automatically(forced_alarm):
    services.alarms_escalate_due(_after(forced_alarm, 61))

    assert not PoliceForward.objects.exists()
    assert Alarm.objects.get(pk=forced_alarm.pk).police_status == ""


def test_with_a_police_link_reaching_the_police_forwards_the_alarm(forced_alarm, link_server):
    server = link_server([200])
    moment = _after(forced_alarm, 61)

    result = services.alarms_tick(moment)

    assert [alarm.pk for alarm in result.escalated] == [forced_alarm.pk]
    forward = PoliceForward.objects.get()
    assert (forward.reason, forward.status, forward.requested_by, forward.attempt_count) == (
        "escalation", "sent", None, 1)
    assert len(server.received) == 1
    assert Alarm.objects.get(pk=forced_alarm.pk).police_status == "sent"


def test_reaching_the_street_does_not_forward_again(forced_alarm, link_server):
    link_server([200])
    services.alarms_tick(_after(forced_alarm, 61))

    services.alarms_tick(_after(forced_alarm, 301))

    assert PoliceForward.objects.count() == 1


def test_the_escalated_alarm_shows_on_the_police_console_list(client_for, forced_alarm, police):
    services.alarms_escalate_due(_after(forced_alarm, 61))

    html = client_for(police).get("/alarms/history/?escalation=1").content.decode()

    assert f'data-alarm-id="{forced_alarm.pk}"' in html
    assert "已升级至社区民警" in html


def test_the_street_lists_what_reached_the_street(client_for, forced_alarm, door_a, street_cadre):
    _event, (other,) = ingest(door_a, "held_open")
    services.alarms_escalate_due(_after(forced_alarm, 301))

    html = client_for(street_cadre).get("/alarms/history/?escalation=2").content.decode()

    assert f'data-alarm-id="{forced_alarm.pk}"' in html
    assert f'data-alarm-id="{other.pk}"' not in html


def test_the_tick_command_escalates(forced_alarm):
    from io import StringIO

    out = StringIO()
    call_command("alarms_tick", now=_after(forced_alarm, 61).isoformat(), stdout=out)

    assert "escalated 1" in out.getvalue()
    assert Alarm.objects.get(pk=forced_alarm.pk).escalation_level == 1


def test_the_tick_command_refuses_a_bad_time():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("alarms_tick", now="yesterday")


def test_the_periodic_job_runs_it(forced_alarm):
    """``shequ.core.jobs`` names the escalation by its dotted path and passes ``now``."""
    from shequ.core.jobs import JOBS, job_run

    job = next(job for job in JOBS if job.name == "alarms.escalate")

    assert job_run(job, now=_after(forced_alarm, 61))
    assert Alarm.objects.get(pk=forced_alarm.pk).escalation_level == 1
