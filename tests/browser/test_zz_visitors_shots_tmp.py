import os
import pytest
from conftest import make_user
from tests.browser.conftest import enrolled_staff, login
from tests.browser.test_visitor_journey import _password_login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.django_db(transaction=True)
def test_shots(tree, live_server, new_page):
    from django.utils import timezone
    from shequ.access.services import device_register
    from shequ.access.services.ingest import EventRow, events_store
    from shequ.registry.tests.factories import SYSTEM
    from shequ.visitors.models import VisitorPass

    gate = device_register(actor=SYSTEM, device_id="cqf-gate-01", name="长庆坊南门", kind="gate", area=tree.complex_a).device
    device_register(actor=SYSTEM, device_id="cqf-03-2-door", name="3号楼2单元门", kind="unit_door", area=tree.unit_a)
    make_user("r1", "resident", tree.house_a.area)
    _g, secret = enrolled_staff("g1", "guard", tree.complex_a)
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    _password_login(page, live_server, "r1", "Correct-Horse-9")
    page.goto(f"{live_server.url}/visitors/my/new/")
    page.screenshot(path="/tmp/v-form.png", full_page=True)
    page.fill("#id_visitor_name", "周来宾")
    page.fill("#id_max_entries", "50")
    page.locator("#pass-form button[type=submit]").click()
    page.screenshot(path="/tmp/v-form-err.png", full_page=True)
    page.fill("#id_max_entries", "2")
    page.locator("#pass-form button[type=submit]").click()
    page.wait_for_selector("svg.pass-qr")
    page.screenshot(path="/tmp/v-detail.png", full_page=True)
    p = VisitorPass.objects.get()
    events_store([EventRow(device_pk=gate.pk, event_id="x1", kind="pass", occurred_at=timezone.now(),
                           credential_kind="pass", direction="in", pass_id=p.pass_id)])
    page.goto(f"{live_server.url}/visitors/my/")
    page.screenshot(path="/tmp/v-list.png", full_page=True)
    g = new_page()
    login(g, live_server, "g1", "Correct-Horse-9", secret)
    g.goto(f"{live_server.url}/visitors/guard/")
    g.screenshot(path="/tmp/v-guard.png", full_page=True)
    g.goto(f"{live_server.url}/visitors/guard/walk-in/")
    g.screenshot(path="/tmp/v-walkin.png", full_page=True)
    g.goto(f"{live_server.url}/visitors/figures/")
    g.screenshot(path="/tmp/v-figures.png", full_page=True)
    g.goto(f"{live_server.url}/visitors/log/")
    g.screenshot(path="/tmp/v-log.png", full_page=True)
