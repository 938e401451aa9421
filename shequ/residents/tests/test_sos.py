"""SOS from the resident pages: a confirmation step, an alarm at my house only, its live state."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user

from shequ.accounts.audit import Actor
from shequ.alarms.models import Alarm, AlarmKind
from shequ.alarms.services import alarm_acknowledge, sos_raise

pytestmark = pytest.mark.django_db


def confirm(client, house, **extra):
    return client.post("/me/sos/", {"step": "confirm", "house": house.pk, **extra})


def test_the_button_asks_for_confirmation_first(resident_client):
    assert 'id="sos-button"' in resident_client.get("/me/sos/").content.decode()
    response = resident_client.post("/me/sos/", {"step": "ask"})
    assert 'id="sos-confirm"' in response.content.decode()
    assert not Alarm.objects.exists()


def test_confirming_raises_an_sos_alarm_at_my_house(resident_client, family):
    response = confirm(resident_client, family.house, detail="老人摔倒")
    alarm = Alarm.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/me/sos/{alarm.pk}/"
    assert (alarm.kind, alarm.area_id, alarm.source) == (AlarmKind.SOS, family.house.area_id, "resident_app")
    assert alarm.raised_by == get_user(resident_client) and alarm.detail == "老人摔倒"


def test_the_alarm_carries_the_phones_position_when_given(resident_client, family):
    confirm(resident_client, family.house, latitude="34.223000", longitude="108.948000")
    alarm = Alarm.objects.get()
    assert (str(alarm.latitude), str(alarm.longitude)) == ("34.223000", "108.948000")


def test_another_households_house_cannot_be_named(resident_client, tree, neighbour):
    response = confirm(resident_client, tree.house_b)
    assert response.status_code == 200 and response.context["form"].errors["house"]
    assert not Alarm.objects.exists()


def test_the_status_page_says_the_alarm_was_received_and_follows_it(resident_client, family, guard):
    confirm(resident_client, family.house)
    alarm = Alarm.objects.get()
    html = resident_client.get(f"/me/sos/{alarm.pk}/").content.decode()
    assert "已报警，保安和民警已收到" in html and "待确认" in html and 'hx-trigger="every 5s"' in html
    alarm_acknowledge(alarm=alarm, actor=Actor(user=guard))
    fragment = resident_client.get(f"/me/sos/{alarm.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith("<section") and "已确认" in fragment


def test_someone_elses_alarm_is_not_found(resident_client, neighbour, tree):
    from shequ.residents.services import resident_account_ensure
    from shequ.registry.tests.factories import SYSTEM

    other = resident_account_ensure(person=neighbour, actor=SYSTEM)
    alarm = sos_raise(actor=Actor(user=other), area=tree.house_b.area, source="resident_app")
    assert resident_client.get(f"/me/sos/{alarm.pk}/").status_code == 404
