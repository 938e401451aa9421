"""Reads for the accounts pages and admin: which users, grants and audit records
a viewer may see. Scope always comes from ``Area.objects.visible_to``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from shequ.accounts.models import AuditRecord, RoleGrant, User
from shequ.accounts.roles import ADMINISTRATOR_ROLES, Capability
from shequ.accounts.scope import grant_paths
from shequ.core.scoping import subtree_q


def _areas_visible_to(viewer: User, capability: str) -> QuerySet:
    from shequ.registry.models import Area

    return Area.objects.visible_to(viewer, capability)


def user_list(*, viewer: User, capability: str, include_administrators: bool = True) -> QuerySet[User]:
    """Users ``viewer`` may manage with ``capability``.

    A user is in scope when one of their active grants lies in an area where the
    viewer holds ``capability``, or when they hold no grant at all (someone must be
    able to give a new account its first role). Superusers are never in scope: they
    are made on the command line and would otherwise be a way around the
    separation of the three administrators. With ``include_administrators`` false,
    holders of an administrator role are left out too, so the system administrator
    cannot reset the auditor's password and read the log as them.
    """
    if not grant_paths(viewer, capability):
        return User.objects.none()
    active = RoleGrant.objects.active()
    in_scope = active.filter(area__in=_areas_visible_to(viewer, capability)).values("user_id")
    users = User.objects.filter(Q(pk__in=in_scope) | ~Q(pk__in=active.values("user_id"))).exclude(is_superuser=True)
    if not include_administrators:
        users = users.exclude(pk__in=active.filter(role__in=ADMINISTRATOR_ROLES).values("user_id"))
    return users.order_by("username")


def locked_user_list(*, viewer: User) -> QuerySet[User]:
    """Accounts in the security administrator's scope that are locked right now."""
    return user_list(viewer=viewer, capability=Capability.MANAGE_GRANTS).filter(locked_until__gt=timezone.now())


def grant_list(*, viewer: User, search: str = "", role: str = "", include_revoked: bool = False) -> QuerySet[RoleGrant]:
    """Role grants on areas where ``viewer`` manages grants, newest first."""
    grants = RoleGrant.objects.filter(area__in=_areas_visible_to(viewer, Capability.MANAGE_GRANTS))
    if not include_revoked:
        grants = grants.active()
    if search:
        grants = grants.filter(Q(user__username__icontains=search) | Q(user__display_name__icontains=search))
    if role:
        grants = grants.filter(role=role)
    return grants.select_related("user", "area", "granted_by").order_by("-created_at", "-pk")


def grant_area_choices(*, viewer: User) -> QuerySet:
    """Areas ``viewer`` may grant roles on (not retired)."""
    return _areas_visible_to(viewer, Capability.MANAGE_GRANTS).filter(retired_on__isnull=True)


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor: str = ""
    date_from: date | None = None
    date_to: date | None = None
    object_type: str = ""
    object_id: str = ""

    def as_detail(self) -> dict[str, Any]:
        """The filters that were set, for the "audit.viewed" record."""
        return {key: str(value) for key, value in asdict(self).items() if value not in ("", None)}


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_record_list(*, viewer: User, filters: AuditFilters | None = None) -> QuerySet[AuditRecord]:
    """Audit records the auditor may read, newest first.

    An auditor sees records inside the subtrees of their grants. Records tied to no
    area (logins, grants on nothing, system events) are seen only by an auditor
    whose grant is on a root of the tree: they belong to the whole installation.
    """
    paths = grant_paths(viewer, Capability.READ_AUDIT)
    if not paths:
        return AuditRecord.objects.none()
    condition = Q()
    for path in paths:
        condition |= subtree_q("area_path", path)
    if any(path.count("/") == 2 for path in paths):  # "/<id>/": a root node
        condition |= Q(area_path="")
    records = AuditRecord.objects.filter(condition)
    filters = filters or AuditFilters()
    if filters.action:
        # "login" finds login.ok, login.failed, login.locked
        records = records.filter(action__startswith=filters.action)
    if filters.actor:
        records = records.filter(actor_name=filters.actor)
    if filters.date_from:
        records = records.filter(at__gte=_day_start(filters.date_from))
    if filters.date_to:
        records = records.filter(at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.object_type:
        records = records.filter(object_type=filters.object_type)
    if filters.object_id:
        records = records.filter(object_id=filters.object_id)
    return records.order_by("-seq")
