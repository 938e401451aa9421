"""The SOS reaching the consoles, the community police console and the street console:
who may open them, what each shows, live; police of one community never see another's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from shequ.accounts.audit import Actor
from shequ.alarms import services
from shequ.alarms.models import Alarm
from shequ.alarms.tests.conftest import ingest, ingest_stored, sos_from_terminal
from shequ.alarms.tests.test_consumer import WAIT, _headers, _session_of, run

pytestmark = pytest.mark.django_db(transaction=True)

GUARD_PATH, POLICE_PATH, STREET_PATH = "/ws/alarms/console/", "/ws/alarms/police/", "/ws/alarms/street/"


async def _open(user, path: str) -> tuple[WebsocketCommunicator, dict]:
    from shequ.asgi import application

    session = await database_sync_to_async(_session_of)(user)
    console = WebsocketCommunicator(application, path, headers=_headers(session))
    connected, _code = await console.connect(timeout=WAIT)
    assert connected
    snapshot = await console.receive_json_from(timeout=WAIT)
    assert snapshot["type"] == "snapshot"
    return console, snapshot


async def _alarm_message(console) -> dict:
    """The next "alarms" message (the guard room also gets the event stream)."""
    while True:
        message = await console.receive_json_from(timeout=WAIT)
        if message["type"] == "alarms":
            return message


def _refused(user, path: str) -> tuple[bool, int | None]:
    from shequ.asgi import application

    async def scenario():
        console = WebsocketCommunicator(application, path, headers=_headers(
            await database_sync_to_async(_session_of)(user)))
        result = await console.connect(timeout=WAIT)
        await console.disconnect()
        return result

    return run(scenario)


# --- the SOS on the guard console -------------------------------------------------------------------------------

def test_a_terminal_sos_stored_by_the_ingest_reaches_the_guard_console_with_its_address(guard, guard_b, indoor_a):
    async def scenario():
        console_a, _ = await _open(guard, GUARD_PATH)
        console_b, _ = await _open(guard_b, GUARD_PATH)
        await database_sync_to_async(ingest_stored)(indoor_a, "sos")
        message = await _alarm_message(console_a)
        quiet_b = await console_b.receive_nothing(timeout=0.5)
        await console_a.disconnect()
        await console_b.disconnect()
        return message, quiet_b

    message, quiet_b = run(scenario)
    (item,) = message["items"]
    assert (item["kind"], item["status"], item["source"]) == ("sos", "raised", "indoor_terminal")
    assert item["place"] == "长庆坊 3号楼 2单元 0301"
    assert item["device"] == "0301室内终端"
    assert quiet_b


# --- the police console -----------------------------------------------------------------------------------------

def test_the_police_console_refuses_a_guard(guard):
    assert _refused(guard, POLICE_PATH) == (False, 4403)


def test_an_sos_reaches_the_police_of_its_community_only(police, police_b, lamp_post_a):
    async def scenario():
        console_a, _ = await _open(police, POLICE_PATH)
        console_b, _ = await _open(police_b, POLICE_PATH)
        alarm = await database_sync_to_async(sos_from_terminal)(lamp_post_a)
        message = await console_a.receive_json_from(timeout=WAIT)
        quiet_b = await console_b.receive_nothing(timeout=0.5)
        await console_a.disconnect()
        await console_b.disconnect()
        return alarm, message, quiet_b

    alarm, message, quiet_b = run(scenario)
    assert message["type"] == "alarms"
    assert [(item["id"], item["source"]) for item in message["items"]] == [(alarm.pk, "outdoor_terminal")]
    assert quiet_b


def test_the_police_console_skips_events_and_alarms_not_yet_escalated(police, door_a):
    async def scenario():
        console, _ = await _open(police, POLICE_PATH)
        await database_sync_to_async(ingest_stored)(door_a, "forced")
        quiet = await console.receive_nothing(timeout=0.5)
        await console.disconnect()
        return quiet

    assert run(scenario)


def test_an_escalation_reaches_the_police_console_live(police, forced_alarm):
    async def scenario():
        console, _ = await _open(police, POLICE_PATH)
        await database_sync_to_async(services.alarms_escalate_due)(forced_alarm.raised_at + timedelta(seconds=61))
        message = await console.receive_json_from(timeout=WAIT)
        await console.disconnect()
        return message

    item = run(scenario)["items"][0]
    assert (item["id"], item["escalation_level"], item["status"]) == (forced_alarm.pk, 1, "raised")


def test_the_police_snapshot_has_sos_and_escalated_alarms_only(police, door_a, gate_a, indoor_a):
    _event, (escalated,) = ingest(door_a, "forced")
    services.alarms_escalate_due(escalated.raised_at + timedelta(seconds=61))
    _event, (sos,) = ingest(indoor_a, "sos")
    ingest(gate_a, "forced")  # fresh: the guard room's business for now

    async def scenario():
        console, snapshot = await _open(police, POLICE_PATH)
        await console.disconnect()
        return snapshot

    snapshot = run(scenario)
    assert sorted(item["id"] for item in snapshot["alarms"]) == sorted([escalated.pk, sos.pk])
    assert snapshot["events"] == []


def test_police_act_from_their_console(client_for, police, indoor_a):
    alarm = sos_from_terminal(indoor_a)
    client = client_for(police)

    for step in ("acknowledge", "dispatch", "on-scene", "close"):
        response = client.post(f"/alarms/{alarm.pk}/{step}/", HTTP_ACCEPT="application/json")
        assert response.status_code == 200, (step, response.content)

    alarm.refresh_from_db()
    assert (alarm.status, alarm.acknowledged_by, alarm.dispatched_by, alarm.on_scene_by, alarm.closed_by) == (
        "closed", police, police, police, police)


def test_police_of_another_community_cannot_see_or_act(client_for, police_b, indoor_a):
    alarm = sos_from_terminal(indoor_a)
    client = client_for(police_b)

    assert client.get(f"/alarms/{alarm.pk}/").status_code == 404
    for step in ("acknowledge", "forward"):
        assert client.post(f"/alarms/{alarm.pk}/{step}/").status_code == 404
    assert f'data-alarm-id="{alarm.pk}"' not in client.get("/alarms/history/").content.decode()
    alarm.refresh_from_db()
    assert (alarm.status, alarm.police_status) == ("raised", "")


def test_the_police_console_page_opens_for_police_only(client_for, police, guard):
    response = client_for(police).get("/alarms/police/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '"wsPath": "/ws/alarms/police/"' in html
    assert '"showEvents": false' in html
    assert 'id="events"' not in html
    assert client_for(guard).get("/alarms/police/").status_code == 403


# --- the street console -----------------------------------------------------------------------------------------

def test_the_street_console_shows_what_reached_the_street(street_cadre, forced_alarm):
    async def scenario():
        console, snapshot = await _open(street_cadre, STREET_PATH)
        moment = forced_alarm.raised_at
        await database_sync_to_async(services.alarms_escalate_due)(moment + timedelta(seconds=61))
        quiet = await console.receive_nothing(timeout=0.5)
        await database_sync_to_async(services.alarms_escalate_due)(moment + timedelta(seconds=301))
        message = await console.receive_json_from(timeout=WAIT)
        await console.disconnect()
        return snapshot, quiet, message

    snapshot, quiet, message = run(scenario)
    assert snapshot["alarms"] == []
    assert quiet  # at the police level the street does not hear of it yet
    assert [(item["id"], item["escalation_level"]) for item in message["items"]] == [(forced_alarm.pk, 2)]


def test_the_street_console_page_opens_for_street_staff(client_for, street_cadre, worker):
    assert client_for(street_cadre).get("/alarms/street/").status_code == 200
    assert client_for(worker).get("/alarms/street/").status_code == 403


def test_an_acknowledged_sos_stays_acknowledged_on_every_console(guard, police, indoor_a):
    alarm = sos_from_terminal(indoor_a)

    async def scenario():
        console, _ = await _open(police, POLICE_PATH)
        await database_sync_to_async(services.alarm_acknowledge)(alarm=alarm, actor=Actor(user=guard))
        message = await console.receive_json_from(timeout=WAIT)
        await console.disconnect()
        return message

    item = run(scenario)["items"][0]
    assert (item["status"], item["acknowledged_by"]) == ("acknowledged", "guard_a")
    assert Alarm.objects.get(pk=alarm.pk).status == "acknowledged"


def test_the_header_offers_the_street_console_to_street_staff_only(client_for, street_cadre, guard, police):
    assert 'href="/alarms/street/"' in client_for(street_cadre).get("/alarms/").content.decode()
    guard_page = client_for(guard).get("/alarms/").content.decode()
    assert 'href="/alarms/street/"' not in guard_page
    assert 'href="/alarms/police/"' not in guard_page
    assert 'href="/alarms/police/"' in client_for(police).get("/alarms/").content.decode()
