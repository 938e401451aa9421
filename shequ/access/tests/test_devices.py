"""Device registration, secrets, heartbeats and the offline sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shequ.access import protocol
from shequ.access.models import Device
from shequ.access.services import (
    device_heartbeat_record, device_register, device_secret, device_secret_for, device_secret_rotate, device_update,
    devices_heartbeats_record, devices_mark_offline,
)
from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.registry.tests.factories import SYSTEM

pytestmark = pytest.mark.django_db


def _register(tree, device_id="cqf-gate-09", **extra):
    return device_register(actor=SYSTEM, device_id=device_id, name="北门", kind="gate", area=tree.complex_a, **extra)


def test_it_generates_a_secret_and_stores_it_only_encrypted(tree):
    registered = _register(tree)
    device = Device.objects.get(pk=registered.device.pk)
    assert len(registered.secret) >= 40
    assert registered.secret not in device.secret_cipher
    assert device_secret(device) == registered.secret


def test_it_keeps_the_secret_out_of_the_audit_log(tree):
    registered = _register(tree)
    record = AuditRecord.objects.get(action="access.device_registered")
    assert registered.secret not in str(record.detail)


def test_it_verifies_messages_signed_with_the_devices_secret(tree):
    registered = _register(tree)
    raw = protocol.message_encode(device_id="cqf-gate-09", body={"uptime": 1.0, "synced_version": 0, "outbox": 0},
                                  secret=registered.secret)
    assert protocol.envelope_open(raw, secret_for=device_secret_for).device_id == "cqf-gate-09"


def test_it_stops_accepting_the_old_secret_after_rotation(tree):
    registered = _register(tree)
    new = device_secret_rotate(actor=SYSTEM, device=registered.device)
    old_raw = protocol.message_encode(device_id="cqf-gate-09", body={}, secret=registered.secret)
    with pytest.raises(protocol.ProtocolError):
        protocol.envelope_open(old_raw, secret_for=device_secret_for)
    assert device_secret_for("cqf-gate-09") == new


def test_it_knows_no_secret_for_a_disabled_device(tree):
    registered = _register(tree)
    device_update(actor=SYSTEM, device=registered.device, is_active=False)
    assert device_secret_for("cqf-gate-09") is None


def test_it_gives_barriers_plates_and_doors_cards_by_default(tree):
    barrier = device_register(actor=SYSTEM, device_id="bar-1", name="道闸", kind="vehicle_barrier",
                              area=tree.complex_a).device
    assert barrier.credential_kinds == "plate"
    assert _register(tree).device.credential_kinds == "face,card,pin,qr"


@pytest.mark.parametrize("device_id", ["has space", "gate/#", "", "x" * 65])
def test_it_refuses_a_device_id_unfit_for_a_topic(tree, device_id):
    with pytest.raises(ValidationError) as caught:
        _register(tree, device_id=device_id)
    assert "device_id" in caught.value.message_dict


def test_it_refuses_a_duplicate_device_id(tree):
    _register(tree)
    with pytest.raises(ValidationError):
        _register(tree)


def test_it_refuses_an_outsider_registering_in_another_community(tree, outsider):
    with pytest.raises(PermissionDenied):
        device_register(actor=Actor(user=outsider), device_id="x1", name="x", kind="gate", area=tree.complex_a)
    assert not Device.objects.exists()


def test_it_records_a_heartbeat(tree):
    device = _register(tree).device
    now = timezone.now()
    device_heartbeat_record(device=device, at=now, synced_version=3)
    device.refresh_from_db()
    assert device.last_heartbeat_at == now and device.synced_version == 3
    assert device.is_online(now + timedelta(seconds=60))


def test_it_never_moves_the_last_heartbeat_backwards(tree):
    device = _register(tree).device
    now = timezone.now()
    device_heartbeat_record(device=device, at=now)
    device_heartbeat_record(device=device, at=now - timedelta(minutes=5))
    device.refresh_from_db()
    assert device.last_heartbeat_at == now


def test_it_records_the_heartbeats_of_many_devices_in_statements_of_a_bounded_size(tree, monkeypatch):
    from shequ.access.services import devices as devices_module

    monkeypatch.setattr(devices_module, "HEARTBEATS_PER_STATEMENT", 2)
    first, second, third = (_register(tree, device_id=f"hb-{n}").device for n in range(3))
    now = timezone.now()
    device_heartbeat_record(device=second, at=now)  # already heard later than its delayed beat below

    devices_heartbeats_record([(first.pk, now, 4), (second.pk, now - timedelta(minutes=1), None),
                               (third.pk, now, 0), (first.pk, now - timedelta(seconds=1), 9), (999_999, now, 1)])

    heard = {device.pk: (device.last_heartbeat_at, device.synced_version) for device in Device.objects.all()}
    assert heard[first.pk] == (now, 4)  # its later heartbeat counts, not the one listed last
    assert heard[second.pk] == (now, 0)  # never backwards; no version sent, none changed
    assert heard[third.pk] == (now, 0)


def test_many_heartbeats_clear_each_raised_fault_once(tree, monkeypatch):
    from shequ.access.services import devices as devices_module

    back = []
    monkeypatch.setattr(devices_module, "device_back_online", lambda *, device, at: back.append(device.pk))
    device, silent = (_register(tree, device_id=f"hb-{n}").device for n in range(2))
    now = timezone.now()
    devices_heartbeats_record([(device.pk, now, None), (silent.pk, now, None)])
    devices_mark_offline(now=now + timedelta(minutes=5))

    devices_heartbeats_record([(device.pk, now + timedelta(minutes=6), None)])
    devices_heartbeats_record([(device.pk, now + timedelta(minutes=7), None)])

    assert back == [device.pk]
    assert list(Device.objects.filter(fault_raised_at__isnull=False).values_list("pk", flat=True)) == [silent.pk]


def test_a_failure_noting_a_device_back_online_keeps_the_heartbeats(tree, monkeypatch):
    from shequ.access.services import devices as devices_module

    def broken(*, device, at):
        raise RuntimeError("a bug in the alarms")

    monkeypatch.setattr(devices_module, "device_back_online", broken)
    device = _register(tree).device
    now = timezone.now()
    devices_heartbeats_record([(device.pk, now, None)])
    devices_mark_offline(now=now + timedelta(minutes=5))

    devices_heartbeats_record([(device.pk, now + timedelta(minutes=6), 7)])

    device.refresh_from_db()
    assert (device.last_heartbeat_at, device.synced_version, device.fault_raised_at) == (
        now + timedelta(minutes=6), 7, None)


def test_it_marks_a_silent_device_offline_once(tree):
    device = _register(tree).device
    now = timezone.now()
    device_heartbeat_record(device=device, at=now)
    assert devices_mark_offline(now=now + timedelta(seconds=119)) == []
    assert [d.pk for d in devices_mark_offline(now=now + timedelta(seconds=121))] == [device.pk]
    assert devices_mark_offline(now=now + timedelta(seconds=300)) == []
    device.refresh_from_db()
    assert device.fault_raised_at == now + timedelta(seconds=121)
    assert not device.is_online(now + timedelta(seconds=121))


def test_it_honours_each_devices_own_timeout(tree):
    device = _register(tree, heartbeat_timeout_seconds=600).device
    now = timezone.now()
    device_heartbeat_record(device=device, at=now)
    assert devices_mark_offline(now=now + timedelta(seconds=300)) == []


def test_it_leaves_a_device_that_never_reported_alone(tree):
    _register(tree)
    assert devices_mark_offline(now=timezone.now() + timedelta(days=1)) == []


def test_it_clears_the_fault_when_the_device_is_heard_again(tree):
    device = _register(tree).device
    now = timezone.now()
    device_heartbeat_record(device=device, at=now)
    devices_mark_offline(now=now + timedelta(minutes=5))
    device_heartbeat_record(device=device, at=now + timedelta(minutes=6))
    device.refresh_from_db()
    assert device.fault_raised_at is None


def test_it_raises_an_offline_alarm_when_the_alarms_app_can(tree):
    alarms = pytest.importorskip("shequ.alarms.services", reason="alarms services not built yet")
    if not hasattr(alarms, "alarm_raise"):
        pytest.skip("shequ.alarms.services has no alarm_raise yet")
    from shequ.alarms.models import Alarm

    device = _register(tree).device
    now = timezone.now()
    device_heartbeat_record(device=device, at=now)
    devices_mark_offline(now=now + timedelta(minutes=5))
    assert Alarm.objects.filter(device=device, kind="device_offline").count() == 1


def test_it_sweeps_from_the_command_line(tree):
    from io import StringIO

    from django.core.management import call_command

    device = _register(tree).device
    device_heartbeat_record(device=device, at=timezone.now() - timedelta(hours=1))
    out = StringIO()
    call_command("access_sweep", stdout=out)
    assert out.getvalue().startswith("offline: 1;")
    device.refresh_from_db()
    assert device.fault_raised_at is not None
