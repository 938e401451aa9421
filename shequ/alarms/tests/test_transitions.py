"""Acknowledge, dispatch, on scene, close: in this order only, each stamped with when and who."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.alarms import services
from shequ.alarms.models import Alarm

pytestmark = pytest.mark.django_db


def _do(step, alarm, user, note=""):
    return getattr(services, f"alarm_{step}")(alarm=alarm, actor=Actor(user=user, ip="10.0.0.9"), note=note)


def _refusal(call) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    error = caught.value.error_dict["status"][0]
    assert error.code == "illegal_transition"
    return error.messages[0]


def test_it_records_each_step_with_its_time_and_actor(forced_alarm, guard, police):
    _do("acknowledge", forced_alarm, guard)
    _do("dispatch", forced_alarm, guard, note="派保安张师傅前往")
    _do("on_scene", forced_alarm, police, note="民警已到场")
    _do("close", forced_alarm, police, note="系误报")

    alarm = Alarm.objects.get(pk=forced_alarm.pk)
    assert alarm.status == "closed"
    assert (alarm.acknowledged_by, alarm.dispatched_by, alarm.on_scene_by, alarm.closed_by) == (
        guard, guard, police, police)
    assert alarm.raised_at <= alarm.acknowledged_at <= alarm.dispatched_at <= alarm.on_scene_at <= alarm.closed_at
    timeline = list(alarm.actions.values_list("action", "by__username", "note"))
    assert timeline == [("raised", None, "door contact opened"), ("acknowledged", "guard_a", ""),
                        ("dispatched", "guard_a", "派保安张师傅前往"), ("on_scene", "police_a", "民警已到场"),
                        ("closed", "police_a", "系误报")]
    assert alarm.actions.get(action="on_scene").at == alarm.on_scene_at


def test_it_audits_dispatch_and_on_scene(forced_alarm, guard):
    _do("acknowledge", forced_alarm, guard)
    _do("dispatch", forced_alarm, guard)
    _do("on_scene", forced_alarm, guard)

    actions = set(AuditRecord.objects.filter(object_id=str(forced_alarm.pk)).values_list("action", flat=True))
    assert {"alarm.dispatch", "alarm.on_scene"} <= actions


def test_it_refuses_to_dispatch_before_the_acknowledgement(forced_alarm, guard):
    message = _refusal(lambda: _do("dispatch", forced_alarm, guard))

    assert "须先确认报警" in message
    alarm = Alarm.objects.get(pk=forced_alarm.pk)
    assert (alarm.status, alarm.dispatched_at, alarm.dispatched_by) == ("raised", None, None)
    assert not AuditRecord.objects.filter(action="alarm.dispatch").exists()


def test_it_refuses_on_scene_before_the_dispatch(forced_alarm, guard):
    _do("acknowledge", forced_alarm, guard)

    message = _refusal(lambda: _do("on_scene", forced_alarm, guard))

    assert "须先派警" in message
    assert Alarm.objects.get(pk=forced_alarm.pk).on_scene_at is None


def test_it_refuses_to_dispatch_twice(forced_alarm, guard, police):
    _do("acknowledge", forced_alarm, guard)
    _do("dispatch", forced_alarm, guard)

    _refusal(lambda: _do("dispatch", forced_alarm, police))

    assert Alarm.objects.get(pk=forced_alarm.pk).dispatched_by == guard


def test_it_refuses_to_go_back_from_on_scene_to_dispatched(forced_alarm, guard):
    _do("acknowledge", forced_alarm, guard)
    _do("dispatch", forced_alarm, guard)
    _do("on_scene", forced_alarm, guard)

    _refusal(lambda: _do("dispatch", forced_alarm, guard))

    assert Alarm.objects.get(pk=forced_alarm.pk).status == "on_scene"


def test_it_refuses_any_step_on_a_closed_alarm(forced_alarm, guard):
    _do("acknowledge", forced_alarm, guard)
    _do("close", forced_alarm, guard)

    message = _refusal(lambda: _do("dispatch", forced_alarm, guard))

    assert "已关闭" in message


def test_closing_straight_after_the_acknowledgement_is_allowed(forced_alarm, guard):
    """A false alarm needs nobody sent."""
    _do("acknowledge", forced_alarm, guard)

    alarm = _do("close", forced_alarm, guard)

    assert (alarm.status, alarm.dispatched_at) == ("closed", None)


def test_a_street_cadre_may_watch_but_not_dispatch(forced_alarm, guard, street_cadre):
    _do("acknowledge", forced_alarm, guard)

    with pytest.raises(PermissionDenied):
        _do("dispatch", forced_alarm, street_cadre)


def test_the_database_refuses_on_scene_without_a_dispatch(forced_alarm, guard):
    from django.db import IntegrityError, transaction

    _do("acknowledge", forced_alarm, guard)

    with pytest.raises(IntegrityError), transaction.atomic():
        Alarm.objects.filter(pk=forced_alarm.pk).update(status="on_scene", on_scene_at=forced_alarm.raised_at)


# --- through the pages ------------------------------------------------------------------------------------------

def test_the_console_dispatches_and_gets_the_new_state(client_for, guard, forced_alarm):
    client = client_for(guard)
    client.post(f"/alarms/{forced_alarm.pk}/acknowledge/")

    response = client.post(f"/alarms/{forced_alarm.pk}/dispatch/", {"note": "已派人"}, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    item = response.json()["alarm"]
    assert (item["status"], item["dispatched_by"]) == ("dispatched", "guard_a")
    assert Alarm.objects.get(pk=forced_alarm.pk).dispatched_by == guard


def test_the_console_marks_on_scene(client_for, guard, forced_alarm):
    client = client_for(guard)
    client.post(f"/alarms/{forced_alarm.pk}/acknowledge/")
    client.post(f"/alarms/{forced_alarm.pk}/dispatch/")

    response = client.post(f"/alarms/{forced_alarm.pk}/on-scene/", HTTP_ACCEPT="application/json")

    assert response.json()["alarm"]["status"] == "on_scene"
    assert Alarm.objects.get(pk=forced_alarm.pk).on_scene_by == guard


def test_an_early_step_from_the_console_answers_409_with_the_reason(client_for, guard, forced_alarm):
    response = client_for(guard).post(f"/alarms/{forced_alarm.pk}/on-scene/", HTTP_ACCEPT="application/json")

    assert response.status_code == 409
    assert "须先确认并派警" in response.json()["detail"][0]["message"]
    assert Alarm.objects.get(pk=forced_alarm.pk).status == "raised"


def test_the_detail_page_offers_the_next_steps_only(client_for, guard, forced_alarm):
    client = client_for(guard)
    raised = client.get(f"/alarms/{forced_alarm.pk}/").content.decode()
    client.post(f"/alarms/{forced_alarm.pk}/acknowledge/")
    acknowledged = client.get(f"/alarms/{forced_alarm.pk}/").content.decode()

    assert 'data-step="acknowledged"' in raised and 'data-step="dispatched"' not in raised
    assert 'data-step="dispatched"' in acknowledged and 'data-step="closed"' in acknowledged
    assert 'data-step="acknowledged"' not in acknowledged
    assert f'action="/alarms/{forced_alarm.pk}/dispatch/"' in acknowledged


def test_a_guard_of_another_complex_cannot_dispatch(client_for, guard, guard_b, forced_alarm):
    client_for(guard).post(f"/alarms/{forced_alarm.pk}/acknowledge/")

    assert client_for(guard_b).post(f"/alarms/{forced_alarm.pk}/dispatch/").status_code == 404
    assert Alarm.objects.get(pk=forced_alarm.pk).status == "acknowledged"
