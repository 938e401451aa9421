"""Guard-room console in Chromium: a forced entry stored by the ingest appears on
the console as it happens, sounds, and is acknowledged and closed by the guard.

``live_server`` speaks HTTP only, so the site runs here under uvicorn (HTTP and
WebSockets, the same ASGI application ``shequ web`` serves) on a thread of this
process: the in-memory channel layer then reaches the console.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import enrolled_staff, login

START_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AsgiServer:
    """uvicorn serving shequ.asgi on a thread; ``restart()`` drops every socket as a real restart does."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.server = None
        self.thread = None

    def start(self) -> None:
        import uvicorn

        from shequ.asgi import application

        self.server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=self.port, lifespan="off",
                                                    log_level="warning", timeout_graceful_shutdown=1))
        self.thread = threading.Thread(target=self.server.run, name="uvicorn-test", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("uvicorn did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(START_TIMEOUT)
        assert not self.thread.is_alive(), "uvicorn did not stop"

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def asgi_server(transactional_db, settings):
    from django.db import connection

    settings.SHEQU_CONSOLE_CATCHUP_SECONDS = 0  # only pushes and snapshots: the paths under test
    # server threads must not keep connections open past their calls (PostgreSQL would
    # refuse to drop the test database at the end of the session)
    max_age = connection.settings_dict.get("CONN_MAX_AGE")
    connection.settings_dict["CONN_MAX_AGE"] = 0
    server = AsgiServer(_free_port())
    server.start()
    yield server
    server.stop()
    connection.settings_dict["CONN_MAX_AGE"] = max_age


def _ingest(device, kind: str, **fields) -> str:
    """Store one device event through the gateway's ingest service (which raises the alarms)."""
    from shequ.alarms.tests.conftest import ingest_stored

    return ingest_stored(device, kind, **fields)


def test_a_forced_entry_reaches_the_guard_console_and_is_acknowledged_and_closed(asgi_server, browser_page, tree, person_a):
    from shequ.alarms.models import Alarm
    from shequ.alarms.tests.conftest import make_device

    guard, secret = enrolled_staff("guard_console", "guard", tree.complex_a)
    door = make_device(tree.unit_a, "cqf-03-2-door", "3号楼2单元门")
    page = browser_page

    login(page, asgi_server, "guard_console", "Correct-Horse-9", secret)
    page.goto(f"{asgi_server.url}/alarms/")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    page.locator("#sound-toggle").click()
    expect(page.locator("#sound-toggle")).to_have_attribute("aria-pressed", "true")

    _ingest(door, "pass", person=person_a)
    expect(page.locator("#events tr.kind-pass")).to_contain_text("张三")

    _ingest(door, "forced", reason="door contact opened")
    card = page.locator("#alarms li[data-alarm-id]")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("强行开门")
    expect(card).to_contain_text("3号楼2单元门")
    expect(card).to_have_attribute("data-status", "raised")
    expect(page.locator("#alarm-count")).to_have_text("1")
    expect(page.locator("body")).to_have_attribute("data-alarm-sound", "ringing")

    card.get_by_role("button", name="确认").click()

    expect(card).to_have_attribute("data-status", "acknowledged")
    expect(card).to_contain_text("guard_console")
    expect(page.locator("body")).to_have_attribute("data-alarm-sound", "silent")
    alarm = Alarm.objects.get()
    assert (alarm.status, alarm.acknowledged_by) == ("acknowledged", guard)
    assert alarm.actions.filter(action="acknowledged", by=guard).exists()

    card.locator("input[name=note]").fill("住户忘带门卡，已核实")
    card.get_by_role("button", name="关闭报警").click()

    expect(card).to_have_count(0)
    expect(page.locator("#no-alarms")).to_be_visible()
    alarm.refresh_from_db()
    assert (alarm.status, alarm.closed_by) == ("closed", guard)
    assert alarm.actions.get(action="closed").note == "住户忘带门卡，已核实"


def test_the_console_reconnects_and_catches_up_after_the_server_was_down(asgi_server, browser_page, tree):
    """A console whose socket drops shows it, reconnects by itself, and gets what it
    missed from the snapshot."""
    from shequ.alarms.tests.conftest import make_device

    _guard, secret = enrolled_staff("guard_console", "guard", tree.complex_a)
    door = make_device(tree.unit_a, "cqf-03-2-door", "3号楼2单元门")
    page = browser_page
    login(page, asgi_server, "guard_console", "Correct-Horse-9", secret)
    page.goto(f"{asgi_server.url}/alarms/")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")

    # an alarm raised while the console is cut off reaches it through the snapshot
    asgi_server.stop()
    expect(page.locator("#conn")).to_have_attribute("data-state", "retrying")
    _ingest(door, "held_open")
    asgi_server.start()

    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=15_000)
    expect(page.locator("#alarms li[data-alarm-id]")).to_contain_text("门长时间未关")
