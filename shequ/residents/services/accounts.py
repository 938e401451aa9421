"""Resident accounts: one per person, made at the first login, holding a resident
grant on each house the person lives in now and on no other.

Grants follow residences: :func:`resident_grants_sync` is called at every login
and on every resident page, so a resident who moved out loses the grant (and with
it every ``visible_to`` row of that house) the next time they come back at the
latest; :func:`resident_grants_sweep` does it for everyone (``manage.py
residents_sweep``), and the registry may call :func:`person_resident_grants_sync`
when a residence starts or ends.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.models import RoleGrant, User
from shequ.accounts.roles import STAFF_ROLES, Role
from shequ.accounts.scope import forget_grants
from shequ.accounts.services import grant_role, revoke_grant, user_save
from shequ.registry.models import Area, Person, Residence
from shequ.residents.selectors import resident_grant_area_ids
from shequ.residents.services.login import CodeRefused


def system_actor(actor: Actor) -> Actor:
    """The resident app acting on the resident's behalf: grants and accounts are
    not the resident's to manage, so the accounts services see a system actor
    (which keeps the request's address for the audit log)."""
    return Actor(user=None, ip=actor.ip, via="resident_app")


def _resident_accounts(person: Person):
    """Accounts linked to ``person`` that are no staff account: staff log in with
    password and TOTP, never by a text message."""
    staff_grant = RoleGrant.objects.active().filter(user=OuterRef("pk"), role__in=STAFF_ROLES)
    return (User.objects.filter(person=person, is_staff=False, is_superuser=False)
            .exclude(Exists(staff_grant)).order_by("-is_active", "pk"))


def _free_username(person: Person) -> str:
    base = f"resident-{person.pk}"
    name, n = base, 1
    while User.objects.filter(username=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def resident_account_ensure(*, person: Person, actor: Actor) -> User:
    """The person's resident account, created if missing, with grants matching
    where they live today. Raises CodeRefused for a disabled account."""
    user = _resident_accounts(person).first()
    if user is not None and not user.is_active:
        audit_append(actor=Actor(user=None, ip=actor.ip, via=actor.via), action="login.failed", obj=user,
                     detail={"step": "sms_code", "reason": "inactive"})
        raise CodeRefused(_("您的居民账户已停用，请联系社区工作人员。"), "inactive")
    with transaction.atomic():
        if user is None:
            user = User(username=_free_username(person), display_name=person.name, person=person)
            user.set_unusable_password()
            user_save(actor=system_actor(actor), user=user, created=True,
                      changed_fields=["username", "display_name", "person"])
        resident_grants_sync(user=user, actor=actor)
    return user


def current_house_area_ids(person_id: int | None, *, day=None) -> set[int]:
    if person_id is None:
        return set()
    return set(Residence.objects.current(on=day).filter(person_id=person_id)
               .values_list("house__area_id", flat=True))


def resident_grants_sync(*, user: User, actor: Actor, day=None) -> bool:
    """Make ``user``'s resident grants match their person's current houses; returns
    whether anything changed. Grants end (kept as history), never vanish.

    An account linked to no person (made by hand) is left alone: nothing says where it lives."""
    if user.person_id is None:
        return False
    want = current_house_area_ids(user.person_id, day=day)
    have = resident_grant_area_ids(user)
    if want == have:
        return False
    acting = system_actor(actor)
    with transaction.atomic():
        for grant in RoleGrant.objects.active().filter(user=user, role=Role.RESIDENT).exclude(area_id__in=want) \
                .select_related("area", "user"):
            revoke_grant(actor=acting, grant=grant)
        for area in Area.objects.filter(pk__in=want - have):
            grant_role(actor=acting, user=user, role=Role.RESIDENT, area=area)
    forget_grants(user)
    return True


def person_resident_grants_sync(*, person: Person, actor: Actor) -> None:
    """Resync every resident account of ``person`` (for the registry's residence services)."""
    for user in _resident_accounts(person).filter(is_active=True):
        resident_grants_sync(user=user, actor=actor)


def resident_grants_sweep(*, actor: Actor, day=None) -> int:
    """End every resident grant on a house its holder's person no longer lives in; returns how many."""
    lives_there = Residence.objects.current(on=day).filter(
        person_id=OuterRef("user__person_id"), house__area_id=OuterRef("area_id"))
    stale = (RoleGrant.objects.active().filter(role=Role.RESIDENT, user__person__isnull=False)
             .exclude(Exists(lives_there))
             .select_related("area", "user"))
    acting = system_actor(actor)
    count = 0
    for grant in stale:
        revoke_grant(actor=acting, grant=grant)
        count += 1
    return count
