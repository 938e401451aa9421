"""Fixtures of the alarms tests: doors in complexes A and B, the guards of each,
and device events stored the way the gateway's ingest stores them."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from django.utils import timezone

from conftest import make_user

_event_ids = itertools.count(1)


def make_device(area, device_id: str, name: str, kind: str = "unit_door"):
    from shequ.access.models import Device
    from shequ.core import pii

    return Device.objects.create(device_id=device_id, name=name, kind=kind, area=area,
                                 secret_cipher=pii.encrypt("secret-" + device_id))


def store_event(device, kind: str, *, occurred_at: datetime | None = None, person=None, reason: str = "",
                event_id: str | None = None):
    """An AccessEvent as the ingest stores it (the ingest then calls ``alarms_from_events``)."""
    from shequ.access.models import AccessEvent

    now = timezone.now()
    return AccessEvent.objects.create(
        device=device, event_id=event_id or f"ev-{next(_event_ids)}", kind=kind, occurred_at=occurred_at or now,
        received_at=now, credential_kind="card" if kind in ("pass", "refused") else "", person=person,
        reason=reason, direction="in" if kind == "pass" else "",
    )


def ingest(device, kind: str, **kwargs):
    """Store one event and hand it to the alarms, as the ingest does; returns (event, alarms)."""
    from shequ.alarms.services import alarms_from_events

    event = store_event(device, kind, **kwargs)
    return event, alarms_from_events([event])


def ingest_stored(device, kind: str, *, person=None, reason: str = "", occurred_at: datetime | None = None) -> str:
    """One event through the gateway's own ingest: ``events_store`` (which raises the
    alarms in its transaction), then the console feed's ``events_to_consoles``, as
    the gateway does after the commit. Returns the event id."""
    from shequ.access.services import ingest as access_ingest

    event_id = f"gw-{next(_event_ids)}"
    row = access_ingest.EventRow(
        device_pk=device.pk, event_id=event_id, kind=kind, occurred_at=occurred_at or timezone.now(),
        credential_kind="card" if kind in ("pass", "refused") else "",
        person_id=person.pk if person is not None else None, reason=reason)
    stored = access_ingest.events_store([row])
    assert len(stored) == 1
    to_consoles = getattr(access_ingest, "events_to_consoles", None)
    if to_consoles is not None:
        to_consoles(stored)
    return event_id


@pytest.fixture(autouse=True)
def _empty_channel_layer():
    """The in-memory layer lives as long as the process: no groups or messages leak
    between tests. (Emptied directly, not with ``flush()``: after the Playwright
    journeys an event loop is running on this thread and ``async_to_sync`` refuses.)"""
    from channels.layers import InMemoryChannelLayer, get_channel_layer

    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        layer.channels.clear()
        layer.groups.clear()
    yield
    if isinstance(layer, InMemoryChannelLayer):
        layer.channels.clear()
        layer.groups.clear()


@pytest.fixture
def door_a(tree):
    return make_device(tree.unit_a, "cqf-03-2-door", "3号楼2单元门")


@pytest.fixture
def gate_a(tree):
    return make_device(tree.complex_a, "cqf-gate-1", "长庆坊南门", kind="gate")


@pytest.fixture
def gate_b(tree):
    return make_device(tree.complex_b, "xh-gate-1", "西何小区北门", kind="gate")


@pytest.fixture
def guard_b(tree):
    return make_user("guard_b", "guard", tree.complex_b, display_name="西何门卫")


@pytest.fixture
def building_2_a(tree):
    from shequ.registry.models import Area
    from shequ.registry.tests.factories import AreaFactory

    return AreaFactory(parent=tree.complex_a, level=Area.Level.BUILDING, code="CQF-05", name="5号楼")


@pytest.fixture
def forced_alarm(door_a):
    _event, alarms = ingest(door_a, "forced", reason="door contact opened")
    return alarms[0]


@pytest.fixture
def indoor_a(tree):
    """The indoor terminal in house 0301 of complex A."""
    return make_device(tree.house_a.area, "cqf-0301-indoor", "0301室内终端", kind="indoor_terminal")


@pytest.fixture
def lamp_post_a(tree):
    """An outdoor terminal on a lamp post of complex A (placed at the complex)."""
    return make_device(tree.complex_a, "cqf-lamp-7", "7号路灯杆终端", kind="outdoor_terminal")


@pytest.fixture
def police_b(tree):
    return make_user("police_b", "police", tree.community_b)


def sos_from_phone(user, area, **kwargs):
    from shequ.accounts.audit import Actor
    from shequ.alarms.services import sos_raise

    return sos_raise(actor=Actor(user=user, via="resident"), area=area, source="resident_app", **kwargs)


def sos_from_terminal(device, source: str | None = None, **kwargs):
    from shequ.accounts.audit import Actor
    from shequ.alarms.services import sos_raise

    return sos_raise(actor=Actor.system(via=f"terminal:{device.device_id}"), area=kwargs.pop("area", device.area),
                     source=source or device.kind, device=device, **kwargs)


class LinkServer:
    """A stand-in public-security platform: answers each POST with the next scripted
    status (the last one repeats) and keeps what it received."""

    def __init__(self, statuses: list[int]):
        import http.server
        import threading

        self.statuses = list(statuses)
        self.received: list[dict] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                server.received.append({"headers": dict(self.headers), "body": body, "path": self.path})
                status = server.statuses.pop(0) if len(server.statuses) > 1 else server.statuses[0]
                answer = (b'{"ok": true, "ref": "GA-2024-0001"}' if status < 300 else b'{"error": "busy"}')
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):  # keep the test output clean
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/alarms"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def link_server(settings):
    """Start a LinkServer with ``link_server(statuses)``; the link points at it, with fast retries."""
    servers = []

    def start(statuses: list[int]) -> LinkServer:
        server = LinkServer(statuses)
        servers.append(server)
        settings.SHEQU_POLICE_LINK_URL = server.url
        settings.SHEQU_POLICE_LINK_TIMEOUT = 3
        settings.SHEQU_POLICE_LINK_MAX_ATTEMPTS = 4
        settings.SHEQU_POLICE_LINK_BACKOFF_SECONDS = 2
        settings.SHEQU_POLICE_LINK_BACKOFF_MAX_SECONDS = 60
        return server

    yield start
    for server in servers:
        server.close()
