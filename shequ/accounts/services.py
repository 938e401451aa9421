"""Account services: password + TOTP login with lockout, enrolment, role grants,
account changes by the administrators, and reading the audit log."""

from __future__ import annotations

from collections.abc import Iterable
import hmac
from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts import selectors
from shequ.accounts.audit import Actor, ChainProblem, audit_append, audit_verify
from shequ.accounts.models import AuditRecord, RoleGrant, User
from shequ.accounts.roles import ADMINISTRATOR_ROLES, STAFF_ROLES, Capability, Role
from shequ.accounts.scope import forget_grants, user_can, user_roles
from shequ.core import pii

TOTP_ISSUER = "Shequ"

# One message for every refused password step and one for every lockout, so a
# refusal never tells which part was wrong or whether the account exists.
INVALID_LOGIN = _("用户名或密码不正确。")
LOCKED_LOGIN = _("账户因多次登录失败已被临时锁定，请稍后再试。")
INVALID_CODE = _("动态验证码不正确。")


class LoginError(Exception):
    """A refused login; ``message`` is safe to show (never says which part was wrong)."""

    def __init__(self, message, code: str):
        super().__init__(str(message))
        self.message = message
        self.code = code


def _is_locked(user: User) -> bool:
    return bool(user.locked_until and user.locked_until > timezone.now())


def _anonymous(actor: Actor) -> Actor:
    # nobody is logged in while a login is refused; keep where it came from
    return Actor(user=None, ip=actor.ip, via=actor.via)


def _record_failure(user: User, actor: Actor, step: str) -> bool:
    """Count a failed step; lock the account once the limit is reached. Returns locked."""
    now = timezone.now()
    with transaction.atomic():
        # a lock that has run out starts a fresh count: N new tries, not one
        User.objects.filter(pk=user.pk, locked_until__lte=now).update(failed_logins=0, locked_until=None)
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        user.refresh_from_db(fields=["failed_logins", "locked_until"])
        locked = user.failed_logins >= settings.SHEQU_LOCKOUT_FAILURES
        if locked:
            user.locked_until = now + timedelta(minutes=settings.SHEQU_LOCKOUT_MINUTES)
            user.save(update_fields=["locked_until"])
        audit_append(
            actor=_anonymous(actor),
            action="login.failed",
            obj=user,
            detail={"step": step, "failures": user.failed_logins, "locked": locked},
        )
    return locked


def _unknown_name_failures(username: str) -> int:
    """Recent failures for a username no account has (read back from the audit log)."""
    since = timezone.now() - timedelta(minutes=settings.SHEQU_LOCKOUT_MINUTES)
    return AuditRecord.objects.filter(
        action="login.failed", object_type="", at__gte=since, detail__username=username[:150]
    ).count()


def login_check_password(*, username: str, password: str, actor: Actor) -> User:
    """First step of a login. Raises LoginError; counts failures towards a lockout.

    A username that no account has is "locked" after as many failures as a real
    one, so the lockout message cannot be used to find out which accounts exist.
    """
    user = User.objects.filter(username=username).first()
    locked = _is_locked(user) if user is not None else (
        _unknown_name_failures(username) >= settings.SHEQU_LOCKOUT_FAILURES
    )
    if locked:
        audit_append(actor=_anonymous(actor), action="login.locked", obj=user,
                     detail={} if user else {"username": username[:150]})
        raise LoginError(LOCKED_LOGIN, "locked")
    authenticated = authenticate(username=username, password=password)
    if authenticated is not None:
        return authenticated
    if user is not None:
        locked = _record_failure(user, actor, "password")
    else:
        audit_append(actor=_anonymous(actor), action="login.failed",
                     detail={"step": "password", "username": username[:150]})
        locked = _unknown_name_failures(username) >= settings.SHEQU_LOCKOUT_FAILURES
    if locked:
        raise LoginError(LOCKED_LOGIN, "locked")
    raise LoginError(INVALID_LOGIN, "invalid")


def user_needs_second_factor(user: User) -> bool:
    """Staff (any non-resident role, or Django staff) must pass a TOTP step."""
    if not settings.SHEQU_REQUIRE_2FA:
        return False
    return user.is_staff or user.is_superuser or bool(user_roles(user) & STAFF_ROLES)


def login_check_totp(*, user: User, code: str, actor: Actor) -> None:
    """Second step: a current TOTP code. Failures count towards the same lockout."""
    user.refresh_from_db(fields=["failed_logins", "locked_until"])
    if _is_locked(user):
        audit_append(actor=_anonymous(actor), action="login.locked", obj=user, detail={"step": "totp"})
        raise LoginError(LOCKED_LOGIN, "locked")
    if not user.has_totp or not totp_matches(user, code):
        if _record_failure(user, actor, "totp"):
            raise LoginError(LOCKED_LOGIN, "locked")
        raise LoginError(INVALID_CODE, "invalid_code")


def totp_matches(user: User, code: str) -> bool:
    """Check a code and burn its time step, so an overheard code cannot be replayed.

    The previous and next 30 s steps are accepted too (phone clocks drift); a step
    is accepted once only, recorded in ``totp_last_step`` with a conditional UPDATE
    so two concurrent logins with the same code cannot both pass.
    """
    totp = pyotp.TOTP(pii.decrypt(user.totp_secret_cipher))
    code = (code or "").strip()
    now = timezone.now()
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if step > user.totp_last_step and hmac.compare_digest(totp.generate_otp(step), code):
            burned = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step)
            if burned:
                user.totp_last_step = step
                return True
    return False


def login_succeeded(*, user: User, actor: Actor) -> None:
    """Reset the failure counter and log the login."""
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None, last_login=timezone.now())
    audit_append(actor=Actor(user, actor.ip, actor.via), action="login.ok", obj=user)


def session_ended(*, actor: Actor) -> None:
    """Log a logout."""
    if actor.user is not None:
        audit_append(actor=actor, action="logout", obj=actor.user)


def totp_begin_enrolment(*, user: User) -> str:
    """Create (or reuse an unconfirmed) secret; returns its otpauth:// URI for a QR code.

    A confirmed secret is never shown again: whoever holds only the password must
    not be able to copy the second factor. A lost phone is reset by the security
    administrator (:func:`totp_reset`).
    """
    if user.has_totp:
        raise PermissionDenied(_("动态口令已启用；如需更换，请联系安全管理员重置。"))
    if not user.totp_secret_cipher:
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


def _require_manages_grants_of(actor: Actor, user: User) -> None:
    """System actors (CLI) act with the operator's rights; people only inside their scope."""
    if actor.user is None:
        return
    if not selectors.user_list(viewer=actor.user, capability=Capability.MANAGE_GRANTS).filter(pk=user.pk).exists():
        raise PermissionDenied(_("您无权管理该账户。"))


def user_unlock(*, actor: Actor, user: User) -> None:
    """Security administrator lifts a lockout."""
    _require_manages_grants_of(actor, user)
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    user.failed_logins, user.locked_until = 0, None
    audit_append(actor=actor, action="account.unlocked", obj=user)


def totp_reset(*, actor: Actor, user: User) -> None:
    """Security administrator drops a user's second factor (lost phone); they enrol again at next login."""
    _require_manages_grants_of(actor, user)
    User.objects.filter(pk=user.pk).update(totp_secret_cipher="", totp_confirmed_at=None)
    user.totp_secret_cipher, user.totp_confirmed_at = "", None
    audit_append(actor=actor, action="totp.reset", obj=user)


def grant_validate(*, actor: Actor, user: User, role: str, area) -> None:
    """The rules a new grant must meet, as a ValidationError keyed by field (forms show them in place)."""
    errors = {}
    if role not in Role.values:
        errors["role"] = _("未知的角色。")
    if area.retired_on:
        errors["area"] = _("该区域已撤销，不能在此授权。")
    if actor.user is not None and actor.user.pk == user.pk:
        # nobody widens their own rights, least of all an administrator
        errors["user"] = _("不能给自己授权。")
    if role in ADMINISTRATOR_ROLES and RoleGrant.objects.active().filter(
        user=user, role__in=ADMINISTRATOR_ROLES - {role}
    ).exists():
        errors["role"] = _("系统管理员、安全管理员和安全审计员不能由同一账户兼任。")
    if errors:
        raise ValidationError(errors)


def grant_role(*, actor: Actor, user: User, role: str, area) -> RoleGrant:
    """Give ``user`` a role on ``area``; the granter must manage grants above it.

    Granting an active grant again returns it unchanged.
    """
    if actor.user is not None and not user_can(actor.user, Capability.MANAGE_GRANTS, area):
        raise PermissionDenied(_("您无权在该区域授权。"))
    grant_validate(actor=actor, user=user, role=role, area=area)
    with transaction.atomic():
        grant, created = RoleGrant.objects.get_or_create(
            user=user, role=role, area=area, revoked_at=None, defaults={"granted_by": actor.user}
        )
        if created:
            audit_append(actor=actor, action="grant.created", obj=grant, area_path=area.path,
                         detail={"role": role, "user": user.pk, "username": user.get_username()})
            _doors_follow(user)
    forget_grants(user)
    return grant


def revoke_grant(*, actor: Actor, grant: RoleGrant) -> None:
    """End an active grant (kept as history); revoking twice changes nothing."""
    if actor.user is not None and not user_can(actor.user, Capability.MANAGE_GRANTS, grant.area):
        raise PermissionDenied(_("您无权在该区域撤销授权。"))
    if grant.revoked_at is not None:
        return
    with transaction.atomic():
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        audit_append(actor=actor, action="grant.revoked", obj=grant, area_path=grant.area.path,
                     detail={"role": grant.role, "user": grant.user_id, "username": grant.user.get_username()})
        _doors_follow(grant.user)
    forget_grants(grant.user)


def _doors_follow(user: User) -> None:
    """Staff roles open doors (access rules by role): the doors' lists change in the same
    transaction as the grant, so a revoked guard is refused from the next sync on."""
    if user.person_id is not None:
        from shequ.access.services import access_person_changed  # access builds on accounts, not the reverse

        access_person_changed(person_ids=[user.person_id])


def user_save(*, actor: Actor, user: User, created: bool, changed_fields: Iterable[str] = ()) -> User:
    """Save an account the system administrator added or changed (Django admin), and log it.

    The caller's form has already validated and hashed; this checks the scope and
    writes. Passwords are logged as "changed", never as values.
    """
    if actor.user is not None:
        in_scope = selectors.user_list(viewer=actor.user, capability=Capability.MANAGE_USERS,
                                       include_administrators=False)
        if not user_can(actor.user, Capability.MANAGE_USERS) or user.is_superuser:
            raise PermissionDenied(_("您无权管理该账户。"))
        if not created and not in_scope.filter(pk=user.pk).exists():
            raise PermissionDenied(_("您无权管理该账户。"))
    changed = sorted(set(changed_fields))
    fields = [name for name in changed if not name.startswith("password")]
    with transaction.atomic():
        user.save()
        audit_append(actor=actor, action="user.created" if created else "user.updated", obj=user,
                     detail={"fields": fields, "password_changed": len(fields) != len(changed)})
    return user


def user_password_changed(*, actor: Actor, user: User) -> None:
    """Log a password set by an administrator (the admin's own form has saved it)."""
    audit_append(actor=actor, action="user.password_changed", obj=user)


def _require_reads_audit(actor: Actor) -> None:
    if actor.user is not None and not user_can(actor.user, Capability.READ_AUDIT):
        raise PermissionDenied(_("只有安全审计员可以查看审计日志。"))


def audit_log_read(*, actor: Actor, filters: selectors.AuditFilters | None = None) -> QuerySet[AuditRecord]:
    """The audit records the auditor may read; reading the log is itself logged."""
    # people read the log, each within their grants; there is no system reader
    if actor.user is None:
        raise PermissionDenied
    _require_reads_audit(actor)
    filters = filters or selectors.AuditFilters()
    audit_append(actor=actor, action="audit.viewed", detail={"filters": filters.as_detail()})
    return selectors.audit_record_list(viewer=actor.user, filters=filters)


def audit_chain_check(*, actor: Actor) -> tuple[int, list[ChainProblem]]:
    """Verify the whole hash chain for an auditor; logs that it was checked and the outcome."""
    _require_reads_audit(actor)
    checked, problems = audit_verify()
    audit_append(actor=actor, action="audit.verified",
                 detail={"records": checked, "problems": [p.seq for p in problems][:100]})
    return checked, problems
