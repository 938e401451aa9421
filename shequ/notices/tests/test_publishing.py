"""Publishing now or on schedule, expiry, withdrawal, and what terminals are sent."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from shequ.access.models import Outbound
from shequ.access import protocol
from shequ.accounts.audit import Actor
from shequ.notices import selectors, services
from shequ.notices.broadcast import MAX_BODY_BYTES, notice_broadcast_body
from shequ.notices.models import NoticeRecipient, Status

pytestmark = pytest.mark.django_db


def notice_broadcasts():
    return list(Outbound.objects.filter(name="notice").order_by("pk"))


def test_publishing_resolves_the_audience_to_households(published, tree):
    notice = published()
    assert notice.status == Status.PUBLISHED and notice.published_at is not None
    houses = set(NoticeRecipient.objects.filter(notice=notice).values_list("house_id", flat=True))
    assert houses == {tree.house_a.pk, tree.house_a2.pk} and notice.recipient_count == 2
    assert set(NoticeRecipient.objects.filter(notice=notice).values_list("building_id", flat=True)) == {
        tree.building_a.pk}


def test_only_an_approver_publishes(approved, worker, tree):
    from conftest import make_user

    notice = approved()
    property_staff = make_user("property_a", "property_staff", tree.complex_a)
    with pytest.raises(PermissionDenied):
        services.notice_publish(actor=Actor(user=property_staff), notice=notice)
    notice.refresh_from_db()
    assert notice.status == Status.APPROVED and not NoticeRecipient.objects.exists()


def test_an_urgent_notice_queues_one_broadcast_per_audience_area(published, tree):
    from shequ.registry.models import Area
    from shequ.registry.tests.factories import AreaFactory

    building_5 = AreaFactory(parent=tree.complex_a, level=Area.Level.BUILDING, code="CQF-05", name="5号楼")
    notice = published(urgent=True, channels=["terminals", "residents"], audience_areas=[tree.building_a, building_5])
    rows = notice_broadcasts()
    assert sorted((row.area_id, row.device_id) for row in rows) == sorted([(tree.building_a.pk, None),
                                                                           (building_5.pk, None)])
    body = rows[0].body
    assert all(row.body == body for row in rows) and body == notice_broadcast_body(notice)
    assert (body["op"], body["notice_id"], body["title"], body["urgent"]) == ("publish", notice.pk, "停水通知", True)
    assert body["expires_at"] is not None and body["published_at"] is not None
    assert rows[0].expires_at == notice.expires_at


def test_a_street_notice_to_two_communities_broadcasts_to_each(tree, street_cadre):
    from conftest import make_user
    from shequ.notices.tests.conftest import content

    other = make_user("street_b", "street_staff", tree.street)
    notice = services.notice_draft(actor=Actor(user=street_cadre), **content(
        tree, area=tree.street, urgent=True, channels=["terminals"],
        audience_areas=[tree.community_a, tree.community_b, tree.complex_a]))
    services.notice_submit(actor=Actor(user=street_cadre), notice=notice)
    services.notice_approve(actor=Actor(user=other), notice=notice)
    services.notice_publish(actor=Actor(user=other), notice=notice)
    # complex A lies under community A: its terminals get community A's copy
    assert sorted(row.area_id for row in notice_broadcasts()) == sorted([tree.community_a.pk, tree.community_b.pk])
    assert notice.recipient_count == 3


def test_no_broadcast_without_the_terminals_channel(published):
    published(urgent=True, channels=["residents", "staff"])
    assert notice_broadcasts() == []


def test_an_ordinary_notice_with_the_terminals_channel_reaches_terminals_too(published, tree):
    published(urgent=False, channels=["terminals"])
    rows = notice_broadcasts()
    assert [row.area_id for row in rows] == [tree.complex_a.pk] and rows[0].body["urgent"] is False


def test_the_broadcast_body_stays_under_the_size_budget(published):
    notice = published(channels=["terminals"], body="社区通知内容" * 330)  # 1,980 characters, ~6 KB of UTF-8
    body = notice_broadcasts()[0].body
    assert body["truncated"] is True and body["body"].endswith("……")
    assert len(protocol.canonical_json(body)) <= MAX_BODY_BYTES
    assert notice.body.startswith(body["body"].removesuffix("……"))


def test_a_scheduled_notice_is_published_at_its_time_and_not_before(approved, tree):
    start = timezone.now() + timedelta(hours=2)
    notice = approved(publish_at=start, expires_at=start + timedelta(days=1), channels=["terminals", "residents"])
    assert services.notices_publish_due(now=start - timedelta(seconds=1)) == []
    notice.refresh_from_db()
    assert notice.status == Status.APPROVED and not NoticeRecipient.objects.exists() and notice_broadcasts() == []
    assert [n.pk for n in services.notices_publish_due(now=start)] == [notice.pk]
    notice.refresh_from_db()
    assert (notice.status, notice.published_at) == (Status.PUBLISHED, start)
    assert len(notice_broadcasts()) == 1
    assert services.notices_publish_due(now=start + timedelta(minutes=1)) == []  # once only


def test_the_tick_command_publishes_due_notices(approved):
    start = timezone.now() + timedelta(hours=1)
    notice = approved(publish_at=start, expires_at=start + timedelta(days=1))
    out = StringIO()
    call_command("notices_tick", "--now", (start + timedelta(minutes=1)).isoformat(), stdout=out)
    notice.refresh_from_db()
    assert notice.status == Status.PUBLISHED and "published 1" in out.getvalue()


def test_a_scheduled_notice_whose_expiry_passed_is_expired_not_published(approved):
    start = timezone.now() + timedelta(hours=1)
    notice = approved(publish_at=start, expires_at=start + timedelta(hours=1))
    assert services.notices_publish_due(now=start + timedelta(hours=2)) == []
    notice.refresh_from_db()
    assert notice.status == Status.EXPIRED and not NoticeRecipient.objects.exists()


def test_expiry_hides_a_notice_from_residents_before_the_tick_marks_it(published, resident_user):
    notice = published()
    assert list(selectors.my_notices(user=resident_user)) == [notice]
    later = notice.expires_at + timedelta(seconds=1)
    assert list(selectors.my_notices(user=resident_user, now=later)) == []
    services.notices_expire_due(now=later)
    notice.refresh_from_db()
    assert notice.status == Status.EXPIRED and notice.expired_at == later


def test_an_expired_approved_notice_cannot_be_published_now(approved, approver):
    notice = approved()
    with pytest.raises(ValidationError) as caught:
        services.notice_publish(actor=Actor(user=approver), notice=notice, now=notice.expires_at)
    assert caught.value.error_dict["expires_at"][0].code == "expired"


def test_withdrawing_a_published_notice_tells_the_terminals(published, worker, tree, resident_user):
    notice = published(urgent=True, channels=["terminals", "residents"])
    services.notice_withdraw(actor=Actor(user=worker), notice=notice, reason="已恢复供水")
    notice.refresh_from_db()
    assert notice.status == Status.WITHDRAWN and notice.withdrawn_by_id == worker.pk
    withdraw = notice_broadcasts()[-1]
    assert withdraw.area_id == tree.complex_a.pk
    assert withdraw.body == {"op": "withdraw", "notice_id": notice.pk, "withdrawn_at": withdraw.body["withdrawn_at"]}
    assert list(selectors.my_notices(user=resident_user)) == []


def test_withdrawing_a_notice_never_published_sends_nothing(approved, approver):
    notice = approved(channels=["terminals"])
    services.notice_withdraw(actor=Actor(user=approver), notice=notice)
    assert notice_broadcasts() == []


def test_staff_of_another_community_cannot_withdraw(published, outsider):
    notice = published()
    with pytest.raises(PermissionDenied):
        services.notice_withdraw(actor=Actor(user=outsider), notice=notice)
    notice.refresh_from_db()
    assert notice.status == Status.PUBLISHED


def _publish_to_care_group(worker, approver, tree, code: str):
    from shequ.notices.tests.conftest import content
    from shequ.registry.models import CareTag

    notice = services.notice_draft(actor=Actor(user=worker), **content(
        tree, audience_areas=[], care_tags=[CareTag.objects.get(code=code)], channels=["terminals", "residents"]))
    services.notice_submit(actor=Actor(user=worker), notice=notice)
    services.notice_approve(actor=Actor(user=approver), notice=notice)
    return services.notice_publish(actor=Actor(user=approver), notice=notice)


def _move_in(person, house):
    from shequ.registry import services as registry
    from shequ.registry.tests.factories import SYSTEM

    registry.residence_start(actor=SYSTEM, person=person, house=house, relation="owner", population_type="registered")


def test_a_care_group_audience_reaches_exactly_the_households_with_such_a_person(approver, worker, tree):
    from shequ.registry.tests.factories import PersonFactory

    _move_in(PersonFactory(area=tree.community_a, name="王大爷", care_tags=["elderly_alone"]), tree.house_a2)
    _move_in(PersonFactory(area=tree.community_a, name="赵六", care_tags=["disabled"]), tree.house_a)  # another group
    _move_in(PersonFactory(area=tree.community_b, name="孙七", care_tags=["elderly_alone"]), tree.house_b)  # community B
    notice = _publish_to_care_group(worker, approver, tree, "elderly_alone")
    assert list(NoticeRecipient.objects.filter(notice=notice).values_list("house_id", flat=True)) == [
        tree.house_a2.pk]
    # the household's indoor terminal: a broadcast to its house node, not to the whole community
    assert [row.area_id for row in notice_broadcasts()] == [tree.house_a2.area_id]


def test_a_care_group_reaches_a_person_registered_at_a_house_without_a_residence_row(approver, worker, tree):
    from shequ.registry.tests.factories import PersonFactory

    PersonFactory(area=tree.house_a.area, name="王奶奶", care_tags=["elderly_alone"])
    notice = _publish_to_care_group(worker, approver, tree, "elderly_alone")
    assert list(NoticeRecipient.objects.filter(notice=notice).values_list("house_id", flat=True)) == [tree.house_a.pk]


def test_publishing_is_audited_with_its_reach(published):
    from shequ.accounts.models import AuditRecord

    notice = published(channels=["terminals"])
    record = AuditRecord.objects.get(action="notice.publish", object_id=str(notice.pk))
    assert (record.detail["recipients"], record.detail["broadcasts"]) == (2, 1)
    json.dumps(record.detail)
