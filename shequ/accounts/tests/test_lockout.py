"""Repeated failures lock the account; the messages never tell which part was wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shequ.accounts import services
from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord, User
from shequ.accounts.tests.helpers import PASSWORD, enrol, wrong_code

LOGIN = reverse("accounts:login")
CODE = reverse("accounts:login_totp")
LOCKED = "账户因多次登录失败已被临时锁定"


def attempt(client: Client, username: str, password: str) -> str:
    return client.post(LOGIN, {"username": username, "password": password}).content.decode()


def error_of(page: str) -> str:
    """The text of the form's error list, the only part that differs between refusals."""
    start = page.index('<ul class="errorlist"')
    return page[start : page.index("</ul>", start)]


def test_it_locks_the_account_after_the_limit(worker, lockout_limit):
    client = Client()
    for _ in range(lockout_limit):
        page = attempt(client, "worker_a", "wrong-password-1")
    assert LOCKED in page
    worker.refresh_from_db()
    assert worker.locked_until > timezone.now()
    assert AuditRecord.objects.filter(action="login.failed", detail__locked=True).count() == 1


def test_it_does_not_lock_before_the_limit(worker, lockout_limit):
    client = Client()
    for _ in range(lockout_limit - 1):
        page = attempt(client, "worker_a", "wrong-password-1")
    assert LOCKED not in page
    worker.refresh_from_db()
    assert worker.locked_until is None


def test_it_refuses_the_right_password_while_locked(resident_user, lockout_limit):
    client = Client()
    for _ in range(lockout_limit):
        attempt(client, "resident_a", "wrong-password-1")
    page = attempt(client, "resident_a", PASSWORD)
    assert LOCKED in page
    assert SESSION_KEY not in client.session
    assert AuditRecord.objects.filter(action="login.locked", object_id=str(resident_user.pk)).exists()


def test_it_counts_wrong_codes_towards_the_same_lockout(worker, lockout_limit):
    totp = enrol(worker)
    client = Client()
    attempt(client, "worker_a", "wrong-password-1")
    attempt(client, "worker_a", PASSWORD)
    for _ in range(lockout_limit - 1):
        response = client.post(CODE, {"code": wrong_code(totp)})
    assert response["Location"] == LOGIN
    assert LOCKED in client.get(LOGIN).content.decode()
    worker.refresh_from_db()
    assert worker.locked_until > timezone.now()
    # and the right code is no use any more
    attempt(client, "worker_a", PASSWORD)
    assert SESSION_KEY not in client.session


def test_it_refuses_a_right_code_once_locked_during_the_code_step(worker, lockout_limit):
    totp = enrol(worker)
    client = Client()
    attempt(client, "worker_a", PASSWORD)
    User.objects.filter(pk=worker.pk).update(locked_until=timezone.now() + timedelta(minutes=5))
    response = client.post(CODE, {"code": totp.now()})
    assert response["Location"] == LOGIN
    assert SESSION_KEY not in client.session


def test_it_gives_the_same_answer_for_a_wrong_username_and_a_wrong_password(worker):
    wrong_user = attempt(Client(), "nobody_here", PASSWORD)
    wrong_password = attempt(Client(), "worker_a", "wrong-password-1")
    assert error_of(wrong_user) == error_of(wrong_password)
    assert "用户名或密码不正确" in error_of(wrong_user)


def test_it_locks_an_unknown_username_like_a_real_one(worker, lockout_limit):
    """Otherwise the lockout message would tell which accounts exist."""
    for _ in range(lockout_limit):
        unknown = attempt(Client(), "nobody_here", "wrong-password-1")
        known = attempt(Client(), "worker_a", "wrong-password-1")
    assert error_of(unknown) == error_of(known)
    assert LOCKED in error_of(unknown)


def test_it_gives_fresh_tries_once_a_lock_has_run_out(resident_user, lockout_limit):
    User.objects.filter(pk=resident_user.pk).update(
        failed_logins=lockout_limit, locked_until=timezone.now() - timedelta(minutes=1)
    )
    page = attempt(Client(), "resident_a", "wrong-password-1")
    assert LOCKED not in page
    resident_user.refresh_from_db()
    assert resident_user.failed_logins == 1 and resident_user.locked_until is None


def test_it_resets_the_failure_count_after_a_login(resident_user, lockout_limit):
    client = Client()
    attempt(client, "resident_a", "wrong-password-1")
    attempt(client, "resident_a", PASSWORD)
    resident_user.refresh_from_db()
    assert resident_user.failed_logins == 0


def test_the_security_administrator_can_unlock(resident_user, secadmin, lockout_limit):
    for _ in range(lockout_limit):
        attempt(Client(), "resident_a", "wrong-password-1")
    services.user_unlock(actor=Actor(secadmin), user=resident_user)
    client = Client()
    attempt(client, "resident_a", PASSWORD)
    assert client.session[SESSION_KEY] == str(resident_user.pk)
    assert AuditRecord.objects.filter(action="account.unlocked", actor=secadmin).exists()


@pytest.mark.parametrize("persona", ["sysadmin", "auditor", "worker"])
def test_only_the_security_administrator_can_unlock(resident_user, persona, request):
    User.objects.filter(pk=resident_user.pk).update(locked_until=timezone.now() + timedelta(minutes=5))
    with pytest.raises(PermissionDenied):
        services.user_unlock(actor=Actor(request.getfixturevalue(persona)), user=resident_user)
    resident_user.refresh_from_db()
    assert resident_user.locked_until is not None
