"""Pages of the accounts app: login with a second factor, the audit log, grants."""

from shequ.accounts.views.audit_log import audit_log, audit_verify
from shequ.accounts.views.auth import login_totp, login_view, logout_view, totp_enroll
from shequ.accounts.views.grants import grant_create, grant_revoke, grants, totp_reset, user_unlock

__all__ = [
    "audit_log",
    "audit_verify",
    "grant_create",
    "grant_revoke",
    "grants",
    "login_totp",
    "login_view",
    "logout_view",
    "totp_enroll",
    "totp_reset",
    "user_unlock",
]
