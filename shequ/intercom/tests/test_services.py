from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from shequ.access.models import AccessEvent
from shequ.accounts.audit import Actor
from shequ.intercom import services
from shequ.intercom.models import IntercomCall


def _actor(user):
    return Actor(user=user, via="web")


def test_it_records_the_opener_of_a_remote_unlock(door, resident_user, tree):
    call = services.call_start(device=door, house_number="0301")
    services.call_answer(call=call, actor=_actor(resident_user))
    event = services.call_unlock(call=call, actor=_actor(resident_user))
    call.refresh_from_db()
    assert call.status == "answered" and call.answered_by == resident_user
    assert call.unlocked_by == resident_user and call.unlock_cmd_id
    stored = AccessEvent.objects.get(pk=event.pk)
    assert stored.kind == "remote_unlock" and stored.device == door
    assert stored.payload["opened_by"] == resident_user.pk


def test_a_remote_unlock_queues_an_open_command_for_the_calling_door(door, resident_user):
    from shequ.access.models import Outbound

    call = services.call_start(device=door, house_number="0301")
    services.call_answer(call=call, actor=_actor(resident_user))
    services.call_unlock(call=call, actor=_actor(resident_user))
    call.refresh_from_db()

    queued = Outbound.objects.get()
    assert queued.device == door and queued.name == "cmd"
    assert queued.body == {"cmd": "open", "cmd_id": call.unlock_cmd_id, "seconds": services.UNLOCK_SECONDS}


def test_it_rejects_an_unknown_house_number(door):
    with pytest.raises(ValidationError):
        services.call_start(device=door, house_number="9999")


def test_it_marks_an_unanswered_call_missed_after_the_timeout(door, resident_user):
    call = services.call_start(device=door, house_number="0301")
    IntercomCall.objects.filter(pk=call.pk).update(started_at=timezone.now() - services.RING_TIMEOUT - timedelta(seconds=1))
    assert services.calls_expire() == 1
    call.refresh_from_db()
    assert call.status == "missed"
    assert list(services.missed_calls_for_user(user=resident_user)) == [call]


def test_it_refuses_answering_a_call_past_the_timeout(door, resident_user):
    call = services.call_start(device=door, house_number="0301")
    IntercomCall.objects.filter(pk=call.pk).update(started_at=timezone.now() - services.RING_TIMEOUT)
    with pytest.raises(ValidationError):
        services.call_answer(call=call, actor=_actor(resident_user))
    call.refresh_from_db()
    assert call.status == "missed"


def test_it_forbids_a_resident_of_another_house(door, neighbour):
    call = services.call_start(device=door, house_number="0301")
    with pytest.raises(PermissionDenied):
        services.call_answer(call=call, actor=_actor(neighbour))
    with pytest.raises(PermissionDenied):
        services.call_unlock(call=call, actor=_actor(neighbour))
    assert not AccessEvent.objects.exists()


def test_it_lets_the_complex_guard_unlock(door, guard):
    call = services.call_start(device=door, guard_room=True)
    services.call_answer(call=call, actor=_actor(guard))
    services.call_unlock(call=call, actor=_actor(guard))
    call.refresh_from_db()
    assert call.unlocked_by == guard


def test_it_keeps_residents_out_of_guard_room_calls(door, resident_user):
    call = services.call_start(device=door, guard_room=True)
    with pytest.raises(PermissionDenied):
        services.call_answer(call=call, actor=_actor(resident_user))


def test_it_hides_calls_from_outsiders(door, outsider):
    call = services.call_start(device=door, house_number="0301")
    with pytest.raises(Http404):
        services.call_get_for_user(user=outsider, call_id=call.pk)


def test_it_refuses_unlock_after_the_call_ended(door, resident_user):
    call = services.call_start(device=door, house_number="0301")
    services.call_answer(call=call, actor=_actor(resident_user))
    services.call_end(call=call)
    with pytest.raises(ValidationError):
        services.call_unlock(call=call, actor=_actor(resident_user))
