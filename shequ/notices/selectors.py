"""Reads of notices, each through one scoped access path.

- Managing (list, detail, approval queue, read counts): the notice's area lies
  under the user's NOTICES_DRAFT or NOTICES_APPROVE grants (``notices_manageable``).
- Residents: published, live, resident-channel notices with a recipient row for
  one of their houses (``my_notices``); the resident's houses are the house
  nodes of their resident grants.
- Staff board: published, live, staff-channel notices whose audience overlaps
  the areas of the user's staff grants (``staff_board``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from shequ.accounts.models import RoleGrant, User
from shequ.accounts.roles import STAFF_ROLES, Capability, Role
from shequ.accounts.scope import user_can
from shequ.core.scoping import subtree_q
from shequ.notices.models import Notice, NoticeRecipient, NoticeTemplate, ReadReceipt, Status
from shequ.registry.models import Area, House, Residence
from shequ.registry.selectors import address_labels

_LIST_RELATED = ("area", "author", "approved_by")


# --- managing ---------------------------------------------------------------------------------------------------

def can_manage(user: User) -> bool:
    """May the user use the staff notice pages at all?"""
    return user_can(user, Capability.NOTICES_DRAFT) or user_can(user, Capability.NOTICES_APPROVE)


def notices_manageable(user: User) -> QuerySet:
    """Notices published at an area under the user's drafting or approving grants."""
    return Notice.objects.visible_to(user, Capability.NOTICES_DRAFT) | \
        Notice.objects.visible_to(user, Capability.NOTICES_APPROVE)


def notice_list(*, user: User, status: str = "", category: str = "", query: str = "") -> QuerySet:
    notices = notices_manageable(user)
    if status:
        notices = notices.filter(status=status)
    if category:
        notices = notices.filter(category=category)
    if query:
        notices = notices.filter(title__contains=query)
    return notices.select_related(*_LIST_RELATED).order_by("-created_at", "-pk")


def notice_get(*, user: User, pk: int) -> Notice:
    """One notice the user manages; ``Notice.DoesNotExist`` otherwise (a 404)."""
    return notices_manageable(user).select_related(*_LIST_RELATED, "withdrawn_by").get(pk=pk)


def approval_queue(*, user: User) -> QuerySet:
    """Submitted notices the user may approve: in their approving areas, not their own."""
    return (Notice.objects.visible_to(user, Capability.NOTICES_APPROVE).filter(status=Status.SUBMITTED)
            .exclude(author_id=user.pk).select_related(*_LIST_RELATED).order_by("submitted_at", "pk"))


def notice_steps(*, user: User, notice: Notice) -> list[str]:
    """The steps the detail page offers this user now (the services decide for real)."""
    drafter = notice.author_id == user.pk and user_can(user, Capability.NOTICES_DRAFT, notice.area)
    approver = user_can(user, Capability.NOTICES_APPROVE, notice.area)
    steps = []
    if notice.status == Status.DRAFT and drafter:
        steps += ["edit", "submit"]
    if notice.status == Status.SUBMITTED and approver and notice.author_id != user.pk:
        steps += ["approve_publish", "approve", "reject"]
    if notice.status == Status.APPROVED and approver:
        steps.append("publish")
    if notice.status in (Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.PUBLISHED) and (drafter or approver):
        steps.append("withdraw")
    return steps


def notice_audience_labels(notice: Notice) -> tuple[list[str], list[str]]:
    """(address labels of the audience areas, names of the care groups)."""
    areas = list(notice.audience_areas.all().order_by("path"))
    labels = address_labels(areas)
    return [labels[area.pk] for area in areas], [tag.name for tag in notice.care_tags.all()]


# --- read counts ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BuildingCount:
    building_id: int | None
    label: str
    recipients: int
    read: int

    @property
    def percent(self) -> float:
        return round(100.0 * self.read / self.recipients, 1) if self.recipients else 0.0


@dataclass(frozen=True)
class ReadCounts:
    buildings: list[BuildingCount]

    @property
    def recipients(self) -> int:
        return sum(row.recipients for row in self.buildings)

    @property
    def read(self) -> int:
        return sum(row.read for row in self.buildings)

    @property
    def percent(self) -> float:
        return round(100.0 * self.read / self.recipients, 1) if self.recipients else 0.0


def read_counts(*, notice: Notice) -> ReadCounts:
    """Households read / reached per building: one GROUP BY over the notice's recipient rows."""
    rows = list(NoticeRecipient.objects.filter(notice=notice).order_by().values("building_id")
                .annotate(recipients=Count("pk"), read=Count("read_at")))
    buildings = {area.pk: area for area in Area.objects.filter(pk__in=[row["building_id"] for row in rows
                                                                        if row["building_id"]])}
    labels = address_labels(buildings.values())
    counts = [BuildingCount(row["building_id"], labels.get(row["building_id"], "—"), row["recipients"], row["read"])
              for row in rows]
    return ReadCounts(sorted(counts, key=lambda row: (buildings[row.building_id].path
                                                      if row.building_id in buildings else "~")))


def mask_name(name: str) -> str:
    """"张三" -> "张*", "欧阳娜娜" -> "欧***": the family initial only, as on public lists."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def unread_households(*, notice: Notice, building_id: int | None = None) -> QuerySet:
    """Recipient rows of households no one has read the notice in, in address order."""
    rows = NoticeRecipient.objects.filter(notice=notice, read_at__isnull=True)
    if building_id is not None:
        rows = rows.filter(building_id=building_id)
    return rows.select_related("house__area").order_by("house__area__path", "pk")


def attach_household_labels(rows: list[NoticeRecipient]) -> list[NoticeRecipient]:
    """Set ``row.address`` and ``row.members`` (masked names of the people living
    there now, owners first) on a page of recipient rows: two queries."""
    labels = address_labels([row.house.area for row in rows])
    members: dict[int, list[str]] = {}
    order = {Residence.Relation.OWNER: 0, Residence.Relation.FAMILY: 1, Residence.Relation.TENANT: 2}
    residences = (Residence.objects.current().filter(house_id__in=[row.house_id for row in rows])
                  .values_list("house_id", "relation", "person__name"))
    for house_id, _relation, name in sorted(residences, key=lambda item: (item[0], order.get(item[1], 9), item[2])):
        members.setdefault(house_id, []).append(mask_name(name))
    for row in rows:
        row.address = labels.get(row.house.area_id, row.house.number)
        row.members = members.get(row.house_id, [])
    return rows


# --- residents ----------------------------------------------------------------------------------------------------

def resident_house_ids(user: User | None) -> list[int]:
    """The houses the user lives in: the house nodes of their active resident grants."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    return list(House.objects.filter(
        area__grants__user=user, area__grants__role=Role.RESIDENT, area__grants__revoked_at__isnull=True,
        area__retired_on__isnull=True,
    ).values_list("pk", flat=True))


def my_notices(*, user: User, now: datetime | None = None) -> QuerySet:
    """Live resident-channel notices that reached one of the user's houses, newest
    first, each with ``is_read`` (this user opened it)."""
    houses = resident_house_ids(user)
    if not houses:
        return Notice.objects.none()
    reached = NoticeRecipient.objects.filter(notice_id=OuterRef("pk"), house_id__in=houses)
    read = ReadReceipt.objects.filter(notice_id=OuterRef("pk"), user_id=user.pk)
    return (Notice.objects.live(now or timezone.now()).filter(Exists(reached), to_residents=True)
            .annotate(is_read=Exists(read)).select_related("area").order_by("-urgent", "-published_at", "-pk"))


def my_notice_get(*, user: User, pk: int, now: datetime | None = None) -> Notice:
    return my_notices(user=user, now=now).get(pk=pk)


def unread_count_for(user: User, now: datetime | None = None) -> int:
    """How many of the resident's notices they have not opened: the badge on the residents' home."""
    return my_notices(user=user, now=now).filter(is_read=False).count()


# --- staff board --------------------------------------------------------------------------------------------------

def _staff_paths(user: User) -> list[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    return sorted(set(RoleGrant.objects.active().filter(user_id=user.pk, role__in=list(STAFF_ROLES),
                                                        area__retired_on__isnull=True)
                      .values_list("area__path", flat=True)))


def _ancestor_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def staff_board(*, user: User, now: datetime | None = None) -> QuerySet:
    """Live staff-channel notices for the user: an audience area lies in or above
    one of their staff grants (care-group notices: the area they were published at)."""
    reach = Q()
    for path in _staff_paths(user):
        above = _ancestor_ids(path)
        reach |= subtree_q("audience_areas__path", path) | Q(audience_areas__id__in=above)
        reach |= Q(care_tags__isnull=False) & (subtree_q("area__path", path) | Q(area_id__in=above))
    if not reach:
        return Notice.objects.none()
    matched = Notice.objects.filter(reach).values("pk")
    return (Notice.objects.live(now or timezone.now()).filter(to_staff=True, pk__in=matched)
            .select_related("area").order_by("-urgent", "-published_at", "-pk"))


def notice_feed(*, user: User, now: datetime | None = None) -> QuerySet:
    """Every live notice the user may read: the ones they manage, their households'
    (resident channel) and their staff board's (staff channel). For the API."""
    now = now or timezone.now()
    ids = Q(pk__in=notices_manageable(user).values("pk")) | Q(pk__in=my_notices(user=user, now=now).values("pk")) \
        | Q(pk__in=staff_board(user=user, now=now).values("pk"))
    return Notice.objects.live(now).filter(ids).select_related("area")


# --- templates ----------------------------------------------------------------------------------------------------

def templates_usable(*, user: User) -> QuerySet:
    """Templates the user may draft from: made in their drafting areas or above them."""
    from shequ.accounts.scope import grant_paths

    above = {ancestor for path in grant_paths(user, Capability.NOTICES_DRAFT) for ancestor in _ancestor_ids(path)}
    return (NoticeTemplate.objects.visible_to(user, Capability.NOTICES_DRAFT) | NoticeTemplate.objects.filter(
        area_id__in=above)).select_related("area").order_by("name", "pk")


def template_get(*, user: User, pk: int) -> NoticeTemplate:
    """A template the user may change (made in their drafting areas)."""
    return NoticeTemplate.objects.visible_to(user, Capability.NOTICES_DRAFT).select_related("area").get(pk=pk)
