"""A resident reports a problem with a photo; the property company accepts,
assigns and resolves it; the resident confirms and rates it; the street's
figures page counts it (received, resolved, satisfaction)."""

from __future__ import annotations

import io
import os
import re

import pytest
from playwright.sync_api import expect

from conftest import make_user
from tests.browser.conftest import enrolled_staff, login

# Playwright's sync API runs an event loop in this thread; the ORM must be told it is safe
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


def _photo(tmp_path) -> str:
    from PIL import Image

    path = tmp_path / "corridor.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def _total(page, column: str):
    return page.locator(f"#figures-total td[data-col={column}]")


def _step(page, step: str, fill: dict[str, str] | None = None, select: dict[str, str] | None = None) -> None:
    """Open a step's form on the case page, fill it, submit it, and wait for its timeline entry."""
    details = page.locator(f"details#step-{step}")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    for selector, value in (select or {}).items():
        details.locator(selector).select_option(value)
    for selector, value in (fill or {}).items():
        details.locator(selector).fill(value)
    details.locator("button[type=submit]").click()


@pytest.mark.django_db(transaction=True)
def test_a_reported_problem_is_resolved_rated_and_counted(tree, live_server, new_page, settings,
                                                          tmp_path):
    from shequ.cases.models import Case, Category

    settings.MEDIA_ROOT = tmp_path / "media"
    make_user("journey_resident", "resident", tree.house_a.area, display_name="居民刘女士")
    _property, property_secret = enrolled_staff("journey_property", "property_staff", tree.complex_a)
    _cadre, cadre_secret = enrolled_staff("journey_street", "street_staff", tree.street)
    garbage = Category.objects.get(code="garbage")

    # the street cadre's figures before: nothing received this year
    cadre = new_page()
    login(cadre, live_server, "journey_street", "Correct-Horse-9", cadre_secret)
    cadre.goto(f"{live_server.url}/figures/")
    expect(cadre.locator("h1")).to_contain_text("小寨路街道")
    expect(_total(cadre, "received")).to_have_text("0")

    # the resident reports clutter in the corridor, with a photo (password only: no second factor)
    resident = new_page()
    login(resident, live_server, "journey_resident", "Correct-Horse-9")
    resident.goto(f"{live_server.url}/cases/report/")
    resident.locator("#id_category").select_option(str(garbage.pk))
    resident.fill("#id_description", "楼道里堆满了纸箱，挡住了消防通道")
    resident.fill("#id_location_text", "3号楼2单元3层")
    resident.set_input_files("#id_photos", _photo(tmp_path))
    resident.locator("main form button[type=submit]").click()
    expect(resident.locator(".case-status")).to_have_text("新建")
    case = Case.objects.get()
    expect(resident.locator("h1")).to_contain_text(case.number)
    assert case.photos.count() == 1

    # the property company finds it in its list, accepts, assigns and resolves it
    staff = new_page()
    login(staff, live_server, "journey_property", "Correct-Horse-9", property_secret)
    staff.goto(f"{live_server.url}/cases/")
    staff.locator("main a", has_text=case.number).click()
    expect(staff.locator("h1")).to_contain_text(case.number)
    _step(staff, "accept")
    expect(staff.locator("#timeline li[data-action=accepted]")).to_be_visible()
    _step(staff, "assign", select={"select[name='assign-assignee_kind']": "property"},
          fill={"input[name='assign-assignee_name']": "长庆物业服务有限公司"})
    expect(staff.locator("#timeline li[data-action=assigned]")).to_be_visible()
    _step(staff, "resolve", fill={"textarea[name='resolve-resolution']": "已清理楼道纸箱，恢复消防通道畅通"})
    expect(staff.locator("#timeline li[data-action=resolved]")).to_be_visible()
    expect(staff.locator(".case-status")).to_have_text("已办结待确认")

    # the resident confirms and rates it
    resident.goto(f"{live_server.url}/cases/mine/{case.pk}/")
    expect(resident.locator("details#step-confirm")).to_have_attribute("open", "")
    resident.locator("details#step-confirm input[name='confirm-satisfaction'][value='5']").check()
    resident.locator("details#step-confirm button[type=submit]").click()
    expect(resident.locator(".case-status")).to_have_text("居民已确认")

    # the figures count it: received, resolved (on time), rated 5, in community A's row too
    cadre.reload()
    expect(_total(cadre, "received")).to_have_text("1")
    expect(_total(cadre, "resolved")).to_have_text("1")
    expect(_total(cadre, "on_time_rate")).to_have_text("100.0%")
    expect(_total(cadre, "satisfaction_average")).to_have_text("5.00")
    expect(_total(cadre, "satisfied_share")).to_have_text("100.0%")
    expect(cadre.locator(f"tr[data-area='{tree.community_a.pk}'] td[data-col=received]")).to_have_text("1")
    expect(cadre.locator(f"tr[data-area='{tree.community_b.pk}'] td[data-col=received]")).to_have_text("0")
    expect(cadre.locator("#figures-freshness")).to_contain_text("数据更新于")
    expect(cadre.locator("#figures-categories")).to_contain_text("垃圾清运")
    expect(cadre.locator("#figures-channels")).to_contain_text("居民上报")

    # drill down to the community, then its complex
    cadre.locator(f"tr[data-area='{tree.community_a.pk}'] a").click()
    expect(cadre.locator("h1")).to_contain_text("长庆坊社区")
    expect(_total(cadre, "received")).to_have_text("1")
    cadre.locator(f"tr[data-area='{tree.complex_a.pk}'] a").click()
    expect(cadre.locator("h1")).to_contain_text(re.compile("长庆坊（小区）"))
    expect(_total(cadre, "resolved")).to_have_text("1")
