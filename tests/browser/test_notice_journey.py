"""A notice is drafted, approved by a second person, published and read: a
community worker drafts and submits it, another staff member approves and
publishes it, a resident of the building finds it on the resident notices page
and opens it, and the worker's notice page counts 1 read household there."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from conftest import make_user
from tests.browser.conftest import enrolled_staff, login

# Playwright's sync API runs an event loop in this thread; the ORM must be told it is safe
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def _resident_login(page, live_server, username: str, password: str) -> None:
    """Password only (residents have no second factor); lands wherever the site sends residents."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.django_db(transaction=True)
def test_a_notice_is_drafted_approved_published_and_read(tree, live_server, new_page):
    from django.utils import timezone

    from shequ.access.models import Outbound
    from shequ.notices.models import Notice

    _worker, worker_secret = enrolled_staff("journey_worker", "community_staff", tree.community_a)
    _approver, approver_secret = enrolled_staff("journey_approver", "community_staff", tree.community_a)
    make_user("journey_resident", "resident", tree.house_a.area, display_name="居民刘女士")
    expires = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    # the community worker drafts the notice to the complex and submits it
    worker = new_page()
    login(worker, live_server, "journey_worker", "Correct-Horse-9", worker_secret)
    worker.goto(f"{live_server.url}/notices/")
    worker.locator("#notice-new").click()
    worker.locator("#id_area").select_option(str(tree.community_a.pk))
    worker.locator("#id_category").select_option("utilities")
    worker.fill("#id_title", "{community}停水通知")
    worker.fill("#id_body", "因管道检修，明天9:00-17:00停水。\n请提前储水。")
    worker.locator(f"input[name=audience_areas][value='{tree.complex_a.pk}']").check()
    worker.locator("input[name=channels][value=terminals]").check()
    expect(worker.locator("input[name=channels][value=residents]")).to_be_checked()
    worker.fill("#id_expires_at", expires)
    worker.locator("#notice-submit").click()
    expect(worker.locator(".notice-status")).to_have_text("待审批")
    expect(worker.locator("h1")).to_contain_text("长庆坊社区停水通知")
    expect(worker.locator("#step-approve")).to_have_count(0)  # four eyes: not for the author
    notice = Notice.objects.get()

    # a second staff member approves it from the queue, then publishes it
    approver = new_page()
    login(approver, live_server, "journey_approver", "Correct-Horse-9", approver_secret)
    approver.goto(f"{live_server.url}/notices/approvals/")
    approver.locator(f"#approval-table tr[data-notice='{notice.pk}'] a").click()
    approver.locator("#step-approve").click()
    expect(approver.locator(".notice-status")).to_have_text("已批准")
    approver.locator("#step-publish").click()
    expect(approver.locator(".notice-status")).to_have_text("已发布")
    expect(approver.locator(f"#read-counts tr[data-building='{tree.building_a.pk}'] td[data-col=recipients]")
           ).to_have_text("2")
    assert Outbound.objects.filter(name="notice", area=tree.complex_a).count() == 1

    # the resident finds it on the notices page, marked new, and opens it
    resident = new_page()
    resident.set_viewport_size({"width": 390, "height": 844})
    _resident_login(resident, live_server, "journey_resident", "Correct-Horse-9")
    resident.goto(f"{live_server.url}/notices/my/")
    item = resident.locator(f"#my-notices li[data-notice='{notice.pk}']")
    expect(item).to_contain_text("长庆坊社区停水通知")
    expect(item).to_have_class(re.compile("unread"))
    item.locator("a").click()
    expect(resident.locator("#notice-body")).to_contain_text("请提前储水。")

    # the worker's notice page counts one household read in the building, the other unread
    worker.reload()
    row = worker.locator(f"#read-counts tr[data-building='{tree.building_a.pk}']")
    expect(row.locator("td[data-col=read]")).to_have_text("1")
    expect(row.locator("td[data-col=percent]")).to_contain_text("50.0%")
    expect(worker.locator(f"#unread tr[data-house='{tree.house_a2.pk}']")).to_be_visible()
    expect(worker.locator(f"#unread tr[data-house='{tree.house_a.pk}']")).to_have_count(0)
