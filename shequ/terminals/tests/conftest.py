"""Fixtures of the terminal tests: terminals in homes of communities A and B, their kiosk
URLs, notices published through the notices services, broadcasts signed as the gateway
signs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


def make_terminal(area, device_id: str, kind: str = "indoor_terminal", name: str = ""):
    """A terminal registered through the access service; returns (device, secret)."""
    from shequ.access.services import device_register
    from shequ.accounts.audit import Actor

    registered = device_register(actor=Actor.system(via="test"), device_id=device_id, name=name or device_id,
                                 kind=kind, area=area, faces_enabled=False)
    return registered.device, registered.secret


def kiosk_url(device, name: str = "kiosk", key: str | None = None) -> str:
    from django.urls import reverse

    from shequ.intercom.terminal_auth import terminal_key

    return f"{reverse(f'terminals:{name}', args=[device.device_id])}?key={terminal_key(device) if key is None else key}"


@pytest.fixture
def terminal_a(tree):
    return make_terminal(tree.house_a.area, "cqf-0301-panel", name="0301室内终端")[0]


@pytest.fixture
def terminal_b(tree):
    return make_terminal(tree.house_b.area, "xh-0101-panel", name="0101室内终端")[0]


@pytest.fixture
def approver_a(tree):
    """A second staff member of community A: notices need an approver who is not the author."""
    from conftest import make_user

    return make_user("approver_a", "community_staff", tree.community_a)


@pytest.fixture
def approver_b(tree):
    from conftest import make_user

    return make_user("approver_b", "community_staff", tree.community_b)


def published_notice(*, author, approver, area, title: str, audience=(), care_tags=(), urgent: bool = False,
                     channels=("terminals", "residents")):
    """A notice drafted, submitted, approved and published through the notices services."""
    from shequ.accounts.audit import Actor
    from shequ.notices.services import notice_approve, notice_draft, notice_publish, notice_submit

    notice = notice_draft(actor=Actor(user=author), area=area, title=title, body="请相互转告。", urgent=urgent,
                          audience_areas=list(audience), care_tags=list(care_tags), channels=list(channels))
    notice_submit(actor=Actor(user=author), notice=notice)
    notice_approve(actor=Actor(user=approver), notice=notice)
    return notice_publish(actor=Actor(user=approver), notice=notice)


def notice_body(notice_id, title: str = "停水通知", **fields) -> dict:
    """A ``publish`` body as the notices app makes it (``shequ.notices.broadcast``)."""
    return {"op": "publish", "notice_id": notice_id, "title": title, "body": "明日9时至17时停水检修。",
            "urgent": False, "expires_at": None, **fields}


def broadcast(area_id: int, body: dict, key, *, at: datetime | None = None) -> bytes:
    from shequ.access import protocol

    return protocol.broadcast_encode(area_id=area_id, name="notice", body=body, private_key=key, ts=at)


def moments(count: int, start: datetime | None = None) -> list[datetime]:
    """Increasing signing times a second apart."""
    start = start or datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    return [start + timedelta(seconds=index) for index in range(count)]
