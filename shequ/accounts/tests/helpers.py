"""Helpers for the accounts tests: TOTP enrolment, codes, tampering with the audit table."""

from __future__ import annotations

import time

import pyotp
from django.db import connection

from shequ.accounts import services
from shequ.accounts.audit import Actor
from shequ.accounts.models import RoleGrant, User
from shequ.core import pii

PASSWORD = "Correct-Horse-9"  # the root conftest's personas all use it


def enrol(user: User) -> pyotp.TOTP:
    """Give ``user`` a confirmed TOTP second factor; returns the generator their phone would hold."""
    services.totp_begin_enrolment(user=user)
    user.refresh_from_db()
    totp = pyotp.TOTP(pii.decrypt(user.totp_secret_cipher))
    # confirm with the previous step's code: each step is accepted once, and the
    # tests then log in with ``totp.now()``
    services.totp_confirm_enrolment(user=user, code=totp.at(time.time() - 30), actor=Actor.system(via="test"))
    user.refresh_from_db()
    return totp


def wrong_code(totp: pyotp.TOTP) -> str:
    """A six-digit code that is not valid in any step the server accepts."""
    now = time.time()
    valid = {totp.at(now + offset) for offset in (-90, -60, -30, 0, 30, 60, 90)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def user_with(username: str, role: str | None, area, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    if role:
        RoleGrant.objects.create(user=user, role=role, area=area)
    return user


def disable_audit_triggers() -> None:
    """Bypass the append-only triggers (as a table owner could) to tamper in a test.

    The test's transaction is rolled back afterwards, which restores them.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE accounts_auditrecord DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_no_delete")
