"""Notice fixtures: a second staff member of community A to approve (four eyes),
residents in each house, and helpers that take a notice through its steps with
the real services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import make_user
from shequ.accounts.audit import Actor
from shequ.notices import services


@pytest.fixture
def approver(tree):
    return make_user("approver_a", "community_staff", tree.community_a, display_name="社区A审批人")


@pytest.fixture
def resident_a2(tree):
    return make_user("resident_a2", "resident", tree.house_a2.area)


@pytest.fixture
def resident_b(tree):
    return make_user("resident_b", "resident", tree.house_b.area)


def content(tree, **overrides) -> dict:
    """What a community worker of A types for an ordinary notice to complex A."""
    values = {
        "area": tree.community_a, "title": "停水通知", "body": "因管道检修，明天9:00-17:00停水。\n请提前储水。",
        "category": "utilities", "urgent": False, "audience_areas": [tree.complex_a], "care_tags": [],
        "channels": ["residents"], "publish_at": None, "expires_at": timezone.now() + timedelta(days=3),
    }
    values.update(overrides)
    return values


@pytest.fixture
def draft(tree, worker):
    """``draft(**overrides)``: a notice drafted by the worker of community A."""

    def make(**overrides):
        return services.notice_draft(actor=Actor(user=worker), **content(tree, **overrides))

    return make


@pytest.fixture
def approved(draft, worker, approver):
    """``approved(**overrides)``: drafted by the worker, submitted, approved by the approver."""

    def make(**overrides):
        notice = draft(**overrides)
        services.notice_submit(actor=Actor(user=worker), notice=notice)
        return services.notice_approve(actor=Actor(user=approver), notice=notice)

    return make


@pytest.fixture
def published(approved, approver):
    """``published(**overrides)``: approved, then published now by the approver."""

    def make(**overrides):
        return services.notice_publish(actor=Actor(user=approver), notice=approved(**overrides))

    return make
