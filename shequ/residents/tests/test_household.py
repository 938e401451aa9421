"""Home and household pages: my household only, personal numbers masked."""

from __future__ import annotations

import pytest
from django.test import Client

from shequ.accounts.models import User

pytestmark = pytest.mark.django_db


def test_home_shows_my_household_with_masked_numbers(resident_client, family):
    html = resident_client.get("/me/").content.decode()
    assert family.owner.name in html and family.child.name in html
    assert "138****5678" in html and "13812345678" not in html
    assert "长庆坊 3号楼 2单元 0301" in html


def test_the_household_page_masks_id_numbers(resident_client, family):
    from shequ.core import pii

    html = resident_client.get("/me/household/").content.decode()
    assert family.owner.id_number_masked in html
    assert pii.decrypt(family.owner.id_number_cipher) not in html


def test_i_see_a_member_of_my_household(resident_client, family):
    response = resident_client.get(f"/me/household/{family.child.pk}/")
    assert response.status_code == 200 and family.child.name in response.content.decode()


def test_another_households_person_is_not_found(resident_client, neighbour):
    assert resident_client.get(f"/me/household/{neighbour.pk}/").status_code == 404


def test_a_neighbour_in_the_same_unit_is_not_found(resident_client, tree):
    from shequ.registry.tests.factories import PersonFactory
    from shequ.residents.tests.conftest import move_in

    next_door = PersonFactory(area=tree.house_a2.area, name="王五")
    move_in(next_door, tree.house_a2)
    assert resident_client.get(f"/me/household/{next_door.pk}/").status_code == 404
    assert "王五" not in resident_client.get("/me/household/").content.decode()


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_resident_login(family):
    response = Client().get("/me/household/")
    assert response.status_code == 302 and response["Location"].startswith("/me/login/?next=/me/household/")


def test_a_staff_account_gets_no_resident_pages(worker, client_for):
    response = client_for(worker).get("/me/")
    assert response.status_code == 403


def test_the_unread_notice_count_shows_when_the_notices_app_offers_it(resident_client, monkeypatch):
    import types
    import sys

    fake = types.ModuleType("shequ.notices.selectors")
    fake.unread_count_for = lambda user: 7
    monkeypatch.setitem(sys.modules, "shequ.notices.selectors", fake)
    assert 'id="unread-notices">7<' in resident_client.get("/me/").content.decode()


def test_the_home_page_asks_the_notices_app_for_the_real_count(resident_client):
    response = resident_client.get("/me/")
    assert response.status_code == 200 and response.context["unread_notices"] == 0


def test_the_home_page_has_the_sos_button(resident_client):
    assert 'href="/me/sos/"' in resident_client.get("/me/").content.decode()


def test_logout_ends_the_session(resident_client):
    response = resident_client.post("/me/logout/")
    assert response["Location"] == "/me/login/"
    assert resident_client.get("/me/")["Location"].startswith("/me/login/")
    assert User.objects.filter(person__isnull=False).count() == 1
