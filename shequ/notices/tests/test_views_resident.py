"""Resident pages: my notices list only what reaches my house; opening one records the read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from shequ.notices.models import ReadReceipt

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident_client(resident_user, client_for):
    return client_for(resident_user)


def test_my_notices_lists_a_notice_to_my_complex(published, resident_client):
    notice = published()
    page = resident_client.get(reverse("notices:my_notices")).content.decode()
    assert f'data-notice="{notice.pk}"' in page and "停水通知" in page


def test_my_notices_leaves_out_another_communitys_notice(published, tree, outsider, resident_client):
    from shequ.accounts.audit import Actor
    from shequ.notices import services
    from shequ.notices.tests.conftest import content

    from conftest import make_user

    other = make_user("approver_b", "community_staff", tree.community_b)
    notice_b = services.notice_draft(actor=Actor(user=outsider), **content(
        tree, area=tree.community_b, audience_areas=[tree.complex_b], title="西何小区通知"))
    services.notice_submit(actor=Actor(user=outsider), notice=notice_b)
    services.notice_approve(actor=Actor(user=other), notice=notice_b)
    services.notice_publish(actor=Actor(user=other), notice=notice_b)
    mine = published()
    page = resident_client.get(reverse("notices:my_notices")).content.decode()
    assert f'data-notice="{mine.pk}"' in page and "西何小区通知" not in page
    response = resident_client.get(reverse("notices:my_notice_detail", args=[notice_b.pk]))
    assert response.status_code == 404 and not ReadReceipt.objects.exists()


def test_a_notice_to_another_building_is_not_mine(published, tree, resident_client):
    from shequ.registry.models import Area
    from shequ.registry.tests.factories import AreaFactory

    building_5 = AreaFactory(parent=tree.complex_a, level=Area.Level.BUILDING, code="CQF-05", name="5号楼")
    notice = published(audience_areas=[building_5])
    assert resident_client.get(reverse("notices:my_notice_detail", args=[notice.pk])).status_code == 404


def test_a_notice_without_the_resident_channel_is_not_shown(published, resident_client):
    notice = published(channels=["terminals", "staff"])
    assert resident_client.get(reverse("notices:my_notice_detail", args=[notice.pk])).status_code == 404


def test_a_draft_or_approved_notice_is_not_shown(approved, resident_client):
    notice = approved()
    assert resident_client.get(reverse("notices:my_notice_detail", args=[notice.pk])).status_code == 404


def test_opening_a_notice_records_the_read_once(published, resident_client, resident_user):
    notice = published(body="第一行\n第二行<b>粗</b>")
    url = reverse("notices:my_notice_detail", args=[notice.pk])
    first = resident_client.get(url).content.decode()
    resident_client.get(url)
    assert ReadReceipt.objects.filter(notice=notice, user=resident_user).count() == 1
    assert "第一行<br>第二行&lt;b&gt;粗&lt;/b&gt;" in first  # line breaks kept, HTML escaped


def test_read_notices_lose_their_new_badge(published, resident_client):
    notice = published()
    list_url = reverse("notices:my_notices")
    assert 'class="unread"' in resident_client.get(list_url).content.decode()
    resident_client.get(reverse("notices:my_notice_detail", args=[notice.pk]))
    assert 'class="unread"' not in resident_client.get(list_url).content.decode()


def test_an_expired_notice_is_gone_from_the_detail_page(published, resident_client):
    from shequ.notices.models import Notice

    notice = published()
    Notice.objects.filter(pk=notice.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert resident_client.get(reverse("notices:my_notice_detail", args=[notice.pk])).status_code == 404
