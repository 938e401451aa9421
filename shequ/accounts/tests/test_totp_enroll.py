"""TOTP enrolment: a QR code drawn on the page, confirmed with a first code."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from shequ.accounts import services
from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.accounts.tests.helpers import PASSWORD, enrol, wrong_code
from shequ.core import pii

ENROL = reverse("accounts:totp_enroll")


@pytest.fixture
def half_logged_in(worker) -> Client:
    """A staff member past the password step, without a second factor yet."""
    client = Client()
    client.post(reverse("accounts:login"), {"username": "worker_a", "password": PASSWORD})
    return client


def secret_on(page: str) -> str:
    return re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")


def test_it_draws_the_qr_code_inline_and_shows_the_secret(half_logged_in):
    page = half_logged_in.get(ENROL).content.decode()
    assert '<svg' in page and 'class="qr"' in page
    assert "<img" not in page and "http" not in page.split("<main>")[1].split("</main>")[0]
    assert len(secret_on(page)) == 32


def test_it_keeps_the_same_secret_across_page_loads(half_logged_in):
    first = secret_on(half_logged_in.get(ENROL).content.decode())
    second = secret_on(half_logged_in.get(ENROL).content.decode())
    assert first == second


def test_it_enrols_with_a_correct_code(half_logged_in, worker):
    secret = secret_on(half_logged_in.get(ENROL).content.decode())
    response = half_logged_in.post(ENROL, {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.has_totp
    assert half_logged_in.session["second_factor_ok"] is True
    assert AuditRecord.objects.filter(action="totp.enrolled", object_id=str(worker.pk)).exists()


def test_it_refuses_a_wrong_code_at_enrolment(half_logged_in, worker):
    secret = secret_on(half_logged_in.get(ENROL).content.decode())
    response = half_logged_in.post(ENROL, {"code": wrong_code(pyotp.TOTP(secret))})
    assert response.status_code == 200
    assert "动态验证码不正确" in response.content.decode()
    worker.refresh_from_db()
    assert not worker.has_totp
    assert not half_logged_in.session.get("second_factor_ok")


def test_it_asks_for_the_password_first(worker):
    response = Client().get(ENROL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_it_logs_out_a_password_only_session_of_an_enrolled_user(worker):
    enrol(worker)
    client = Client()
    client.force_login(worker)  # e.g. a session that never passed the code step
    response = client.get(ENROL)
    assert response["Location"].startswith(reverse("accounts:login"))
    assert SESSION_KEY not in client.session


def test_it_never_hands_out_a_confirmed_secret_again(worker):
    enrol(worker)
    with pytest.raises(PermissionDenied):
        services.totp_begin_enrolment(user=worker)


def test_a_reset_second_factor_is_enrolled_anew(worker, secadmin):
    old = enrol(worker)
    services.totp_reset(actor=Actor(secadmin), user=worker)
    worker.refresh_from_db()
    assert not worker.has_totp
    services.totp_begin_enrolment(user=worker)
    worker.refresh_from_db()
    assert pii.decrypt(worker.totp_secret_cipher) != old.secret
