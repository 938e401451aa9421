"""Notices API: the caller's live notices, read counts of managed notices, a resident's read."""

from __future__ import annotations

import pytest

from shequ.accounts.audit import Actor
from shequ.notices import services
from shequ.notices.models import ReadReceipt
from shequ.registry.tests.api_client import Api

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_staff_list_the_live_notices_they_manage(published, draft, worker):
    live, _waiting = published(), draft(title="草稿")
    response = Api(worker).get("/notices")
    assert ids(response) == [live.pk]
    item = response.json()["items"][0]
    assert (item["area_name"], item["body"], item["urgent"]) == ("长庆坊社区", live.body, False)


def test_a_resident_lists_the_notices_to_their_house_only(published, resident_user, resident_b):
    notice = published()
    assert ids(Api(resident_user, session=True).get("/notices")) == [notice.pk]
    assert ids(Api(resident_b, session=True).get("/notices")) == []


def test_the_list_answers_a_bad_cursor_with_a_field_error(worker):
    response = Api(worker).get("/notices", after="!!")
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "after"


def test_read_counts_per_building(published, worker, resident_user, tree):
    notice = published()
    services.notice_read(actor=Actor(user=resident_user), notice=notice)
    body = Api(worker).get(f"/notices/{notice.pk}/reads").json()
    assert (body["recipients"], body["read"], body["percent"]) == (2, 1, 50.0)
    assert body["buildings"] == [{"building_id": tree.building_a.pk, "label": "长庆坊 3号楼", "recipients": 2,
                                  "read": 1, "percent": 50.0}]


def test_read_counts_of_another_communitys_notice_are_404(published, outsider, resident_user):
    notice = published()
    assert Api(outsider).get(f"/notices/{notice.pk}/reads").status_code == 404
    assert Api(resident_user, session=True).get(f"/notices/{notice.pk}/reads").status_code == 404


def test_a_resident_records_a_read_once(published, resident_user):
    notice = published()
    api = Api(resident_user, session=True, enforce_csrf_checks=False)
    first, second = api.post(f"/notices/{notice.pk}/read", {}), api.post(f"/notices/{notice.pk}/read", {})
    assert (first.json()["created"], second.json()["created"]) == (True, False)
    assert ReadReceipt.objects.filter(notice=notice).count() == 1


def test_a_resident_of_another_community_cannot_record_a_read(published, resident_b):
    notice = published()
    assert Api(resident_b, session=True).post(f"/notices/{notice.pk}/read", {}).status_code == 404
    assert not ReadReceipt.objects.exists()
