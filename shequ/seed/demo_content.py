"""Demo content in the seeded 长庆坊, so the access, terminal, notice, visitor and
mailbox pages of a fresh demo are not empty.

Everything is made through the apps' services (rights, validation, audit and door
compilation as in real use) by the demo users of ``shequ.seed.users``. Each piece is
looked up first and only made when missing, so running the demo again adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shequ.access.models import AccessRule, Credential, CredentialKind, Device, DeviceKind
from shequ.access.services import access_rule_create, credential_issue, device_register
from shequ.access.services.common import local_midnight
from shequ.accounts.audit import Actor
from shequ.accounts.models import User
from shequ.accounts.roles import Role
from shequ.intercom.terminal_auth import terminal_key
from shequ.mailbox.models import Letter, LetterKind
from shequ.mailbox.services import letter_write
from shequ.notices.models import Notice
from shequ.notices.services import notice_approve, notice_draft, notice_publish, notice_submit
from shequ.registry.models import Area
from shequ.registry.models.area import AreaLevel
from shequ.seed.users import demo_anchors
from shequ.visitors.models import VisitorPass
from shequ.visitors.selectors import household_doors
from shequ.visitors.services import pass_issue

#: the demo card's number (hex, as a reader reports it); only ever issued to the demo resident
DEMO_CARD_NUMBER = "5EC0DE01"
DEMO_VISITOR = "王芳"
INDOOR_TERMINAL_ID = "demo-indoor"

PUBLISHED_NOTICE = {
    "title": "关于小区门禁与访客通行证启用的通知",
    "body": "各位居民：\n小区正门、单元门和车辆道闸已接入社区门禁系统。居民可凭门禁卡、二维码通行；"
            "亲友来访请在居民端“访客通行证”中提前授权，访客凭通行证二维码进门。\n"
            "如有疑问，请联系社区居委会或物业服务中心。",
    "category": "announcement",
    "channels": ("residents", "terminals", "staff"),
}
PENDING_NOTICE = {
    "title": "关于开展夏季消防安全检查的通知",
    "body": "各位居民：\n社区将联合物业开展夏季消防安全检查，重点检查楼道堆物、电动车违规充电和消防通道占用。"
            "请提前清理楼道杂物，配合检查。",
    "category": "safety",
    "channels": ("residents", "staff"),
}
LETTERS = (
    {"kind": LetterKind.CONSULTATION, "anonymous": False, "subject": "咨询：亲友来访如何办理访客通行证",
     "body": "民警同志您好，我家老人下周来住几天，想问一下访客通行证最多能开几天，能不能给车辆也办理？谢谢。"},
    {"kind": LetterKind.CLUE, "anonymous": True, "subject": "线索：地下车库夜间有人反复查看车辆",
     "body": "最近几天晚上十一点以后，地下车库B区常有一名陌生男子逐辆查看车窗，形迹可疑，请民警关注。"},
)


@dataclass
class DemoContent:
    #: what this call made, e.g. "device:demo-gate", "notice:…" (empty on a second run)
    created: list[str] = field(default_factory=list)
    #: the indoor terminal's kiosk page, its key included (a path: the caller knows host and port)
    kiosk_path: str | None = None


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _level_above(area: Area, level: str) -> Area:
    return Area.objects.get(pk__in=area.ancestor_ids, level=level)


def _devices(result: DemoContent, actor: Actor, complex_area: Area, house: Area | None) -> dict[str, Device]:
    specs = [
        ("demo-gate", f"{complex_area.name}正门", DeviceKind.GATE, complex_area),
        ("demo-barrier", f"{complex_area.name}车辆道闸", DeviceKind.VEHICLE_BARRIER, complex_area),
        ("demo-outdoor", f"{complex_area.name}广场灯杆终端", DeviceKind.OUTDOOR_TERMINAL, complex_area),
    ]
    if house is not None:
        unit = _level_above(house, AreaLevel.UNIT)
        building = _level_above(house, AreaLevel.BUILDING)
        specs += [
            ("demo-unit-door", f"{building.name}{unit.name}单元门", DeviceKind.UNIT_DOOR, unit),
            (INDOOR_TERMINAL_ID, f"{house.name}室内终端", DeviceKind.INDOOR_TERMINAL, house),
        ]
    devices = {}
    for device_id, name, kind, area in specs:
        device = Device.objects.filter(device_id=device_id).first()
        if device is None:
            device = device_register(actor=actor, device_id=device_id, name=name, kind=kind, area=area,
                                     vendor="Shequ 演示").device
            result.created.append(f"device:{device_id}")
        devices[device_id] = device
    return devices


def _rules(result: DemoContent, actor: Actor, complex_area: Area, now: datetime) -> None:
    for role in (Role.GUARD, Role.PROPERTY_STAFF):
        if not AccessRule.objects.filter(area=complex_area, role=role).exists():
            access_rule_create(actor=actor, area=complex_area, role=role, now=now)
            result.created.append(f"access_rule:{role}")


def _card(result: DemoContent, actor: Actor, resident: User, now: datetime) -> None:
    live = Credential.objects.filter(person=resident.person, kind=CredentialKind.CARD, revoked_at__isnull=True)
    if not live.exists():
        credential_issue(actor=actor, person=resident.person, kind=CredentialKind.CARD, value=DEMO_CARD_NUMBER,
                         now=now)
        result.created.append("credential:card")


def _notices(result: DemoContent, complex_area: Area, now: datetime) -> None:
    author, approver = _user("worker"), _user("street")
    if author is None or approver is None:
        return
    drafter, checker = Actor(user=author, via="cli"), Actor(user=approver, via="cli")

    def draft(spec: dict) -> Notice | None:
        if Notice.objects.filter(area=complex_area, author=author, title=spec["title"]).exists():
            return None
        notice = notice_draft(actor=drafter, now=now, area=complex_area, audience_areas=[complex_area], **spec)
        result.created.append(f"notice:{spec['title']}")
        return notice_submit(actor=drafter, notice=notice, now=now)

    published = draft(PUBLISHED_NOTICE)
    if published is not None:  # four eyes: drafted by the community worker, approved by the street
        notice_approve(actor=checker, notice=published, now=now)
        notice_publish(actor=checker, notice=published, now=now)
    draft(PENDING_NOTICE)  # left waiting in the street's approval queue


def _visitor_pass(result: DemoContent, resident: User, house: Area, now: datetime) -> None:
    """A pass for today; a demo run on a later day issues that day's pass."""
    current = VisitorPass.objects.filter(issued_by=resident, visitor_name=DEMO_VISITOR, revoked_at__isnull=True,
                                         valid_until__gt=now)
    if current.exists():
        return
    today = timezone.localdate(now)
    pass_issue(actor=Actor(user=resident, via="cli"), house=house, visitor_name=DEMO_VISITOR,
               valid_from=local_midnight(today), valid_until=local_midnight(today + timedelta(days=1)),
               doors=household_doors(house=house), max_entries=2, now=now)
    result.created.append("visitor_pass")


def _letters(result: DemoContent, resident: User, house: Area, now: datetime) -> None:
    for spec in LETTERS:
        if Letter.objects.filter(sender_user=resident, subject=spec["subject"]).exists():
            continue
        letter_write(actor=Actor(user=resident, via="cli"), house=house, at=now, **spec)
        result.created.append(f"letter:{spec['kind']}")


@transaction.atomic
def demo_content_ensure(*, now: datetime | None = None) -> DemoContent:
    """Make the demo content that is missing; call after ``demo_users_ensure``.
    Raises DemoAnchorsMissing on a database without the seed. Without a demo resident
    (a seed too small to hold one) the household's door, terminal, card, pass and
    letters are left out."""
    now = now or timezone.now()
    complex_area = demo_anchors()["complex"]
    resident = _user("resident")
    grant = resident.grants.filter(role=Role.RESIDENT).select_related("area").first() if resident else None
    house = grant.area if grant is not None and resident.person_id else None
    if house is None:
        resident = None
    result = DemoContent()
    operator = Actor.system(via="cli")
    devices = _devices(result, operator, complex_area, house)
    _rules(result, operator, complex_area, now)
    _notices(result, complex_area, now)
    if resident is not None:
        _card(result, operator, resident, now)
        _visitor_pass(result, resident, house, now)
        _letters(result, resident, house, now)
    indoor = devices.get(INDOOR_TERMINAL_ID)
    if indoor is not None:
        result.kiosk_path = f"{reverse('terminals:kiosk', args=[indoor.device_id])}?key={terminal_key(indoor)}"
    return result
