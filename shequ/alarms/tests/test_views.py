"""The console page, the alarm history and detail, and the acknowledge/close POSTs."""

from __future__ import annotations

import json

import pytest

from shequ.alarms.models import Alarm
from shequ.alarms.tests.conftest import ingest

pytestmark = pytest.mark.django_db


def _config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="console-config" type="application/json">') + len(
        '<script id="console-config" type="application/json">')
    return json.loads(html[start:html.index("</script>", start)])


def test_the_console_page_opens_for_a_guard(client_for, guard):
    response = client_for(guard).get("/alarms/")

    assert response.status_code == 200
    config = _config(response)
    assert config["wsPath"] == "/ws/alarms/console/"
    assert config["canHandle"] is True
    assert config["labels"]["alarmKind"]["forced_entry"] == "强行开门"
    assert config["actionUrl"] == "/alarms/{id}/{step}/"


def test_the_console_page_is_refused_to_staff_without_the_alarms_role(client_for, worker):
    assert client_for(worker).get("/alarms/").status_code == 403


def test_the_console_page_sends_anonymous_visitors_to_log_in(client):
    response = client.get("/alarms/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_nav_offers_the_console_to_guards_only(client_for, guard, worker):
    assert 'href="/alarms/"' in client_for(guard).get("/alarms/history/").content.decode()
    assert 'href="/alarms/"' not in client_for(worker).get("/").content.decode()


def test_the_history_lists_the_alarms_of_the_users_areas(client_for, guard, door_a, gate_b):
    ingest(door_a, "forced")
    ingest(gate_b, "held_open")

    html = client_for(guard).get("/alarms/history/").content.decode()

    assert "3号楼2单元门" in html
    assert "西何小区北门" not in html


def test_the_history_filters_by_status(client_for, guard, door_a, forced_alarm):
    html = client_for(guard).get("/alarms/history/?status=closed").content.decode()

    assert "3号楼2单元门" not in html


def test_the_detail_shows_the_timeline(client_for, guard, forced_alarm):
    client = client_for(guard)
    client.post(f"/alarms/{forced_alarm.pk}/acknowledge/")

    html = client.get(f"/alarms/{forced_alarm.pk}/").content.decode()

    assert 'data-action="raised"' in html
    assert 'data-action="acknowledged"' in html
    assert "guard_a" in html


def test_an_alarm_of_another_complex_does_not_exist_for_a_guard(client_for, guard_b, forced_alarm):
    client = client_for(guard_b)

    assert client.get(f"/alarms/{forced_alarm.pk}/").status_code == 404
    assert client.post(f"/alarms/{forced_alarm.pk}/acknowledge/").status_code == 404
    assert Alarm.objects.get(pk=forced_alarm.pk).status == "raised"


def test_acknowledging_from_the_console_answers_with_the_new_state(client_for, guard, forced_alarm):
    response = client_for(guard).post(f"/alarms/{forced_alarm.pk}/acknowledge/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["alarm"]["status"] == "acknowledged"
    assert Alarm.objects.get(pk=forced_alarm.pk).acknowledged_by == guard


def test_an_illegal_step_from_the_console_answers_409(client_for, guard, forced_alarm):
    response = client_for(guard).post(f"/alarms/{forced_alarm.pk}/close/", HTTP_ACCEPT="application/json")

    assert response.status_code == 409
    assert response.json()["detail"][0]["code"] == "illegal_transition"
    assert Alarm.objects.get(pk=forced_alarm.pk).status == "raised"


def test_closing_from_the_detail_page_keeps_the_note(client_for, guard, forced_alarm):
    client = client_for(guard)
    client.post(f"/alarms/{forced_alarm.pk}/acknowledge/")

    response = client.post(f"/alarms/{forced_alarm.pk}/close/", {"note": "误报，门磁松动"})

    assert response.status_code == 302
    alarm = Alarm.objects.get(pk=forced_alarm.pk)
    assert (alarm.status, alarm.closed_by) == ("closed", guard)
    assert alarm.actions.get(action="closed").note == "误报，门磁松动"


def test_an_illegal_step_from_the_detail_page_shows_why(client_for, guard, forced_alarm):
    response = client_for(guard).post(f"/alarms/{forced_alarm.pk}/close/", follow=True)

    assert "不能进行此操作" in response.content.decode()


def test_steps_need_post(client_for, guard, forced_alarm):
    assert client_for(guard).get(f"/alarms/{forced_alarm.pk}/acknowledge/").status_code == 405


def test_steps_need_the_second_factor(guard, forced_alarm):
    from django.test import Client

    client = Client()
    client.force_login(guard)  # password only: no second factor in the session

    response = client.post(f"/alarms/{forced_alarm.pk}/acknowledge/")

    assert response.status_code == 302
    assert Alarm.objects.get(pk=forced_alarm.pk).status == "raised"
