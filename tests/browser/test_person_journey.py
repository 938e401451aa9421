"""A community worker logs in (password + TOTP), registers a person in a house,
finds them again, sees the ID number masked and reveals it (which is audited)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import enrolled_staff, login

ID_NUMBER = "11010519491231002X"


@pytest.mark.django_db(transaction=True)
def test_a_worker_adds_finds_and_reveals_a_person(tree, live_server, browser_page):
    from shequ.accounts.models import AuditRecord
    from shequ.registry.models import Person

    worker, secret = enrolled_staff("journey_worker", "community_staff", tree.community_a)
    page = browser_page
    login(page, live_server, "journey_worker", "Correct-Horse-9", secret)

    # register a person in house 0301 of 长庆坊 3号楼 2单元
    page.goto(f"{live_server.url}/people/new/")
    page.fill("#id_name", "赵六")
    page.fill("#id_id_number", ID_NUMBER)
    page.fill("#id_phone", "13900002222")
    page.fill("#id_area_q", "0301")
    house_option = page.locator("#id_area_options label", has_text="0301").first
    house_option.wait_for()
    house_option.locator("input[type=radio]").check()
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("赵六")
    person = Person.objects.get(name="赵六")
    assert person.area_id == tree.house_a.area_id, (person.area, person.area.level)

    # find them by the last four digits of the ID number
    page.goto(f"{live_server.url}/find/")
    page.fill("main input[name=q]", "002X")
    page.keyboard.press("Enter")
    result = page.locator("main a", has_text="赵六").first
    expect(result).to_be_visible()
    result.click()

    # the ID is masked on the page; revealing it shows it and writes an audit record
    masked = page.locator("#pii-id_number .masked")
    expect(masked).to_have_text("110***********002X")
    expect(page.locator("body")).not_to_contain_text(ID_NUMBER)
    page.locator("#pii-id_number button").click()
    expect(page.locator("#pii-id_number.revealed .clear")).to_have_text(ID_NUMBER)
    assert AuditRecord.objects.filter(action="pii.revealed", actor=worker).count() == 1
