"""Drafting: rights, the audience inside the author's grants, times, placeholders.
Every refusal names its field and writes nothing (no notice, no audit record)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.notices import services
from shequ.notices.models import Notice, Status
from shequ.notices.tests.conftest import content

pytestmark = pytest.mark.django_db


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [error.code for error in errors] for field, errors in exc.error_dict.items()}


def nothing_written() -> bool:
    return not Notice.objects.exists() and not AuditRecord.objects.filter(action__startswith="notice.").exists()


def refuse(user, tree, **overrides) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        services.notice_draft(actor=Actor(user=user), **content(tree, **overrides))
    assert nothing_written()
    return codes(caught.value)


def test_it_drafts_a_notice_with_its_audience_and_channels(worker, tree):
    notice = services.notice_draft(actor=Actor(user=worker), **content(tree, channels=["residents", "terminals"]))
    notice.refresh_from_db()
    assert (notice.status, notice.author_id, notice.area_id) == (Status.DRAFT, worker.pk, tree.community_a.pk)
    assert list(notice.audience_areas.all()) == [tree.complex_a]
    assert (notice.to_residents, notice.to_terminals, notice.to_staff) == (True, True, False)
    assert AuditRecord.objects.filter(action="notice.draft", object_id=str(notice.pk)).exists()


def test_drafting_in_another_community_is_refused_on_the_area_field(worker, tree):
    errors = refuse(worker, tree, area=tree.community_b, audience_areas=[tree.complex_b])
    assert errors["area"] == ["outside_grants"]


def test_a_user_without_the_drafting_right_is_refused(resident_user, tree):
    with pytest.raises(PermissionDenied):
        services.notice_draft(actor=Actor(user=resident_user), **content(tree))
    assert nothing_written()


def test_an_audience_outside_the_authors_grants_is_refused(worker, tree):
    errors = refuse(worker, tree, audience_areas=[tree.complex_a, tree.complex_b])
    assert errors["audience_areas"] == ["audience_outside_grants"]


def test_an_audience_outside_the_publishing_area_is_refused(street_cadre, tree):
    errors = refuse(street_cadre, tree, area=tree.community_a, audience_areas=[tree.complex_b])
    assert errors["audience_areas"] == ["audience_outside_area"]


def test_an_empty_audience_is_refused(worker, tree):
    assert refuse(worker, tree, audience_areas=[], care_tags=[])["audience_areas"] == ["audience_required"]


def test_a_house_is_not_an_audience_node(worker, tree):
    assert refuse(worker, tree, audience_areas=[tree.house_a.area])["audience_areas"] == ["audience_level"]


def test_a_notice_cannot_be_published_at_a_building(worker, tree):
    assert refuse(worker, tree, area=tree.building_a)["area"] == ["area_level"]


def test_expiry_before_the_scheduled_time_is_refused(worker, tree):
    start = timezone.now() + timedelta(days=2)
    errors = refuse(worker, tree, publish_at=start, expires_at=start - timedelta(hours=1))
    assert errors["expires_at"] == ["expires_before_publish"]


def test_expiry_in_the_past_is_refused_for_an_unscheduled_notice(worker, tree):
    errors = refuse(worker, tree, expires_at=timezone.now() - timedelta(minutes=1))
    assert errors["expires_at"] == ["expires_before_publish"]


def test_a_schedule_in_the_past_is_refused(worker, tree):
    errors = refuse(worker, tree, publish_at=timezone.now() - timedelta(hours=1))
    assert errors["publish_at"] == ["publish_at_past"]


def test_no_channel_is_refused(worker, tree):
    assert refuse(worker, tree, channels=[])["channels"] == ["channels_required"]


def test_an_unknown_placeholder_is_refused_on_its_field(worker, tree):
    errors = refuse(worker, tree, body="{communty}居民：明天停水。")
    assert errors["body"] == ["placeholder_unknown"]


def test_every_bad_field_is_reported_at_once(worker, tree):
    errors = refuse(worker, tree, title="", audience_areas=[], channels=[])
    assert set(errors) == {"title", "audience_areas", "channels"}


def test_placeholders_are_filled_from_the_area_and_dates(worker, tree):
    start = timezone.now() + timedelta(days=1)
    notice = services.notice_draft(actor=Actor(user=worker), **content(
        tree, title="{community}停水通知", body="{street}{area}：{publish_date}停水。{ 不是占位符 }",
        publish_at=start, expires_at=start + timedelta(days=1),
    ))
    day = timezone.localdate(start)
    assert notice.title == "长庆坊社区停水通知"
    assert notice.body == f"小寨路街道长庆坊社区：{day.year}年{day.month}月{day.day}日停水。{{ 不是占位符 }}"


def test_html_is_kept_as_text_and_never_trusted(worker, tree):
    notice = services.notice_draft(actor=Actor(user=worker), **content(tree, body="<script>alert(1)</script>"))
    assert notice.body == "<script>alert(1)</script>"  # stored as typed; every page escapes it


def test_only_the_author_may_change_a_draft(draft, approver, tree):
    notice = draft()
    with pytest.raises(PermissionDenied):
        services.notice_update(actor=Actor(user=approver), notice=notice, **content(tree, title="改了"))
    notice.refresh_from_db()
    assert notice.title == "停水通知"


def test_the_author_changes_the_draft_and_its_audience(draft, worker, tree):
    notice = draft()
    services.notice_update(actor=Actor(user=worker), notice=notice,
                           **content(tree, title="停水通知（更新）", audience_areas=[tree.building_a]))
    notice.refresh_from_db()
    assert notice.title == "停水通知（更新）" and list(notice.audience_areas.all()) == [tree.building_a]
