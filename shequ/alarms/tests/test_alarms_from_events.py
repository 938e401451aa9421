"""Device events the ingest stored become alarms: forced entry and door held open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.alarms import services
from shequ.alarms.models import Alarm, AlarmAction
from shequ.alarms.tests.conftest import ingest, store_event

pytestmark = pytest.mark.django_db


def test_it_raises_a_forced_entry_alarm_at_the_door(door_a):
    event, alarms = ingest(door_a, "forced", reason="door contact opened")

    alarm = Alarm.objects.get()
    assert alarms == [alarm]
    assert (alarm.kind, alarm.status, alarm.device, alarm.area, alarm.event) == (
        "forced_entry", "raised", door_a, door_a.area, event)
    assert alarm.occurred_at == event.occurred_at
    assert alarm.detail == "door contact opened"


def test_it_raises_a_door_held_alarm(door_a):
    ingest(door_a, "held_open")

    assert Alarm.objects.get().kind == "door_held"


def test_it_starts_the_timeline_and_the_audit_log(door_a):
    event, (alarm,) = ingest(door_a, "forced")

    action = AlarmAction.objects.get(alarm=alarm)
    assert (action.action, action.by, action.by_name, action.event) == ("raised", None, "<gateway>", event)
    record = AuditRecord.objects.get(action="alarm.raise")
    assert (record.object_id, record.area_path) == (str(alarm.pk), door_a.area.path)


@pytest.mark.parametrize("kind", ["pass", "refused", "remote_unlock", "plate"])
def test_it_raises_no_alarm_for_ordinary_events(door_a, kind):
    _event, alarms = ingest(door_a, kind)

    assert alarms == []
    assert not Alarm.objects.exists()


def test_it_counts_another_forced_entry_as_a_repeat_while_unacknowledged(door_a):
    _first, (alarm,) = ingest(door_a, "forced")
    later = timezone.now() + timedelta(seconds=30)
    second, repeated = ingest(door_a, "forced", occurred_at=later)

    assert repeated == [alarm]
    alarm.refresh_from_db()
    assert Alarm.objects.count() == 1
    assert (alarm.repeat_count, alarm.last_occurred_at) == (1, later)
    assert alarm.actions.filter(action="repeated", event=second).exists()


def test_it_raises_a_new_alarm_once_the_first_is_acknowledged(door_a, guard):
    _event, (first,) = ingest(door_a, "forced")
    services.alarm_acknowledge(alarm=first, actor=Actor(user=guard))

    _event, (second,) = ingest(door_a, "forced")

    assert second.pk != first.pk
    assert Alarm.objects.count() == 2


def test_it_keeps_doors_apart(door_a, gate_a):
    ingest(door_a, "forced")
    ingest(gate_a, "forced")

    assert Alarm.objects.count() == 2


def test_it_changes_nothing_when_given_the_same_events_twice(door_a):
    event = store_event(door_a, "forced")
    services.alarms_from_events([event])

    again = services.alarms_from_events([event])

    assert again == []
    alarm = Alarm.objects.get()
    assert alarm.repeat_count == 0
    assert alarm.actions.count() == 1


def test_it_handles_a_batch_of_many_kinds(door_a, gate_a):
    events = [store_event(door_a, "pass"), store_event(door_a, "forced"), store_event(gate_a, "held_open"),
              store_event(door_a, "forced")]

    alarms = services.alarms_from_events(events)

    assert sorted(alarm.kind for alarm in alarms) == ["door_held", "forced_entry"]
    assert Alarm.objects.get(kind="forced_entry").repeat_count == 1


def test_it_raises_and_repeats_a_batchs_alarms_in_statements_that_do_not_grow_with_the_alarms(
        door_a, gate_a, django_assert_max_num_queries):
    start = timezone.now()
    first = store_event(door_a, "forced", occurred_at=start)
    held = store_event(gate_a, "held_open", occurred_at=start)
    ingest(door_a, "forced", occurred_at=start - timedelta(minutes=1))  # an alarm raised by an earlier batch
    earlier = Alarm.objects.get()
    more = [store_event(gate_a, "held_open", occurred_at=start + timedelta(seconds=n)) for n in range(1, 30)]
    more += [store_event(door_a, "forced", occurred_at=start + timedelta(seconds=n)) for n in range(1, 30)]

    with django_assert_max_num_queries(16):  # about 7 an alarm before: 400 here
        services.alarms_from_events([first, held, *more])

    earlier.refresh_from_db()
    assert earlier.repeat_count == 30  # the door's alarm was still unacknowledged: every forced entry repeats it
    new = Alarm.objects.get(kind="door_held")
    assert (new.event, new.repeat_count, new.last_occurred_at) == (held, 29, start + timedelta(seconds=29))
    assert list(new.actions.order_by("at", "pk").values_list("action", flat=True)) == ["raised"] + ["repeated"] * 29
    assert AuditRecord.objects.filter(action="alarm.raise").count() == 2  # one per alarm raised, none per repeat


def test_it_finds_the_ids_of_events_stored_without_them(door_a):
    from shequ.access.models import AccessEvent

    now = timezone.now()
    unsaved = AccessEvent(device=door_a, event_id="bulk-1", kind="forced", occurred_at=now, received_at=now)
    AccessEvent.objects.bulk_create([unsaved], ignore_conflicts=True)
    unsaved.pk = None  # what ignore_conflicts gives back on every database

    (alarm,) = services.alarms_from_events([unsaved])

    assert alarm.event == AccessEvent.objects.get(event_id="bulk-1")


def test_it_accepts_an_empty_batch():
    assert services.alarms_from_events([]) == []


def test_it_refuses_an_unknown_alarm_kind(door_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.alarm_raise(kind="meteor", area=door_a.area, device=door_a)

    assert "kind" in caught.value.error_dict
    assert not Alarm.objects.exists()


def test_it_raises_an_alarm_without_a_device(tree):
    alarm = services.alarm_raise(kind="forced_entry", area=tree.complex_a, detail="巡逻发现")

    assert (alarm.device, alarm.area, alarm.status) == (None, tree.complex_a, "raised")
