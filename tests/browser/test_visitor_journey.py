"""A resident issues a visitor pass in the browser and gets its QR code; the gate
accepts the QR (its event stored through the gateway's ingest); the guard's
visitors page, open meanwhile, shows the visitor arrived without a reload."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect

from conftest import make_user
from tests.browser.conftest import enrolled_staff, login

# Playwright's sync API runs an event loop in this thread; the ORM must be told it is safe
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def _password_login(page, live_server, username: str, password: str) -> None:
    """A resident's password login through the real form (no second factor for residents).

    Waits for the page after the login, whatever it is: residents may land on the
    resident pages, which have no staff header for ``login`` to wait for."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))


@pytest.mark.django_db(transaction=True)
def test_a_pass_issued_in_the_browser_shows_the_visitor_arriving_on_the_guard_page(tree, live_server, new_page):
    from django.utils import timezone

    from shequ.access.services import device_register
    from shequ.access.services.ingest import EventRow, events_store
    from shequ.registry.tests.factories import SYSTEM
    from shequ.visitors.models import VisitorPass

    gate = device_register(actor=SYSTEM, device_id="cqf-gate-01", name="长庆坊南门", kind="gate",
                           area=tree.complex_a).device
    device_register(actor=SYSTEM, device_id="cqf-03-2-door", name="3号楼2单元门", kind="unit_door", area=tree.unit_a)
    make_user("journey_resident", "resident", tree.house_a.area, display_name="居民刘女士")
    _guard, guard_secret = enrolled_staff("journey_guard", "guard", tree.complex_a)

    # the resident invites a visitor: the form offers the household's doors, all ticked
    resident = new_page()
    resident.set_viewport_size({"width": 390, "height": 844})  # a phone
    _password_login(resident, live_server, "journey_resident", "Correct-Horse-9")
    resident.goto(f"{live_server.url}/visitors/my/new/")
    expect(resident.locator("#field-doors input[type=checkbox]")).to_have_count(2)
    resident.fill("#id_visitor_name", "周来宾")
    resident.fill("#id_phone", "13912345678")
    resident.fill("#id_max_entries", "2")
    resident.locator("#pass-form button[type=submit]").click()
    expect(resident.locator("#pass-visitor")).to_have_text("周来宾")
    expect(resident.locator("svg.pass-qr")).to_be_visible()
    expect(resident.locator("#share-text")).to_contain_text("周来宾")
    visitor_pass = VisitorPass.objects.get()
    share_link = resident.locator("#share-link").get_attribute("href")
    assert share_link.endswith(f"/visitors/s/{visitor_pass.share_key}/")

    # the guard's page, open before the visitor comes: expected, not yet inside
    guard = new_page()
    login(guard, live_server, "journey_guard", "Correct-Horse-9", guard_secret)
    guard.goto(f"{live_server.url}/visitors/guard/")
    expect(guard.locator("#expected")).to_contain_text("周来宾")
    expect(guard.locator("#inside")).not_to_contain_text("周来宾")

    # the gate accepts the QR code; the gateway stores its event
    events_store([EventRow(device_pk=gate.pk, event_id="journey-1", kind="pass", occurred_at=timezone.now(),
                           credential_kind="pass", direction="in", pass_id=visitor_pass.pass_id)])

    # the guard's page shows the arrival on its next poll, without a reload
    expect(guard.locator("#inside .visit-inside")).to_contain_text("周来宾", timeout=15_000)
    expect(guard.locator("#inside")).to_contain_text("已到达")
    expect(guard.locator("#expected")).not_to_contain_text("周来宾")

    # the visitor's share link shows the code without logging in
    visitor = new_page()
    visitor.goto(share_link)
    expect(visitor.locator("svg.pass-qr")).to_be_visible()
