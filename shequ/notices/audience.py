"""Who a notice reaches: its audience resolved to households (houses).

An audience is area nodes (every house under each) and/or care groups (the
houses where a person with one of the tags lives, inside the area the notice is
published at). It is resolved once, when the notice is published, into
``NoticeRecipient`` rows (see that model for why rows rather than a query).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

from shequ.core.scoping import subtree_q
from shequ.notices.models import Notice, NoticeRecipient
from shequ.registry.models import Area, House, Residence

#: rows per executemany call: bounds the memory of one call for a district-wide notice
BATCH = 5000


def minimal_areas(areas: Iterable[Area]) -> list[Area]:
    """The areas not lying under another one of them: a building chosen beside its
    complex adds nobody, and its terminals would get the complex's copy twice."""
    kept: list[Area] = []
    for area in sorted(areas, key=lambda node: (len(node.path), node.path)):
        if not any(area.path.startswith(parent.path) for parent in kept):
            kept.append(area)
    return kept


def _ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def _building_of(path: str) -> int | None:
    """The building above a house: houses sit under a unit under a building (CHILD_LEVEL)."""
    ids = _ids(path)
    return ids[-3] if len(ids) >= 3 else None


def _outside(areas: list[Area], paths: Iterable[str]) -> list[int]:
    """The area ids of the house paths no audience area covers: their own node."""
    return [_ids(path)[-1] for path in paths if not any(path.startswith(area.path) for area in areas)]


def _houses_in_areas(areas: list[Area]) -> dict[int, str]:
    if not areas:
        return {}
    condition = Q()
    for area in areas:
        condition |= subtree_q("area__path", area.path)
    return dict(House.objects.filter(condition, area__retired_on__isnull=True).values_list("pk", "area__path"))


def care_houses(notice: Notice, tag_ids: list[int]) -> dict[int, str]:
    """{house id: area path} of the houses under the notice's area where someone with
    one of the tags lives: a current residence, or the person registered at the house."""
    if not tag_ids:
        return {}
    within = subtree_q("area__path", notice.area.path) & Q(area__retired_on__isnull=True)
    living = Residence.objects.current().filter(person__care_tags__in=tag_ids).values("house_id")
    registered = House.objects.filter(within, area__people__care_tags__in=tag_ids).values_list("pk", "area__path")
    found = dict(registered)
    found.update(House.objects.filter(within, pk__in=living).values_list("pk", "area__path"))
    return found


@dataclass(frozen=True)
class Resolved:
    """A resolved audience: the minimal audience areas, every household reached
    ({house id: area path}), and those reached through care groups only."""

    areas: list[Area]
    houses: dict[int, str]
    care_only: dict[int, str]

    def broadcast_area_ids(self) -> list[int]:
        """Where terminals get the notice: each audience area, and the house node of
        each care-group household no audience area covers (its indoor terminal)."""
        return [area.pk for area in self.areas] + _outside(self.areas, sorted(self.care_only.values()))


def audience_resolve(notice: Notice) -> Resolved:
    areas = minimal_areas(notice.audience_areas.all())
    houses = _houses_in_areas(areas)
    care = care_houses(notice, list(notice.care_tags.values_list("pk", flat=True)))
    care_only = {house: path for house, path in care.items() if house not in houses}
    return Resolved(areas, {**houses, **care_only}, care_only)


def recipients_write(notice: Notice, houses: dict[int, str]) -> int:
    """Write the recipient rows (call inside the publishing transaction).

    One ``executemany`` of plain tuples rather than ``bulk_create``: for the
    ~4,000 households of a complex, building 4,000 model instances and their SQL
    cost ~1 s of Python, the INSERTs themselves a few tens of milliseconds."""
    rows = [(notice.pk, house_id, _building_of(path)) for house_id, path in sorted(houses.items())]
    if not rows:
        return 0
    quote = connection.ops.quote_name
    meta = NoticeRecipient._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in ("notice", "house", "building"))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES (%s, %s, %s)",
                               rows[start:start + BATCH])
    return len(rows)


def published_broadcast_area_ids(notice: Notice) -> list[int]:
    """Where the publish broadcast of a published notice went, read back from what
    was stored (for the withdraw broadcast): the same areas, even if care tags
    changed since."""
    areas = minimal_areas(notice.audience_areas.all())
    paths = NoticeRecipient.objects.filter(notice=notice).values_list("house__area__path", flat=True)
    return [area.pk for area in areas] + _outside(areas, sorted(paths))
