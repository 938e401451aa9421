"""Demo logins: one user per role, anchored in the seeded 长庆坊 and its parents.

Staff get a confirmed TOTP secret so the demo can be walked through without
an enrolment step; ``shequ totp USERNAME`` prints the current code.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from shequ.accounts.models import RoleGrant, User
from shequ.accounts.roles import STAFF_ROLES, Role
from shequ.core import pii
from shequ.core.scoping import subtree_q
from shequ.registry.models import Area, Residence
from shequ.registry.services import full_address
from shequ.seed import places

#: the demo password of every demo login (printed by `shequ demo`; never use the demo in production)
DEMO_PASSWORD = "Shequ-demo-2025"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    anchor: str  # which seeded node the grant sits on
    display_name: str


DEMO_USERS = (
    DemoUser("district", Role.DISTRICT_STAFF, "district", "雁塔区 王建华"),
    DemoUser("street", Role.STREET_STAFF, "street", "小寨路街道 李明"),
    DemoUser("worker", Role.COMMUNITY_STAFF, "community", "长庆坊社区 张丽"),
    DemoUser("grid", Role.GRID_WORKER, "complex", "网格员 赵磊"),
    DemoUser("property", Role.PROPERTY_STAFF, "complex", "长庆物业 陈刚"),
    DemoUser("police", Role.POLICE, "community", "社区民警 刘伟"),
    DemoUser("police_chief", Role.POLICE_CHIEF, "community", "警务室负责人 周强"),
    DemoUser("guard", Role.GUARD, "complex", "长庆坊门卫 孙师傅"),
    DemoUser("resident", Role.RESIDENT, "house", ""),
    DemoUser("sysadmin", Role.SYSTEM_ADMIN, "city", "系统管理员"),
    DemoUser("secadmin", Role.SECURITY_ADMIN, "city", "安全管理员"),
    DemoUser("auditor", Role.AUDITOR, "city", "安全审计员"),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    area: str
    totp_secret: str | None


class DemoAnchorsMissing(LookupError):
    """The database holds no seeded 长庆坊, so demo users have nowhere to sit."""


def demo_anchors() -> dict[str, Area]:
    """The seeded nodes demo users and demo content sit on, by name (city ... complex)."""
    community_code = places.SHOWCASE_COMMUNITY[0]
    by_code = {area.code: area for area in Area.objects.filter(
        code__in=["610100", places.SHOWCASE_DISTRICT, places.SHOWCASE_STREET, community_code, f"{community_code}-01"])}
    try:
        anchors = {
            "city": by_code["610100"],
            "district": by_code[places.SHOWCASE_DISTRICT],
            "street": by_code[places.SHOWCASE_STREET],
            "community": by_code[community_code],
            "complex": by_code[f"{community_code}-01"],
        }
    except KeyError as exc:
        raise DemoAnchorsMissing(str(exc)) from exc
    return anchors


def _resident_home(complex_area: Area) -> Residence | None:
    """The first owner in the showcase who has a phone and lives with family."""
    return (
        Residence.objects.current()
        .filter(subtree_q("house__area__path", complex_area.path), relation=Residence.Relation.OWNER)
        .exclude(person__phone_digest="")
        .select_related("person", "house__area")
        .order_by("house_id", "id")
        .first()
    )


@transaction.atomic
def demo_users_ensure() -> tuple[list[DemoLogin], list[str]]:
    """Create the demo users that do not exist yet; return every demo login and the
    usernames created now. Raises DemoAnchorsMissing on a database without the seed."""
    anchors = demo_anchors()
    home = _resident_home(anchors["complex"])
    logins, created = [], []
    # one Argon2 hash (~0.3 s) shared by the demo logins, which share a published password anyway
    encoded_password = make_password(DEMO_PASSWORD)
    for spec in DEMO_USERS:
        if spec.anchor == "house":
            if home is None:
                continue
            area, person, display = home.house.area, home.person, home.person.name
        else:
            area, person, display = anchors[spec.anchor], None, spec.display_name
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User.objects.create(
                username=spec.username, password=encoded_password, display_name=display, person=person,
                is_staff=spec.role == Role.SYSTEM_ADMIN,
            )
            if spec.role in STAFF_ROLES:
                user.totp_secret_cipher = pii.encrypt(pyotp.random_base32())
                user.totp_confirmed_at = timezone.now()
                user.save(update_fields=["totp_secret_cipher", "totp_confirmed_at"])
            RoleGrant.objects.create(user=user, role=spec.role, area=area)
            created.append(spec.username)
        secret = pii.decrypt(user.totp_secret_cipher) if user.totp_secret_cipher else None
        place = full_address(area) if spec.anchor == "house" else area.name
        logins.append(DemoLogin(spec.username, DEMO_PASSWORD, str(Role(spec.role).label), place, secret))
    return logins, created
