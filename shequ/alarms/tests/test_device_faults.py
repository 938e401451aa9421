"""A device that stops sending heartbeats raises one device-offline alarm."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shequ.access.models import Device
from shequ.alarms import services
from shequ.alarms.models import Alarm

pytestmark = pytest.mark.django_db


def _heard(device, seconds_ago: int) -> Device:
    device.last_heartbeat_at = timezone.now() - timedelta(seconds=seconds_ago)
    device.heartbeat_timeout_seconds = 120
    device.save()
    return device


def test_it_raises_an_offline_alarm_after_the_timeout(door_a):
    _heard(door_a, 121)

    (alarm,) = services.alarms_for_silent_devices()

    assert (alarm.kind, alarm.device, alarm.area) == ("device_offline", door_a, door_a.area)
    assert alarm.occurred_at == door_a.last_heartbeat_at + timedelta(seconds=120)
    door_a.refresh_from_db()
    assert door_a.fault_raised_at is not None


def test_it_raises_one_alarm_per_outage(door_a):
    _heard(door_a, 500)
    services.alarms_for_silent_devices()

    assert services.alarms_for_silent_devices() == []
    assert Alarm.objects.count() == 1


def test_it_leaves_devices_within_their_timeout_alone(door_a):
    _heard(door_a, 119)

    assert services.alarms_for_silent_devices() == []


def test_it_does_not_judge_devices_never_heard_from(door_a):
    assert services.alarms_for_silent_devices() == []


def test_it_ignores_inactive_devices(door_a):
    _heard(door_a, 500)
    Device.objects.filter(pk=door_a.pk).update(is_active=False)

    assert services.alarms_for_silent_devices() == []


def test_it_clears_the_fault_and_notes_it_when_heartbeats_resume(door_a):
    _heard(door_a, 500)
    (alarm,) = services.alarms_for_silent_devices()

    assert services.device_fault_clear(device=door_a) == 1

    door_a.refresh_from_db()
    assert door_a.fault_raised_at is None
    assert alarm.actions.filter(action="note").exists()
    assert Alarm.objects.get(pk=alarm.pk).status == "raised"  # a guard still closes it


def test_it_raises_again_after_a_cleared_fault(door_a):
    _heard(door_a, 500)
    services.alarms_for_silent_devices()
    services.device_fault_clear(device=door_a)
    _heard(door_a, 500)

    assert len(services.alarms_for_silent_devices()) == 1
