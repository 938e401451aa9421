"""Login in two steps: password, then a TOTP code for staff."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from shequ.accounts.models import AuditRecord, User
from shequ.accounts.tests.helpers import PASSWORD, enrol, wrong_code
from shequ.accounts.views.auth import PENDING_SINCE

LOGIN = reverse("accounts:login")
CODE = reverse("accounts:login_totp")


def password_step(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


@pytest.fixture
def enrolled_worker(worker):
    worker.totp = enrol(worker)
    return worker


def test_it_hashes_passwords_with_argon2(worker):
    worker.refresh_from_db()
    assert worker.password.startswith("argon2")


def test_it_logs_a_resident_in_with_the_password_alone(resident_user):
    client = Client()
    response = password_step(client, "resident_a", next="/accounts/logout/")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(resident_user.pk)


def test_it_does_not_log_staff_in_with_the_password_alone(enrolled_worker):
    client = Client()
    response = password_step(client, "worker_a")
    assert response.status_code == 302 and response["Location"] == CODE
    assert SESSION_KEY not in client.session
    assert client.get("/admin/").status_code == 302  # still anonymous: sent to a login page
    assert not AuditRecord.objects.filter(action="login.ok").exists()


def test_it_logs_staff_in_after_a_correct_code(enrolled_worker):
    client = Client()
    password_step(client, "worker_a")
    response = client.post(CODE, {"code": enrolled_worker.totp.now()})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(enrolled_worker.pk)
    assert client.session["second_factor_ok"] is True
    assert AuditRecord.objects.filter(action="login.ok", actor=enrolled_worker).count() == 1


def test_it_accepts_a_code_typed_with_a_space(enrolled_worker):
    client = Client()
    password_step(client, "worker_a")
    code = enrolled_worker.totp.now()
    client.post(CODE, {"code": f"{code[:3]} {code[3:]}"})
    assert client.session[SESSION_KEY] == str(enrolled_worker.pk)


def test_it_rotates_the_session_key_when_the_code_checks_out(enrolled_worker):
    client = Client()
    password_step(client, "worker_a")
    pending_key = client.session.session_key
    client.post(CODE, {"code": enrolled_worker.totp.now()})
    assert client.session.session_key != pending_key


def test_it_refuses_a_wrong_code(enrolled_worker):
    client = Client()
    password_step(client, "worker_a")
    response = client.post(CODE, {"code": wrong_code(enrolled_worker.totp)})
    assert response.status_code == 200
    assert "动态验证码不正确" in response.content.decode()
    assert SESSION_KEY not in client.session
    enrolled_worker.refresh_from_db()
    assert enrolled_worker.failed_logins == 1
    assert AuditRecord.objects.filter(action="login.failed", object_id=str(enrolled_worker.pk),
                                      detail__step="totp").exists()


def test_it_does_not_count_a_malformed_code_as_a_guess(enrolled_worker):
    client = Client()
    password_step(client, "worker_a")
    response = client.post(CODE, {"code": "12ab"})
    assert "6位数字" in response.content.decode()
    enrolled_worker.refresh_from_db()
    assert enrolled_worker.failed_logins == 0


def test_it_sends_to_the_password_step_when_no_login_is_pending(enrolled_worker):
    response = Client().post(CODE, {"code": enrolled_worker.totp.now()})
    assert response.status_code == 302 and response["Location"] == LOGIN


def test_it_forgets_a_pending_login_after_a_few_minutes(enrolled_worker):
    client = Client()
    password_step(client, "worker_a")
    session = client.session
    session[PENDING_SINCE] = int(time.time()) - 3600
    session.save()
    response = client.post(CODE, {"code": enrolled_worker.totp.now()})
    assert response["Location"] == LOGIN
    assert SESSION_KEY not in client.session


def test_it_logs_staff_without_a_second_factor_in_and_sends_them_to_enrolment(worker):
    client = Client()
    response = password_step(client, "worker_a")
    assert response["Location"] == reverse("accounts:totp_enroll")
    assert client.session[SESSION_KEY] == str(worker.pk)
    assert not client.session.get("second_factor_ok")
    # everywhere outside /accounts/ the middleware insists on enrolment first
    assert client.get("/admin/")["Location"] == reverse("accounts:totp_enroll")


def test_it_keeps_a_half_logged_in_auditor_out_of_the_audit_log(auditor):
    client = Client()
    password_step(client, "auditor")
    response = client.get(reverse("accounts:audit_log"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:totp_enroll")


def test_it_follows_a_next_url_on_this_site(enrolled_worker):
    client = Client()
    password_step(client, "worker_a", next="/people/?q=1")
    response = client.post(CODE, {"code": enrolled_worker.totp.now()})
    assert response["Location"] == "/people/?q=1"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_it_ignores_a_next_url_elsewhere(resident_user, next_url):
    response = password_step(Client(), "resident_a", next=next_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:home")


def test_it_refuses_an_inactive_account(resident_user):
    User.objects.filter(pk=resident_user.pk).update(is_active=False)
    client = Client()
    response = password_step(client, "resident_a")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_it_logs_out_on_post_only(resident_user, client_for):
    client = client_for(resident_user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert AuditRecord.objects.filter(action="logout", actor=resident_user).exists()


def test_it_audits_a_failed_password_with_where_it_came_from(worker):
    password_step(Client(REMOTE_ADDR="10.1.2.3"), "worker_a", password="wrong-password-1")
    record = AuditRecord.objects.get(action="login.failed")
    assert record.object_id == str(worker.pk) and record.ip == "10.1.2.3"
    assert record.actor_id is None
    assert "wrong-password-1" not in str(record.detail)
