"""Video intercom in Chromium with its fake camera and microphone: a door terminal
calls a house, the resident accepts in another browser context, both peers connect
(WebRTC, host candidates only) with remote video, and the resident opens the door.

Served by uvicorn on a thread (HTTP and WebSockets): see test_guard_console.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import make_user
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, login
from tests.browser.test_guard_console import asgi_server  # noqa: F401  (fixture)

MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              # real host addresses rather than mDNS names, which headless Chromium may not resolve
              "--disable-features=WebRtcHideLocalIpsWithMdns"]
WAIT_MS = 15_000

CONNECTED_WITH_VIDEO = """() => {
  const s = window.intercom && window.intercom.session;
  return !!s && s.pc.connectionState === "connected"
    && s.pc.getReceivers().some(r => r.track && r.track.kind === "video" && r.track.readyState === "live");
}"""


@pytest.fixture
def media_browser(chromium):
    """Chromium with fake media devices (the session browser has no such flags)."""
    browser = chromium.browser_type.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + MEDIA_ARGS)
    contexts = []

    def page():
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context.new_page()

    yield page
    for context in contexts:
        context.close()
    browser.close()


def test_it_connects_a_terminal_call_and_records_the_residents_unlock(asgi_server, media_browser, tree):  # noqa: F811
    from shequ.access.models import AccessEvent
    from shequ.intercom.models import IntercomCall
    from shequ.intercom.tests.conftest import make_device
    from shequ.intercom.terminal_auth import terminal_key

    door = make_device(tree.unit_a, "door-a")
    resident = make_user("resident_a", "resident", tree.house_a.area)

    home = media_browser()
    login(home, asgi_server, "resident_a", "Correct-Horse-9")
    home.goto(f"{asgi_server.url}/intercom/")

    kiosk = media_browser()
    kiosk.goto(f"{asgi_server.url}/intercom/terminal/{door.device_id}/?key={terminal_key(door)}")
    for digit in "0301":
        kiosk.click(f".keypad [data-digit='{digit}']")
    kiosk.click("#call-house")
    expect(kiosk.locator("#call-status")).to_have_text("正在呼叫…")

    accept = home.locator(".ringing-call button.accept")
    expect(accept).to_be_visible(timeout=WAIT_MS)
    accept.click()

    kiosk.wait_for_function(CONNECTED_WITH_VIDEO, timeout=WAIT_MS)
    home.wait_for_function(CONNECTED_WITH_VIDEO, timeout=WAIT_MS)

    home.click("#open-door")
    expect(home.locator("#call-status")).to_have_text("已开门")

    call = IntercomCall.objects.get()
    assert call.status == "answered" and call.answered_by == resident and call.unlocked_by == resident
    event = AccessEvent.objects.get(device=door, kind="remote_unlock")
    assert event.payload["opened_by"] == resident.pk
