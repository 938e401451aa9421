"""The kiosk page: only the terminal itself (its key) opens it; it shows the notices of its
own place and above, never another community's; its SOS button raises an SOS alarm."""

from __future__ import annotations

import pytest
from django.test import Client

from shequ.terminals.tests.conftest import kiosk_url, make_terminal, published_notice

pytestmark = pytest.mark.django_db


def notice_ids(response) -> list[int]:
    import re

    return [int(pk) for pk in re.findall(r'data-notice-id="(\d+)"', response.content.decode())]


# --- who may open it ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", ["kiosk", "kiosk_live"])
def test_it_refuses_a_request_without_the_device_key(client, terminal_a, page):
    assert client.get(kiosk_url(terminal_a, page, key="")).status_code == 404


@pytest.mark.parametrize("page", ["kiosk", "kiosk_live"])
def test_it_refuses_another_devices_key(client, terminal_a, terminal_b, page):
    from shequ.intercom.terminal_auth import terminal_key

    assert client.get(kiosk_url(terminal_a, page, key=terminal_key(terminal_b))).status_code == 404


def test_it_refuses_a_made_up_key(client, terminal_a):
    assert client.get(kiosk_url(terminal_a, key="0" * 32)).status_code == 404


def test_a_door_controller_has_no_kiosk_even_with_its_own_key(client, tree):
    door, _secret = make_terminal(tree.unit_a, "cqf-03-2-door", kind="unit_door")

    assert client.get(kiosk_url(door)).status_code == 404


def test_a_disabled_terminal_has_no_kiosk(client, terminal_a):
    terminal_a.is_active = False
    terminal_a.save()

    assert client.get(kiosk_url(terminal_a)).status_code == 404


def test_it_opens_for_the_terminal_with_its_key(client, terminal_a):
    response = client.get(kiosk_url(terminal_a))

    assert response.status_code == 200
    assert "0301室内终端" in response.content.decode()
    assert 'id="k-sos"' in response.content.decode()


# --- notices ----------------------------------------------------------------------------------------------------------

def test_it_shows_the_notices_of_its_areas_and_not_another_communitys(client, tree, terminal_a, worker, approver_a,
                                                                       outsider, approver_b):
    ours = published_notice(author=worker, approver=approver_a, area=tree.community_a, title="长庆坊停水",
                            audience=[tree.complex_a])
    theirs = published_notice(author=outsider, approver=approver_b, area=tree.community_b, title="西何社区停电",
                              audience=[tree.community_b])

    response = client.get(kiosk_url(terminal_a, "kiosk_live"))

    assert response.status_code == 200
    assert notice_ids(response) == [ours.pk]
    assert theirs.title not in response.content.decode()


def test_it_leaves_out_notices_for_another_building_and_notices_not_for_terminals(client, tree, terminal_a, worker,
                                                                                   approver_a):
    from shequ.registry.models import Area
    from shequ.registry.tests.factories import AreaFactory

    other_building = AreaFactory(parent=tree.complex_a, level=Area.Level.BUILDING, code="CQF-05", name="5号楼")
    published_notice(author=worker, approver=approver_a, area=tree.community_a, title="5号楼电梯维保",
                     audience=[other_building])
    published_notice(author=worker, approver=approver_a, area=tree.community_a, title="仅居民端",
                     audience=[tree.complex_a], channels=["residents"])
    ours = published_notice(author=worker, approver=approver_a, area=tree.community_a, title="3号楼消防检查",
                            audience=[tree.building_a])

    assert notice_ids(client.get(kiosk_url(terminal_a, "kiosk_live"))) == [ours.pk]


def test_a_care_group_notice_reaches_the_terminal_of_a_household_in_the_group(client, tree, worker, approver_a,
                                                                            person_a):
    from shequ.registry.models import CareTag

    elderly = CareTag.objects.get(code="elderly_alone")
    person_a.care_tags.add(elderly)
    terminal_a = make_terminal(tree.house_a.area, "cqf-0301-panel")[0]
    neighbour = make_terminal(tree.house_a2.area, "cqf-0302-panel")[0]
    notice = published_notice(author=worker, approver=approver_a, area=tree.community_a, title="独居老人冬季走访",
                              care_tags=[elderly])

    assert notice_ids(client.get(kiosk_url(terminal_a, "kiosk_live"))) == [notice.pk]
    assert notice_ids(client.get(kiosk_url(neighbour, "kiosk_live"))) == []


def test_urgent_notices_come_first_and_are_highlighted(client, tree, terminal_a, worker, approver_a):
    usual = published_notice(author=worker, approver=approver_a, area=tree.community_a, title="电梯维保",
                             audience=[tree.complex_a])
    urgent = published_notice(author=worker, approver=approver_a, area=tree.community_a, title="燃气泄漏请撤离",
                              audience=[tree.community_a], urgent=True)

    response = client.get(kiosk_url(terminal_a))

    assert notice_ids(response) == [urgent.pk, usual.pk]
    assert f'class="k-notice k-urgent" data-notice-id="{urgent.pk}"' in response.content.decode()


def test_a_withdrawn_notice_is_no_longer_shown(client, tree, terminal_a, worker, approver_a):
    from shequ.accounts.audit import Actor
    from shequ.notices.services import notice_withdraw

    kept = published_notice(author=worker, approver=approver_a, area=tree.community_a, title="停水通知",
                            audience=[tree.complex_a])
    gone = published_notice(author=worker, approver=approver_a, area=tree.community_a, title="已撤回的通知",
                            audience=[tree.complex_a])
    notice_withdraw(actor=Actor(user=approver_a), notice=gone, reason="发错了")

    response = client.get(kiosk_url(terminal_a, "kiosk_live"))

    assert notice_ids(response) == [kept.pk]
    assert gone.title not in response.content.decode()


def test_the_live_fragment_takes_a_fixed_number_of_queries(client, tree, terminal_a, worker, approver_a,
                                                           django_assert_num_queries):
    for index in range(3):
        published_notice(author=worker, approver=approver_a, area=tree.community_a, title=f"通知{index}",
                         audience=[tree.complex_a])
    url = kiosk_url(terminal_a, "kiosk_live")

    # the device, the notices, its open SOS alarm
    with django_assert_num_queries(3):
        assert client.get(url).status_code == 200


# --- SOS ----------------------------------------------------------------------------------------------------------------

def sos_post(client, device, key: str | None = None):
    from django.urls import reverse

    from shequ.intercom.terminal_auth import terminal_key

    return client.post(reverse("terminals:kiosk_sos", args=[device.device_id]),
                       {"key": terminal_key(device) if key is None else key})


def test_sos_raises_an_sos_alarm_at_the_terminals_place_and_the_kiosk_shows_it(client, tree, terminal_a):
    from shequ.accounts.models import AuditRecord
    from shequ.alarms.models import Alarm

    response = sos_post(client, terminal_a)

    assert response.status_code == 200
    [alarm] = Alarm.objects.all()
    assert (alarm.kind, alarm.area_id, alarm.device_id, alarm.status) == ("sos", tree.house_a.area.pk, terminal_a.pk,
                                                                          "raised")
    assert f'data-alarm-id="{alarm.pk}"' in response.content.decode()
    assert AuditRecord.objects.filter(action__startswith="alarm.", detail__via=f"terminal:{terminal_a.device_id}").exists()


def test_sos_with_another_devices_key_raises_nothing(client, terminal_a, terminal_b):
    from shequ.alarms.models import Alarm
    from shequ.intercom.terminal_auth import terminal_key

    response = sos_post(client, terminal_a, key=terminal_key(terminal_b))

    assert response.status_code == 404
    assert not Alarm.objects.exists()


def test_sos_is_refused_on_get(client, terminal_a):
    from shequ.alarms.models import Alarm

    assert client.get(kiosk_url(terminal_a, "kiosk_sos")).status_code == 405
    assert not Alarm.objects.exists()


def test_the_kiosk_shows_the_alarm_acknowledged_once_a_guard_has(client, terminal_a, guard):
    from shequ.accounts.audit import Actor
    from shequ.alarms.models import Alarm
    from shequ.alarms.services import alarm_acknowledge

    sos_post(client, terminal_a)
    alarm_acknowledge(alarm=Alarm.objects.get(), actor=Actor(user=guard))

    response = client.get(kiosk_url(terminal_a, "kiosk_live"))

    assert 'data-status="acknowledged"' in response.content.decode()


def test_a_csrf_less_sos_post_is_refused(terminal_a):
    from shequ.alarms.models import Alarm

    response = sos_post(Client(enforce_csrf_checks=True), terminal_a)

    assert response.status_code == 403
    assert not Alarm.objects.exists()
