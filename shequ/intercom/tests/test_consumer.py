"""Signalling relay: only the call's terminal and callees join, and each hears only its own call."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from shequ.alarms.tests.test_consumer import _headers, _session_of, run
from shequ.intercom import services
from shequ.intercom.terminal_auth import terminal_key

pytestmark = pytest.mark.django_db(transaction=True)
WAIT = 3


def _communicator(call_id: int, *, session_key: str | None = None, key: str = "") -> WebsocketCommunicator:
    from shequ.asgi import application

    path = f"/ws/intercom/call/{call_id}/" + (f"?key={key}" if key else "")
    return WebsocketCommunicator(application, path, headers=_headers(session_key))


def _connect_result(call_id: int, **kwargs):
    async def scenario():
        communicator = _communicator(call_id, **kwargs)
        result = await communicator.connect(timeout=WAIT)
        await communicator.disconnect()
        return result

    return run(scenario)


def test_it_relays_an_offer_and_answer_between_the_peers(door, resident_user):
    call = services.call_start(device=door, house_number="0301")
    session = _session_of(resident_user)

    async def scenario():
        terminal = _communicator(call.pk, key=await database_sync_to_async(terminal_key)(door))
        resident = _communicator(call.pk, session_key=session)
        assert (await terminal.connect(timeout=WAIT))[0]
        assert (await resident.connect(timeout=WAIT))[0]
        await terminal.send_json_to({"type": "offer", "sdp": "v=0 offer", "junk": 1})
        got = await resident.receive_json_from(timeout=WAIT)
        await resident.send_json_to({"type": "answer", "sdp": "v=0 answer"})
        back = await terminal.receive_json_from(timeout=WAIT)
        echo = await terminal.receive_nothing(timeout=0.2)
        await terminal.disconnect()
        await resident.disconnect()
        return got, back, echo

    got, back, echo = run(scenario)
    assert got == {"type": "offer", "sdp": "v=0 offer", "from": "terminal"}
    assert back == {"type": "answer", "sdp": "v=0 answer", "from": "callee"}
    assert echo  # the sender does not hear itself


def test_it_keeps_messages_within_their_call(door, resident_user, tree):
    call = services.call_start(device=door, house_number="0301")
    other = services.call_start(device=door, house_number="0302")
    session = _session_of(resident_user)

    async def scenario():
        terminal_other = _communicator(other.pk, key=await database_sync_to_async(terminal_key)(door))
        resident = _communicator(call.pk, session_key=session)
        assert (await terminal_other.connect(timeout=WAIT))[0]
        assert (await resident.connect(timeout=WAIT))[0]
        await terminal_other.send_json_to({"type": "offer", "sdp": "x"})
        nothing = await resident.receive_nothing(timeout=0.3)
        await terminal_other.disconnect()
        await resident.disconnect()
        return nothing

    assert run(scenario)


def test_it_refuses_a_resident_of_another_house(door, neighbour):
    call = services.call_start(device=door, house_number="0301")
    assert _connect_result(call.pk, session_key=_session_of(neighbour)) == (False, 4403)


def test_it_refuses_an_outsider_as_unknown(door, outsider):
    call = services.call_start(device=door, house_number="0301")
    assert _connect_result(call.pk, session_key=_session_of(outsider)) == (False, 4404)


def test_it_refuses_a_terminal_with_a_wrong_key(door):
    call = services.call_start(device=door, house_number="0301")
    assert _connect_result(call.pk, key="0" * 32) == (False, 4404)
