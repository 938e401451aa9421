"""The console's WebSocket: who may connect, and that each console hears only its areas.

Scenarios run on one event loop through ``async_to_sync`` (see :func:`run`);
transactional tests, since alarms are pushed after the commit as in production.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from django.db import connections
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from conftest import logged_in_client, make_user
from shequ.alarms.tests.conftest import ingest, ingest_stored, store_event

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/alarms/console/"
WAIT = 3  # seconds: bounded waits everywhere


def run(scenario):
    """Run an async scenario to its end from this synchronous test.

    Normally on this thread (the consumer's database calls then use this thread's
    connection). After a Playwright journey has run in this session its event loop
    stays installed on this thread and ``async_to_sync`` refuses, so the scenario
    runs on a thread of its own, whose connection is closed afterwards.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return async_to_sync(scenario)()

    def on_own_thread():
        try:
            return async_to_sync(scenario)()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(on_own_thread).result(timeout=120)


def _headers(session_key: str | None, origin: str = "http://testserver") -> list[tuple[bytes, bytes]]:
    headers = [(b"host", b"testserver"), (b"origin", origin.encode())]
    if session_key:
        headers.append((b"cookie", f"sessionid={session_key}".encode()))
    return headers


def _session_of(user, second_factor: bool = True) -> str:
    client = logged_in_client(user)
    if not second_factor:
        session = client.session
        session["second_factor_ok"] = False
        session.save()
    return client.cookies["sessionid"].value


def _communicator(session_key: str | None, **kwargs) -> WebsocketCommunicator:
    from shequ.asgi import application

    return WebsocketCommunicator(application, PATH, headers=_headers(session_key, **kwargs))


async def _open(user) -> tuple[WebsocketCommunicator, dict]:
    """A connected console and the snapshot it got."""
    communicator = _communicator(await database_sync_to_async(_session_of)(user))
    connected, _code = await communicator.connect(timeout=WAIT)
    assert connected
    snapshot = await communicator.receive_json_from(timeout=WAIT)
    assert snapshot["type"] == "snapshot"
    return communicator, snapshot


def _refusal(session_key: str | None, **kwargs) -> tuple[bool, int | None]:
    async def scenario():
        communicator = _communicator(session_key, **kwargs)
        result = await communicator.connect(timeout=WAIT)
        await communicator.disconnect()
        return result

    return run(scenario)


# --- who may connect ----------------------------------------------------------------------------------------------

def test_it_refuses_an_anonymous_visitor(tree):
    assert _refusal(None) == (False, 4401)


def test_it_refuses_staff_who_have_not_passed_the_second_factor(guard):
    assert _refusal(_session_of(guard, second_factor=False)) == (False, 4403)


def test_it_refuses_staff_without_the_alarms_role(worker):
    assert _refusal(_session_of(worker)) == (False, 4403)


def test_it_refuses_a_page_of_another_site(guard):
    connected, _code = _refusal(_session_of(guard), origin="http://evil.example")

    assert not connected


def test_it_accepts_a_guard_and_sends_the_open_alarms_of_the_complex(guard, door_a, gate_b):
    _event, (alarm_a,) = ingest(door_a, "forced")
    ingest(gate_b, "forced")

    async def scenario():
        console, snapshot = await _open(guard)
        await console.disconnect()
        return snapshot

    snapshot = run(scenario)
    assert [item["id"] for item in snapshot["alarms"]] == [alarm_a.pk]
    assert snapshot["alarms"][0]["place"] == "长庆坊 3号楼 2单元"


# --- what each console hears --------------------------------------------------------------------------------------

def test_an_alarm_reaches_the_guard_of_its_complex_only(guard, guard_b, door_a):
    async def scenario():
        console_a, _ = await _open(guard)
        console_b, _ = await _open(guard_b)
        _event, (alarm,) = await database_sync_to_async(ingest)(door_a, "forced")
        message = await console_a.receive_json_from(timeout=WAIT)
        quiet_b = await console_b.receive_nothing(timeout=0.5)
        await console_a.disconnect()
        await console_b.disconnect()
        return alarm, message, quiet_b

    alarm, message, quiet_b = run(scenario)
    assert message["type"] == "alarms"
    assert [(item["id"], item["kind"], item["status"]) for item in message["items"]] == [
        (alarm.pk, "forced_entry", "raised")]
    assert quiet_b


def test_a_forced_entry_stored_by_the_gateway_ingest_reaches_the_console(guard, guard_b, door_a):
    async def scenario():
        console_a, _ = await _open(guard)
        console_b, _ = await _open(guard_b)
        await database_sync_to_async(ingest_stored)(door_a, "forced", reason="door contact")
        messages = [await console_a.receive_json_from(timeout=WAIT) for _ in range(2)]
        quiet_b = await console_b.receive_nothing(timeout=0.5)
        await console_a.disconnect()
        await console_b.disconnect()
        return messages, quiet_b

    messages, quiet_b = run(scenario)
    by_type = {message["type"]: message["items"] for message in messages}
    assert [(item["kind"], item["detail"]) for item in by_type["alarms"]] == [("forced_entry", "door contact")]
    assert [item["kind"] for item in by_type["events"]] == ["forced"]
    assert quiet_b


def test_complex_b_alarms_never_reach_complex_a(guard, guard_b, gate_b):
    async def scenario():
        console_a, _ = await _open(guard)
        console_b, _ = await _open(guard_b)
        await database_sync_to_async(ingest)(gate_b, "forced")
        message = await console_b.receive_json_from(timeout=WAIT)
        quiet_a = await console_a.receive_nothing(timeout=0.5)
        await console_a.disconnect()
        await console_b.disconnect()
        return message, quiet_a

    message, quiet_a = run(scenario)
    assert message["type"] == "alarms"
    assert quiet_a


def test_passes_and_refusals_stream_to_the_console(guard, door_a, person_a):
    async def scenario():
        console, _ = await _open(guard)
        await database_sync_to_async(ingest)(door_a, "pass", person=person_a)
        passed = await console.receive_json_from(timeout=WAIT)
        await database_sync_to_async(ingest)(door_a, "refused", reason="expired")
        refused = await console.receive_json_from(timeout=WAIT)
        await console.disconnect()
        return passed, refused

    passed, refused = run(scenario)
    assert passed["type"] == "events"
    assert [(item["kind"], item["person"], item["device"]) for item in passed["items"]] == [
        ("pass", "张三", "3号楼2单元门")]
    assert [(item["kind"], item["reason"]) for item in refused["items"]] == [("refused", "expired")]


def test_a_building_guard_hears_nothing_from_other_buildings_of_the_complex(tree, building_2_a, door_a):
    from shequ.alarms.tests.conftest import make_device

    building_guard = make_user("guard_bld", "guard", tree.building_a)
    other_door = make_device(building_2_a, "cqf-05-door", "5号楼单元门")

    async def scenario():
        console, _ = await _open(building_guard)
        await database_sync_to_async(ingest)(other_door, "forced")
        quiet = await console.receive_nothing(timeout=0.5)
        await database_sync_to_async(ingest)(door_a, "forced")
        message = await console.receive_json_from(timeout=WAIT)
        await console.disconnect()
        return quiet, message

    quiet, message = run(scenario)
    assert quiet
    assert message["items"][0]["device"] == "3号楼2单元门"


def test_old_events_from_an_edge_outbox_do_not_stream(guard, door_a):
    from datetime import timedelta

    from django.utils import timezone

    async def scenario():
        console, _ = await _open(guard)
        await database_sync_to_async(ingest)(door_a, "pass", occurred_at=timezone.now() - timedelta(hours=2))
        quiet = await console.receive_nothing(timeout=0.5)
        await console.disconnect()
        return quiet

    assert run(scenario)


def test_an_acknowledgement_on_one_console_reaches_the_others(guard, door_a, forced_alarm):
    async def scenario():
        console, snapshot = await _open(guard)
        response = await database_sync_to_async(_post_acknowledge)(guard, forced_alarm.pk)
        message = await console.receive_json_from(timeout=WAIT)
        await console.disconnect()
        return snapshot, response, message

    snapshot, response, message = run(scenario)
    assert snapshot["alarms"][0]["status"] == "raised"
    assert response.status_code == 200
    item = message["items"][0]
    assert (item["id"], item["status"], item["acknowledged_by"]) == (forced_alarm.pk, "acknowledged", "guard_a")
    assert item["rev"] > snapshot["alarms"][0]["rev"]


def _post_acknowledge(user, pk: int):
    return logged_in_client(user).post(f"/alarms/{pk}/acknowledge/", HTTP_ACCEPT="application/json")


def test_it_answers_a_ping(guard):
    async def scenario():
        console, _ = await _open(guard)
        await console.send_json_to({"type": "ping"})
        answer = await console.receive_json_from(timeout=WAIT)
        await console.disconnect()
        return answer

    assert run(scenario) == {"type": "pong"}


# --- rows written by another process ------------------------------------------------------------------------------

def test_it_catches_up_with_alarms_another_process_wrote(guard, door_a, settings):
    """With the in-memory layer a separate gateway process cannot push to this
    process's consoles: the console looks at the database instead."""
    from django.utils import timezone

    from shequ.alarms.models import Alarm

    settings.SHEQU_CONSOLE_CATCHUP_SECONDS = 0.2

    def written_elsewhere():
        # straight to the database: nothing is pushed, as when the gateway runs apart
        event = store_event(door_a, "forced")
        now = timezone.now()
        return Alarm.objects.create(kind="forced_entry", area=door_a.area, device=door_a, event=event,
                                    occurred_at=now, last_occurred_at=now)

    async def scenario():
        console, _ = await _open(guard)
        alarm = await database_sync_to_async(written_elsewhere)()
        messages = [await console.receive_json_from(timeout=WAIT) for _ in range(2)]
        again = await console.receive_nothing(timeout=0.6)
        await console.disconnect()
        return alarm, messages, again

    alarm, messages, again = run(scenario)
    by_type = {message["type"]: message for message in messages}
    assert [item["id"] for item in by_type["alarms"]["items"]] == [alarm.pk]
    assert [item["kind"] for item in by_type["events"]["items"]] == ["forced"]
    assert again  # sent once, not on every look


def test_it_closes_the_console_when_the_grant_is_revoked(guard, settings, monkeypatch):
    from shequ.accounts.models import RoleGrant
    from shequ.alarms import consumers

    settings.SHEQU_CONSOLE_CATCHUP_SECONDS = 0.1
    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0.2)

    async def scenario():
        console, _ = await _open(guard)
        await database_sync_to_async(lambda: RoleGrant.objects.filter(user=guard).delete())()
        closed = await console.receive_output(timeout=WAIT)
        return closed

    closed = run(scenario)
    assert closed == {"type": "websocket.close", "code": 4403}


def test_alarms_without_the_stream_push_only_the_alarm(guard, door_a):
    from shequ.alarms.services import alarms_from_events

    async def scenario():
        console, _ = await _open(guard)
        event = await database_sync_to_async(store_event)(door_a, "forced")
        await database_sync_to_async(alarms_from_events)([event], stream=False)
        message = await console.receive_json_from(timeout=WAIT)
        quiet = await console.receive_nothing(timeout=0.5)
        await console.disconnect()
        return message, quiet

    message, quiet = run(scenario)
    assert message["type"] == "alarms"
    assert quiet


def test_the_event_stream_pushes_the_latest_events(guard, door_a, gate_a):
    from shequ.alarms.services import EVENTS_PER_MESSAGE, events_stream

    async def scenario():
        console, _ = await _open(guard)
        events = await database_sync_to_async(
            lambda: [store_event(door_a, "pass") for _ in range(EVENTS_PER_MESSAGE + 5)]
            + [store_event(gate_a, "refused")])()
        await database_sync_to_async(events_stream)(events)
        message = await console.receive_json_from(timeout=WAIT)
        await console.disconnect()
        return events, message

    events, message = run(scenario)
    assert message["type"] == "events"
    keys = [item["key"] for item in message["items"]]
    assert len(keys) == EVENTS_PER_MESSAGE  # one complex, one message: the latest only
    assert keys[-1] == f"{gate_a.pk}:{events[-1].event_id}"


def test_a_console_open_for_days_keeps_its_groups(guard, settings, monkeypatch):
    """Channel layers forget group members after ``group_expiry``: the console renews them."""
    import time

    from channels.layers import get_channel_layer

    from shequ.alarms import consumers

    settings.SHEQU_CONSOLE_CATCHUP_SECONDS = 0.1
    monkeypatch.setattr(consumers, "RECHECK_SECONDS", 0.2)
    layer = get_channel_layer()

    async def scenario():
        console, _ = await _open(guard)
        for members in layer.groups.values():
            for channel in members:
                members[channel] = 1.0  # joined in 1970: due to be forgotten
        await asyncio.sleep(0.6)
        renewed = [stamp for members in layer.groups.values() for stamp in members.values()]
        await console.disconnect()
        return renewed

    renewed = run(scenario)
    assert renewed and all(stamp > time.time() - 60 for stamp in renewed)
