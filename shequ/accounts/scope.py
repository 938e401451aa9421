"""Where a user may do what: the grant lookups behind ``visible_to``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shequ.accounts.roles import ROLE_CAPABILITIES

if TYPE_CHECKING:
    from shequ.accounts.models import User
    from shequ.registry.models import Area

_CACHE_ATTR = "_shequ_grants"


def _grants(user: User) -> list[tuple[str, str]]:
    """(role, area path) of the user's active grants, loaded once per user object.

    Cached on the instance (one request, one API call), never module-wide, so a
    revoked grant takes effect on the next request.
    """
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        from shequ.accounts.models import RoleGrant

        cached = list(
            RoleGrant.objects.active()
            .filter(user_id=user.pk, area__retired_on__isnull=True)
            .values_list("role", "area__path")
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_grants(user: User) -> None:
    """Drop the cached grants after they change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def grant_paths(user: User | None, capability: str) -> list[str]:
    """Minimal list of area paths under which ``user`` holds ``capability``."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    paths = sorted({path for role, path in _grants(user) if capability in ROLE_CAPABILITIES.get(role, ())})
    # drop paths already covered by an ancestor path: fewer OR branches per query
    minimal: list[str] = []
    for path in paths:
        if not any(path.startswith(kept) for kept in minimal):
            minimal.append(path)
    return minimal


def user_can(user: User | None, capability: str, area: Area | None = None) -> bool:
    """Does ``user`` hold ``capability`` anywhere, or at ``area`` when given?"""
    paths = grant_paths(user, capability)
    if area is None:
        return bool(paths)
    return any(area.path.startswith(path) for path in paths)


def user_roles(user: User) -> set[str]:
    return {role for role, _path in _grants(user)}
