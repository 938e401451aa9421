"""Account services: password + TOTP login with lockout, enrolment, role grants."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.models import RoleGrant, User
from shequ.accounts.roles import STAFF_ROLES, Capability
from shequ.accounts.scope import forget_grants, user_can, user_roles
from shequ.core import pii

TOTP_ISSUER = "Shequ"


class LoginError(Exception):
    """A refused login; ``message`` is safe to show (never says which part was wrong)."""

    def __init__(self, message, code: str):
        super().__init__(str(message))
        self.message = message
        self.code = code


def _is_locked(user: User) -> bool:
    return bool(user.locked_until and user.locked_until > timezone.now())


def _record_failure(user: User, actor: Actor, step: str) -> None:
    """Count a failed step; lock the account once the limit is reached."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        user.refresh_from_db(fields=["failed_logins", "locked_until"])
        locked = user.failed_logins >= settings.SHEQU_LOCKOUT_FAILURES
        if locked:
            user.locked_until = timezone.now() + timedelta(minutes=settings.SHEQU_LOCKOUT_MINUTES)
            user.save(update_fields=["locked_until"])
        audit_append(
            actor=Actor(user=None, ip=actor.ip, via=actor.via),
            action="login.failed",
            obj=user,
            detail={"step": step, "failures": user.failed_logins, "locked": locked},
        )


def login_check_password(*, username: str, password: str, actor: Actor) -> User:
    """First step of a login. Raises LoginError; counts failures towards a lockout."""
    user = User.objects.filter(username=username).first()
    if user is not None and _is_locked(user):
        audit_append(actor=Actor(None, actor.ip, actor.via), action="login.locked", obj=user)
        raise LoginError(_("账户因多次登录失败已被临时锁定，请稍后再试。"), "locked")
    authenticated = authenticate(username=username, password=password)
    if authenticated is None:
        if user is not None:
            _record_failure(user, actor, "password")
            user.refresh_from_db(fields=["locked_until"])
            if _is_locked(user):
                raise LoginError(_("账户因多次登录失败已被临时锁定，请稍后再试。"), "locked")
        else:
            audit_append(
                actor=Actor(None, actor.ip, actor.via), action="login.failed",
                detail={"step": "password", "username": username[:150]},
            )
        raise LoginError(_("用户名或密码不正确。"), "invalid")
    return authenticated


def user_needs_second_factor(user: User) -> bool:
    """Staff (any non-resident role, or Django staff) must pass a TOTP step."""
    if not settings.SHEQU_REQUIRE_2FA:
        return False
    return user.is_staff or user.is_superuser or bool(user_roles(user) & STAFF_ROLES)


def login_check_totp(*, user: User, code: str, actor: Actor) -> None:
    """Second step: a current TOTP code. Failures count towards the same lockout."""
    if _is_locked(user):
        raise LoginError(_("账户因多次登录失败已被临时锁定，请稍后再试。"), "locked")
    if not user.has_totp or not totp_matches(user, code):
        _record_failure(user, actor, "totp")
        raise LoginError(_("动态验证码不正确。"), "invalid_code")


def totp_matches(user: User, code: str) -> bool:
    secret = pii.decrypt(user.totp_secret_cipher)
    # valid_window=1 accepts the previous and next 30 s step: phone clocks drift
    return pyotp.TOTP(secret).verify((code or "").strip(), valid_window=1)


def login_succeeded(*, user: User, actor: Actor) -> None:
    """Reset the failure counter and log the login."""
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None, last_login=timezone.now())
    audit_append(actor=Actor(user, actor.ip, actor.via), action="login.ok", obj=user)


def totp_begin_enrolment(*, user: User) -> str:
    """Create (or reuse an unconfirmed) secret; returns its otpauth:// URI for a QR code."""
    if not user.totp_secret_cipher or user.totp_confirmed_at is None:
        user.totp_secret_cipher = pii.encrypt(pyotp.random_base32())
        user.totp_confirmed_at = None
        user.save(update_fields=["totp_secret_cipher", "totp_confirmed_at"])
    secret = pii.decrypt(user.totp_secret_cipher)
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=TOTP_ISSUER)


def totp_confirm_enrolment(*, user: User, code: str, actor: Actor) -> None:
    """Confirm enrolment with a first valid code."""
    if not user.totp_secret_cipher or not totp_matches(user, code):
        raise ValidationError({"code": _("动态验证码不正确，请重新输入手机上显示的6位数字。")}, code="invalid_code")
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_confirmed_at"])
    audit_append(actor=actor, action="totp.enrolled", obj=user)


def user_unlock(*, actor: Actor, user: User) -> None:
    """Security administrator lifts a lockout."""
    if not user_can(actor.user, Capability.MANAGE_GRANTS):
        raise PermissionDenied
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    audit_append(actor=actor, action="account.unlocked", obj=user)


def grant_role(*, actor: Actor, user: User, role: str, area) -> RoleGrant:
    """Give ``user`` a role on ``area``; the granter must manage grants above it."""
    if actor.user is not None and not user_can(actor.user, Capability.MANAGE_GRANTS, area):
        raise PermissionDenied
    grant, _created = RoleGrant.objects.get_or_create(
        user=user, role=role, area=area, revoked_at=None, defaults={"granted_by": actor.user}
    )
    forget_grants(user)
    audit_append(actor=actor, action="grant.created", obj=grant, area_path=area.path, detail={"role": role, "user": user.pk})
    return grant


def revoke_grant(*, actor: Actor, grant: RoleGrant) -> None:
    if actor.user is not None and not user_can(actor.user, Capability.MANAGE_GRANTS, grant.area):
        raise PermissionDenied
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    forget_grants(grant.user)
    audit_append(actor=actor, action="grant.revoked", obj=grant, area_path=grant.area.path)
