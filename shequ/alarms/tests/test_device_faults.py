"""A device that stops sending heartbeats raises one device-offline alarm (the access
app's sweep calls ``alarm_raise``); its return is noted on the alarm."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shequ.access.models import Device
from shequ.alarms import services
from shequ.alarms.models import Alarm

pytestmark = pytest.mark.django_db


def _silent(device, seconds: int) -> Device:
    Device.objects.filter(pk=device.pk).update(last_heartbeat_at=timezone.now() - timedelta(seconds=seconds),
                                               heartbeat_timeout_seconds=120)
    device.refresh_from_db()
    return device


def _sweep():
    from shequ.access.services import devices_mark_offline

    return devices_mark_offline()


def test_the_offline_sweep_raises_a_device_offline_alarm(door_a):
    _silent(door_a, 500)

    _sweep()

    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.device, alarm.area, alarm.status) == ("device_offline", door_a, door_a.area, "raised")


def test_one_outage_raises_one_alarm(door_a):
    _silent(door_a, 500)
    _sweep()
    _sweep()

    assert Alarm.objects.count() == 1


def test_a_device_within_its_timeout_raises_nothing(door_a):
    _silent(door_a, 60)

    _sweep()

    assert not Alarm.objects.exists()


def test_it_notes_the_return_on_open_offline_alarms(door_a):
    _silent(door_a, 500)
    _sweep()
    alarm = Alarm.objects.get()

    assert services.alarms_device_back_online(device=door_a) == 1

    assert alarm.actions.filter(action="note").exists()
    assert Alarm.objects.get(pk=alarm.pk).status == "raised"  # a guard still closes it


def test_it_leaves_closed_offline_alarms_alone(door_a, guard):
    from shequ.accounts.audit import Actor

    _silent(door_a, 500)
    _sweep()
    alarm = Alarm.objects.get()
    services.alarm_acknowledge(alarm=alarm, actor=Actor(user=guard))
    services.alarm_close(alarm=alarm, actor=Actor(user=guard))

    assert services.alarms_device_back_online(device=door_a) == 0


def test_a_heartbeat_after_the_outage_notes_the_return_on_its_alarm(door_a):
    from shequ.access.services import devices_heartbeats_record

    _silent(door_a, 500)
    _sweep()

    devices_heartbeats_record([(door_a.pk, timezone.now(), None)])

    alarm = Alarm.objects.get()
    assert list(alarm.actions.values_list("action", flat=True)) == ["raised", "note"]
    assert alarm.status == "raised"
