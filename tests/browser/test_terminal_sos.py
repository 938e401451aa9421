"""A terminal's SOS in Chromium: pressed on the kiosk page of an indoor terminal, it
reaches the guard console live; the guard acknowledges it and the kiosk shows so.

The site runs under uvicorn (HTTP and WebSockets) as in the guard console journey,
whose server fixture this module borrows."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import enrolled_staff, login
from tests.browser.test_guard_console import asgi_server  # noqa: F401 - the fixture


def test_a_terminals_sos_reaches_the_guard_console_and_is_acknowledged(asgi_server, new_page, tree):  # noqa: F811
    from shequ.alarms.models import Alarm
    from shequ.intercom.terminal_auth import terminal_key
    from shequ.terminals.tests.conftest import make_terminal

    guard, secret = enrolled_staff("guard_console", "guard", tree.complex_a)
    terminal, _secret = make_terminal(tree.house_a.area, "cqf-0301-panel", name="3号楼0301室内终端")

    console = new_page()
    login(console, asgi_server, "guard_console", "Correct-Horse-9", secret)
    console.goto(f"{asgi_server.url}/alarms/")
    expect(console.locator("#conn")).to_have_attribute("data-state", "live")

    kiosk = new_page()
    kiosk.goto(f"{asgi_server.url}/terminals/kiosk/{terminal.device_id}/?key={terminal_key(terminal)}")
    expect(kiosk.locator("h1")).to_have_text("3号楼0301室内终端")
    kiosk.locator("#k-sos").click()

    status = kiosk.locator("#k-sos-status")
    expect(status).to_have_attribute("data-status", "raised")
    card = console.locator("#alarms li[data-alarm-id]")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("一键报警")
    expect(card).to_contain_text("3号楼0301室内终端")
    expect(card).to_have_attribute("data-status", "raised")

    card.get_by_role("button", name="确认").click()

    expect(card).to_have_attribute("data-status", "acknowledged")
    expect(status).to_have_attribute("data-status", "acknowledged", timeout=15_000)  # the kiosk's next poll
    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.device_id, alarm.status, alarm.acknowledged_by) == ("sos", terminal.pk, "acknowledged",
                                                                                  guard)
