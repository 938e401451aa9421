"""One-click alarms (SOS): from a terminal's event, a resident's phone, a terminal's kiosk page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import make_user
from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.alarms import services
from shequ.alarms.models import Alarm
from shequ.alarms.tests.conftest import ingest, ingest_stored, sos_from_phone, sos_from_terminal

pytestmark = pytest.mark.django_db


# --- from a terminal's device event -----------------------------------------------------------------------------

def test_an_sos_event_stored_by_the_gateway_ingest_raises_an_sos_alarm_at_the_terminal(indoor_a, tree):
    ingest_stored(indoor_a, "sos")

    alarm = Alarm.objects.get()
    assert (alarm.kind, alarm.status, alarm.device, alarm.area, alarm.source) == (
        "sos", "raised", indoor_a, tree.house_a.area, "indoor_terminal")


def test_an_sos_event_of_a_lamp_post_terminal_comes_from_an_outdoor_terminal(lamp_post_a):
    _event, (alarm,) = ingest(lamp_post_a, "sos")

    assert (alarm.source, alarm.area) == ("outdoor_terminal", lamp_post_a.area)


def test_another_sos_event_while_unacknowledged_counts_as_a_repeat(indoor_a):
    _event, (alarm,) = ingest(indoor_a, "sos")
    _again, repeated = ingest(indoor_a, "sos")

    assert repeated == [alarm]
    assert Alarm.objects.get().repeat_count == 1


def test_an_sos_event_after_the_acknowledgement_raises_a_new_alarm(indoor_a, guard):
    _event, (first,) = ingest(indoor_a, "sos")
    services.alarm_acknowledge(alarm=first, actor=Actor(user=guard))

    _again, (second,) = ingest(indoor_a, "sos")

    assert second.pk != first.pk
    assert Alarm.objects.count() == 2


# --- from a resident's phone ------------------------------------------------------------------------------------

@pytest.fixture
def resident_with_phone(tree, resident_user, person_a):
    resident_user.person = person_a
    resident_user.save()
    return resident_user


def test_a_resident_raises_an_sos_at_home(resident_with_phone, tree):
    alarm = sos_from_phone(resident_with_phone, tree.house_a.area, detail="老人摔倒", latitude="34.223456",
                           longitude="108.943210")

    alarm.refresh_from_db()
    assert (alarm.kind, alarm.source, alarm.area, alarm.raised_by, alarm.device) == (
        "sos", "resident_app", tree.house_a.area, resident_with_phone, None)
    assert alarm.reporter_phone_masked == "138****5678"
    assert (alarm.latitude, alarm.longitude) == (Decimal("34.223456"), Decimal("108.943210"))
    assert alarm.actions.get().by == resident_with_phone
    record = AuditRecord.objects.get(action="alarm.raise")
    assert (record.actor, record.detail["source"]) == (resident_with_phone, "resident_app")


def test_a_resident_cannot_raise_an_sos_for_another_household(resident_user, tree):
    with pytest.raises(PermissionDenied):
        sos_from_phone(resident_user, tree.house_a2.area)

    assert not Alarm.objects.exists()


def test_a_resident_cannot_raise_an_sos_in_another_community(resident_user, tree):
    with pytest.raises(PermissionDenied):
        sos_from_phone(resident_user, tree.house_b.area)

    assert not Alarm.objects.exists()


def test_staff_without_the_raise_right_cannot_raise_a_phone_sos(worker, tree):
    with pytest.raises(PermissionDenied):
        sos_from_phone(worker, tree.house_a.area)


def test_a_phone_sos_needs_a_logged_in_resident(tree):
    with pytest.raises(PermissionDenied):
        services.sos_raise(actor=Actor.system(via="resident"), area=tree.house_a.area, source="resident_app")


def test_pressing_again_while_unacknowledged_counts_as_a_repeat(resident_user, tree):
    first = sos_from_phone(resident_user, tree.house_a.area)
    again = sos_from_phone(resident_user, tree.house_a.area, detail="快来")

    assert again.pk == first.pk
    alarm = Alarm.objects.get()
    assert alarm.repeat_count == 1
    assert list(alarm.actions.values_list("action", "note")) == [("raised", ""), ("repeated", "快来")]
    assert AuditRecord.objects.filter(action="alarm.repeat", object_id=str(alarm.pk)).exists()


def test_it_refuses_coordinates_out_of_range(resident_user, tree):
    with pytest.raises(ValidationError) as caught:
        sos_from_phone(resident_user, tree.house_a.area, latitude="95", longitude="108.9")

    assert caught.value.error_dict["latitude"][0].code == "invalid"
    assert not Alarm.objects.exists()


def test_it_refuses_an_overlong_detail(resident_user, tree):
    with pytest.raises(ValidationError) as caught:
        sos_from_phone(resident_user, tree.house_a.area, detail="长" * 201)

    assert caught.value.error_dict["detail"][0].code == "max_length"


def test_it_refuses_an_unknown_source(resident_user, tree):
    with pytest.raises(ValidationError) as caught:
        services.sos_raise(actor=Actor(user=resident_user), area=tree.house_a.area, source="pager")

    assert caught.value.error_dict["source"][0].code == "invalid"


# --- from a terminal's kiosk page -------------------------------------------------------------------------------

def test_an_indoor_terminal_raises_an_sos_at_its_house(indoor_a, tree):
    alarm = sos_from_terminal(indoor_a)

    assert (alarm.kind, alarm.source, alarm.device, alarm.area, alarm.raised_by) == (
        "sos", "indoor_terminal", indoor_a, tree.house_a.area, None)
    assert alarm.actions.get().by_name == "<terminal:cqf-0301-indoor>"


def test_kiosk_presses_and_device_events_of_one_terminal_count_together(indoor_a):
    alarm = sos_from_terminal(indoor_a)
    _event, repeated = ingest(indoor_a, "sos")

    assert repeated == [alarm]
    assert Alarm.objects.get().repeat_count == 1


def test_a_terminal_sos_needs_its_terminal(tree):
    with pytest.raises(ValidationError) as caught:
        services.sos_raise(actor=Actor.system(via="terminal"), area=tree.house_a.area, source="indoor_terminal")

    assert caught.value.error_dict["device"][0].code == "required"


def test_a_door_is_not_a_terminal(door_a):
    with pytest.raises(ValidationError) as caught:
        sos_from_terminal(door_a, source="outdoor_terminal")

    assert caught.value.error_dict["device"][0].code == "invalid"
    assert not Alarm.objects.exists()


def test_a_terminal_raises_only_at_its_own_place(indoor_a, tree):
    with pytest.raises(ValidationError) as caught:
        sos_from_terminal(indoor_a, area=tree.house_a2.area)

    assert caught.value.error_dict["area"][0].code == "invalid"


def test_a_disabled_terminal_cannot_raise(indoor_a):
    indoor_a.is_active = False
    indoor_a.save()

    with pytest.raises(ValidationError):
        sos_from_terminal(indoor_a)


def test_a_user_acting_at_a_terminal_needs_the_raise_right_there(indoor_a, tree):
    stranger = make_user("resident_other", "resident", tree.house_a2.area)

    with pytest.raises(PermissionDenied):
        services.sos_raise(actor=Actor(user=stranger), area=indoor_a.area, source="indoor_terminal", device=indoor_a)


# --- on the pages -----------------------------------------------------------------------------------------------

def test_the_detail_page_shows_where_the_sos_came_from(client_for, guard, resident_with_phone, tree):
    alarm = sos_from_phone(resident_with_phone, tree.house_a.area)

    html = client_for(guard).get(f"/alarms/{alarm.pk}/").content.decode()

    assert "长庆坊 3号楼 2单元 0301" in html
    assert "居民手机" in html
    assert "138****5678" in html
    assert "13812345678" not in html
