"""The police one-click link: forwarding to the public-security platform, with retries
and a record of each try, against a small HTTP server started here."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.alarms import services
from shequ.alarms.models import Alarm, PoliceForward
from shequ.alarms.police_link import HttpJsonPoliceLink, LinkResult, NullPoliceLink, PoliceLink, police_link
from shequ.alarms.tests.conftest import sos_from_phone

pytestmark = pytest.mark.django_db


def _forward(alarm, user):
    return services.police_forward(alarm=alarm, actor=Actor(user=user), deliver=False)


def _deliver(at):
    return services.police_forwards_deliver_due(at)


def test_it_retries_with_growing_waits_until_the_platform_takes_it(forced_alarm, police, link_server):
    server = link_server([503, 502, 200])
    forward = _forward(forced_alarm, police)
    start = forward.requested_at

    _deliver(start)  # 1st: 503, next in 2 s
    assert _deliver(start + timedelta(seconds=1.9)) == []  # not due yet
    _deliver(start + timedelta(seconds=2))  # 2nd: 502, next in 4 s
    assert _deliver(start + timedelta(seconds=5.9)) == []
    _deliver(start + timedelta(seconds=6))  # 3rd: 200

    forward.refresh_from_db()
    assert (forward.status, forward.attempt_count, forward.next_attempt_at) == ("sent", 3, None)
    attempts = list(forward.attempts.values_list("number", "ok", "http_status"))
    assert attempts == [(1, False, 503), (2, False, 502), (3, True, 200)]
    assert "GA-2024-0001" in forward.attempts.get(number=3).response_excerpt
    assert all(attempt.at is not None for attempt in forward.attempts.all())
    assert len(server.received) == 3
    alarm = Alarm.objects.get(pk=forced_alarm.pk)
    assert alarm.police_status == "sent"
    assert "已送达公安平台（HTTP 200）" in alarm.actions.get(action="forward_result").note


def test_every_try_carries_the_same_key(forced_alarm, police, link_server):
    server = link_server([503, 200])
    forward = _forward(forced_alarm, police)
    _deliver(forward.requested_at)
    _deliver(forward.requested_at + timedelta(seconds=2))

    keys = {request["headers"]["Idempotency-Key"] for request in server.received}
    assert keys == {str(forward.key)}


def test_it_gives_up_after_the_last_attempt_and_says_so(forced_alarm, police, link_server):
    server = link_server([500])
    forward = _forward(forced_alarm, police)
    at = forward.requested_at
    for _ in range(10):
        _deliver(at)
        at += timedelta(minutes=5)

    forward.refresh_from_db()
    assert (forward.status, forward.attempt_count) == ("failed", 4)  # SHEQU_POLICE_LINK_MAX_ATTEMPTS in the fixture
    assert len(server.received) == 4
    assert "已尝试 4 次均失败" in forward.outcome and "已放弃" in forward.outcome
    alarm = Alarm.objects.get(pk=forced_alarm.pk)
    assert alarm.police_status == "failed"
    assert "已放弃推送" in alarm.actions.get(action="forward_result").note
    record = AuditRecord.objects.get(action="alarm.police_forward_result")
    assert (record.detail["status"], record.detail["attempts"]) == ("failed", 4)


def test_the_waits_grow_and_stay_bounded(settings):
    from shequ.alarms import conf

    settings.SHEQU_POLICE_LINK_BACKOFF_SECONDS = 2
    settings.SHEQU_POLICE_LINK_BACKOFF_MAX_SECONDS = 10

    assert [conf.link_backoff(n).total_seconds() for n in range(1, 6)] == [2, 4, 8, 10, 10]


def test_a_refusal_is_not_retried(forced_alarm, police, link_server):
    server = link_server([400])
    forward = _forward(forced_alarm, police)

    _deliver(forward.requested_at)
    _deliver(forward.requested_at + timedelta(minutes=10))

    forward.refresh_from_db()
    assert (forward.status, forward.attempt_count) == ("failed", 1)
    assert len(server.received) == 1
    assert "拒绝" in forward.outcome


def test_an_unreachable_platform_is_recorded_and_retried(forced_alarm, police, settings):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.SHEQU_POLICE_LINK_URL = f"http://127.0.0.1:{port}/alarms"
    forward = _forward(forced_alarm, police)

    _deliver(forward.requested_at)

    forward.refresh_from_db()
    attempt = forward.attempts.get()
    assert (attempt.ok, attempt.http_status) == (False, None)
    assert "refused" in attempt.error.lower() or "error" in attempt.error.lower()
    assert (forward.status, forward.next_attempt_at) == ("pending", forward.requested_at + timedelta(seconds=2))


def test_the_payload_says_what_where_when_and_who(resident_user, person_a, tree, police, link_server, settings):
    server = link_server([200])
    settings.SHEQU_POLICE_LINK_SECRET = "shared-secret"
    resident_user.person = person_a
    resident_user.save()
    alarm = sos_from_phone(resident_user, tree.house_a.area, detail="有人闯入", latitude="34.2", longitude="108.9")
    forward = _forward(alarm, police)

    _deliver(forward.requested_at)

    request = server.received[0]
    body = json.loads(request["body"])
    assert body["schema"] == "shequ.police-link/1"
    assert (body["alarm"]["id"], body["alarm"]["kind"], body["alarm"]["kind_label"]) == (alarm.pk, "sos", "一键报警")
    assert body["alarm"]["raised_at"] == alarm.raised_at.isoformat()
    assert body["location"]["label"] == "西安市 雁塔区 小寨路街道 长庆坊社区 长庆坊 3号楼 2单元 0301"
    assert body["location"]["short_label"] == "长庆坊 3号楼 2单元 0301"
    assert (body["location"]["latitude"], body["location"]["longitude"]) == (34.2, 108.9)
    assert body["reporter"] == {"phone_masked": "138****5678"}
    assert "13812345678" not in request["body"].decode()
    expected = hmac.new(b"shared-secret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Shequ-Signature"] == f"sha256={expected}"


def test_without_a_url_the_forward_is_recorded_as_not_configured(forced_alarm, police):
    forward = services.police_forward(alarm=forced_alarm, actor=Actor(user=police))

    forward.refresh_from_db()
    assert (forward.status, forward.attempt_count, forward.backend) == (
        "not_configured", 1, "shequ.alarms.police_link.NullPoliceLink")
    assert "未配置" in forward.attempts.get().error
    alarm = Alarm.objects.get(pk=forced_alarm.pk)
    assert alarm.police_status == "not_configured"
    assert list(alarm.actions.filter(action__startswith="forward").values_list("action", flat=True)) == [
        "forwarded", "forward_result"]


def test_it_can_be_forwarded_again_once_configured(forced_alarm, police, settings, link_server):
    services.police_forward(alarm=forced_alarm, actor=Actor(user=police))
    link_server([200])

    forward = _forward(forced_alarm, police)
    _deliver(forward.requested_at)

    assert PoliceForward.objects.filter(alarm=forced_alarm).count() == 2
    assert Alarm.objects.get(pk=forced_alarm.pk).police_status == "sent"


def test_it_refuses_a_second_forward_while_one_is_under_way(forced_alarm, police, link_server):
    link_server([503])
    _forward(forced_alarm, police)

    with pytest.raises(ValidationError) as caught:
        _forward(forced_alarm, police)

    assert caught.value.error_dict["alarm"][0].code == "already_forwarded"
    assert PoliceForward.objects.count() == 1


def test_it_refuses_to_forward_a_closed_alarm(forced_alarm, guard):
    services.alarm_acknowledge(alarm=forced_alarm, actor=Actor(user=guard))
    services.alarm_close(alarm=forced_alarm, actor=Actor(user=guard))

    with pytest.raises(ValidationError) as caught:
        _forward(forced_alarm, guard)

    assert caught.value.error_dict["alarm"][0].code == "closed"


def test_staff_who_only_watch_cannot_forward(forced_alarm, street_cadre):
    with pytest.raises(PermissionDenied):
        _forward(forced_alarm, street_cadre)

    assert not PoliceForward.objects.exists()


def test_police_of_another_community_cannot_forward(forced_alarm, police_b):
    with pytest.raises(PermissionDenied):
        _forward(forced_alarm, police_b)


def test_two_senders_never_try_the_same_forward_at_once(forced_alarm, police, link_server):
    server = link_server([503])
    forward = _forward(forced_alarm, police)
    # the first sender has claimed it (and is still waiting for the platform)
    PoliceForward.objects.filter(pk=forward.pk).update(next_attempt_at=forward.requested_at + timedelta(seconds=33))

    assert services.police_forward_try(forward_pk=forward.pk, now=forward.requested_at) is None
    assert server.received == []


def test_a_broken_backend_is_a_failed_try_not_a_crash(forced_alarm, police, settings):
    settings.SHEQU_POLICE_LINK_BACKEND = "shequ.alarms.tests.test_police_link.BrokenLink"
    forward = _forward(forced_alarm, police)

    _deliver(forward.requested_at)

    attempt = PoliceForward.objects.get().attempts.get()
    assert "RuntimeError" in attempt.error


class BrokenLink(PoliceLink):
    def send(self, payload, *, key):
        raise RuntimeError("vendor SDK exploded")


class RecordingLink(PoliceLink):
    sent: list = []

    def send(self, payload, *, key):
        RecordingLink.sent.append((key, payload))
        return LinkResult(ok=True, http_status=201, response_excerpt="accepted")


def test_a_backend_is_chosen_by_its_dotted_path(forced_alarm, police, settings):
    settings.SHEQU_POLICE_LINK_BACKEND = "shequ.alarms.tests.test_police_link.RecordingLink"
    RecordingLink.sent = []
    forward = _forward(forced_alarm, police)

    _deliver(forward.requested_at)

    assert [key for key, _payload in RecordingLink.sent] == [str(forward.key)]
    assert PoliceForward.objects.get().status == "sent"


def test_the_default_backend_follows_the_url(settings):
    settings.SHEQU_POLICE_LINK_URL = ""
    assert isinstance(police_link(), NullPoliceLink)

    settings.SHEQU_POLICE_LINK_URL = "http://127.0.0.1:9/alarms"
    assert isinstance(police_link(), HttpJsonPoliceLink)


def test_a_backend_that_is_not_a_police_link_is_refused(settings):
    settings.SHEQU_POLICE_LINK_BACKEND = "shequ.alarms.police_link.LinkResult"

    with pytest.raises(TypeError):
        police_link()


# --- through the pages ------------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_button_forwards_and_answers_with_the_result(client_for, police, forced_alarm, link_server):
    """Committed for real (the first try runs once the forward is committed), as in production."""
    server = link_server([200])

    response = client_for(police).post(f"/alarms/{forced_alarm.pk}/forward/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["alarm"]["police_status"] == "sent"
    assert len(server.received) == 1
    forward = PoliceForward.objects.get()
    assert (forward.requested_by, forward.reason) == (police, "manual")
    assert AuditRecord.objects.filter(action="alarm.police_forward", actor=police).exists()


def test_the_detail_page_lists_each_try(client_for, police, forced_alarm, link_server):
    link_server([503, 200])
    forward = _forward(forced_alarm, police)
    _deliver(forward.requested_at)
    _deliver(forward.requested_at + timedelta(seconds=2))

    html = client_for(police).get(f"/alarms/{forced_alarm.pk}/").content.decode()

    assert 'data-forward-status="sent"' in html
    assert "HTTP 503" in html and "HTTP 200" in html
    assert 'data-step="forward"' not in html  # delivered: no second button


def test_a_guard_of_another_complex_gets_404_from_the_button(client_for, guard_b, forced_alarm):
    response = client_for(guard_b).post(f"/alarms/{forced_alarm.pk}/forward/")

    assert response.status_code == 404
    assert not PoliceForward.objects.exists()


def test_the_button_twice_answers_409(client_for, police, forced_alarm, link_server):
    link_server([503])
    _forward(forced_alarm, police)

    response = client_for(police).post(f"/alarms/{forced_alarm.pk}/forward/", HTTP_ACCEPT="application/json")

    assert response.status_code == 409
    assert response.json()["detail"][0]["code"] == "already_forwarded"


def test_deliveries_leave_other_forwards_alone_when_not_due(forced_alarm, police, link_server):
    server = link_server([200])
    forward = _forward(forced_alarm, police)

    assert _deliver(forward.requested_at - timedelta(seconds=1)) == []
    assert server.received == []
    assert timezone.is_aware(forward.requested_at)
