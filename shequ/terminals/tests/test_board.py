"""The terminal's notice board: only the platform's signed notices, each once, in its
latest version, withdrawn ones gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shequ.core import signing
from shequ.terminals.board import NoticeBoard
from shequ.terminals.tests.conftest import broadcast, moments, notice_body

PLATFORM = Ed25519PrivateKey.generate()
PUBLIC = signing.public_key_text(PLATFORM)
AREAS = (1, 5, 9)
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def board() -> NoticeBoard:
    return NoticeBoard(PUBLIC, AREAS)


def test_it_shows_a_notice_the_platform_signed():
    notices = board()

    offer = notices.offer(broadcast(5, notice_body(42, urgent=True), PLATFORM))

    assert offer.outcome == "new"
    [shown] = notices.current(NOW)
    assert (shown.notice_id, shown.title, shown.urgent, shown.area_id) == ("42", "停水通知", True, 5)


def test_it_drops_a_notice_signed_with_another_key():
    notices = board()

    offer = notices.offer(broadcast(5, notice_body(42), Ed25519PrivateKey.generate()))

    assert offer.outcome == "bad_signature"
    assert notices.current(NOW) == []


def test_it_drops_a_notice_altered_after_signing():
    notices = board()
    raw = broadcast(5, notice_body(42, title="停水通知"), PLATFORM)

    offer = notices.offer(raw.replace("停水".encode(), "停电".encode()))

    assert offer.outcome == "bad_signature"
    assert notices.current(NOW) == []


def test_it_drops_notices_while_it_has_no_platform_key():
    notices = NoticeBoard("", AREAS)

    assert notices.offer(broadcast(5, notice_body(42), PLATFORM)).outcome == "no_key"
    assert notices.current(NOW) == []


def test_it_drops_a_genuine_notice_of_another_area_replayed_on_its_topic():
    notices = board()

    assert notices.offer(broadcast(77, notice_body(42), PLATFORM)).outcome == "other_area"
    assert notices.current(NOW) == []


def test_it_drops_junk_and_a_notice_without_an_id():
    notices = board()

    assert notices.offer(b"{not json").outcome == "malformed"
    assert notices.offer(broadcast(5, {"title": "无编号"}, PLATFORM)).outcome == "malformed"
    assert notices.current(NOW) == []


def test_it_shows_a_repeated_notice_once():
    notices = board()
    raw = broadcast(5, notice_body(42), PLATFORM)

    first, again = notices.offer(raw), notices.offer(raw)

    assert (first.outcome, again.outcome) == ("new", "repeat")
    assert [notice.notice_id for notice in notices.current(NOW)] == ["42"]


def test_a_newer_version_replaces_the_notice_and_an_older_one_does_not():
    notices = board()
    early, late = moments(2)
    notices.offer(broadcast(5, notice_body(42, title="停水通知"), PLATFORM, at=early))

    newer = notices.offer(broadcast(5, notice_body(42, title="停水时间变更"), PLATFORM, at=late))
    older = notices.offer(broadcast(5, notice_body(42, title="停水通知"), PLATFORM, at=early - timedelta(seconds=5)))

    assert (newer.outcome, older.outcome) == ("updated", "stale")
    assert [notice.title for notice in notices.current(NOW)] == ["停水时间变更"]


def test_a_withdrawn_notice_disappears_and_a_delayed_copy_does_not_bring_it_back():
    notices = board()
    published, withdrawn = moments(2)
    notices.offer(broadcast(5, notice_body(42), PLATFORM, at=published))
    notices.offer(broadcast(5, notice_body(43, title="电梯维保"), PLATFORM, at=published))

    offer = notices.offer(broadcast(5, {"op": "withdraw", "notice_id": 42}, PLATFORM, at=withdrawn))
    late_copy = notices.offer(broadcast(5, notice_body(42), PLATFORM, at=published))

    assert (offer.outcome, late_copy.outcome) == ("withdrawn", "stale")
    assert [notice.notice_id for notice in notices.current(NOW)] == ["43"]


def test_an_expired_notice_is_not_shown():
    notices = board()
    notices.offer(broadcast(5, notice_body(42, expires_at=(NOW - timedelta(minutes=1)).isoformat()), PLATFORM))
    notices.offer(broadcast(5, notice_body(43, expires_at=(NOW + timedelta(hours=1)).isoformat()), PLATFORM))

    assert [notice.notice_id for notice in notices.current(NOW)] == ["43"]


def test_urgent_notices_come_first_then_the_newest():
    notices = board()
    first, second, third = moments(3)
    notices.offer(broadcast(1, notice_body("a"), PLATFORM, at=first))
    notices.offer(broadcast(9, notice_body("b", urgent=True), PLATFORM, at=second))
    notices.offer(broadcast(5, notice_body("c"), PLATFORM, at=third))

    assert [notice.notice_id for notice in notices.current(NOW)] == ["b", "c", "a"]
