"""Registry reads: the scoped querysets behind pages, pickers and the admin.

Every selector starts from ``visible_to(user)`` and returns rows with their
relations already joined or prefetched, so templates run no queries. Selectors
never count whole tables: pages use :func:`paginate` and :func:`count_capped`.

Searches are written for 1,000,000 people on PostgreSQL: a name prefix is a
range on ``person_name_idx`` (``LIKE 'x%'`` only uses a b-tree index under the
"C" collation, and SQLite's case-insensitive LIKE never does), ID tails and
phone digests are equality lookups on their own indexes. ``%contains%`` scans
run only when the user asks for them.

Lists of area-bound rows are ordered by address first (``area__path``): the
household order of a paper register, and the order PostgreSQL can produce by
walking ``area_path_idx`` through the user's subtree and taking each area's
rows from the (area, ...) index, stopping after one page whatever the filters.
Ordered by name instead, it walks the whole name index discarding rows outside
the subtree (a community holds 1% of a city), or reads every match of a filter
before sorting: 150 ms to seconds at a million people, against 1-20 ms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from shequ.accounts.models import User
from shequ.accounts.roles import Capability
from shequ.core.scoping import subtree_q
from shequ.registry.models import (
    Area, CareTag, Facility, House, Organization, OrganizationMember, Person, Residence, Vehicle,
)
from shequ.registry.models.area import LEVEL_DEPTH, AreaLevel
from shequ.registry.services import people_find_by_id_number, people_find_by_phone

PAGE_SIZE = 50
# "200+" says enough on a list page; the exact totals are on the dashboard and area pages
COUNT_CAP = 200
SEARCH_LIMIT = 50
#: household order, see the module docstring
PERSON_LIST_ORDER = ("area__path", "name", "pk")
# above this, the string sorts after every string that starts with the prefix
_MAX_CHAR = "\U0010ffff"


# --- shared helpers ---------------------------------------------------------------------------------------------

def prefix_q(lookup: str, prefix: str) -> Q:
    """Rows whose ``lookup`` starts with ``prefix``, as an index range (see module doc)."""
    return Q(**{f"{lookup}__gte": prefix, f"{lookup}__lt": prefix + _MAX_CHAR})


def within(queryset: QuerySet, area: Area | None) -> QuerySet:
    """Narrow an already scoped queryset to the subtree of a chosen ``area``."""
    if area is None:
        return queryset
    return queryset.filter(subtree_q(queryset.area_path_lookup, area.path))


@dataclass
class Page:
    """One page of a list: the rows, whether there is a next one, and the total
    when it is known without a count query (everything fitted on this page)."""

    rows: list
    number: int
    per_page: int
    has_next: bool
    count: int | None = None

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.rows)


def page_number(value: str | None) -> int:
    try:
        return min(max(int(value or 1), 1), 100_000)
    except ValueError:
        return 1


def paginate(queryset: QuerySet, number: int = 1, per_page: int = PAGE_SIZE) -> Page:
    """Fetch one page, plus one row to learn whether a next page exists. No COUNT:
    counting the matches of a rare filter reads the whole subtree, several times
    the cost of the page; pages fetch it separately with :func:`count_capped`."""
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    known = offset + len(rows) if not has_next and (rows or number == 1) else None
    return Page(rows, number, per_page, has_next, known)


def count_capped(queryset: QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(matches up to ``cap``, whether there are more). The ordering stays in the
    counted subquery: it keeps the plan that stops early."""
    count = queryset[: cap + 1].count()
    return min(count, cap), count > cap


def address_labels(areas: Iterable[Area]) -> dict[int, str]:
    """{area id: '长庆坊 3号楼 2单元 0301'} for many areas in one query.

    Like ``services.full_address``, the label runs from the complex down; nodes
    above a complex are labelled by their own name.
    """
    areas = [area for area in areas if area is not None]
    ids = {ancestor for area in areas for ancestor in area.ancestor_ids}
    names = {
        row["id"]: row for row in Area.objects.filter(pk__in=ids).values("id", "name", "level")
    } if ids else {}
    complex_depth = LEVEL_DEPTH[AreaLevel.COMPLEX]
    labels = {}
    for area in areas:
        parts = [
            names[ancestor]["name"] for ancestor in area.ancestor_ids
            if ancestor in names and LEVEL_DEPTH[AreaLevel(names[ancestor]["level"])] >= complex_depth
        ]
        labels[area.pk] = " ".join(parts) or area.name
    return labels


def attach_addresses(rows: Iterable, area_attr: str = "area", target: str = "area_label") -> list:
    """Set ``row.<target>`` to the address label of ``row.<area_attr>`` (one query)."""
    rows = list(rows)
    areas = [_dig(row, area_attr) for row in rows]
    labels = address_labels(areas)
    for row, area in zip(rows, areas):
        setattr(row, target, labels.get(area.pk, "") if area is not None else "")
    return rows


def _dig(obj, dotted: str):
    """``obj.a.b`` for ``dotted`` "a.b"; the object itself for ""."""
    for part in filter(None, dotted.split(".")):
        obj = getattr(obj, part, None) if obj is not None else None
    return obj


# --- areas ------------------------------------------------------------------------------------------------------

def area_roots(*, user: User, capability: str = Capability.VIEW) -> list[Area]:
    """The top areas of the user's grants: where navigation by area starts."""
    from shequ.accounts.scope import grant_paths

    ids = [int(path.strip("/").split("/")[-1]) for path in grant_paths(user, capability)]
    return list(Area.objects.visible_to(user, capability).filter(pk__in=ids).order_by("path"))


def area_get(*, user: User, pk: int) -> Area:
    return Area.objects.visible_to(user).get(pk=pk)


def area_ancestors(*, user: User, area: Area) -> list[tuple[Area, bool]]:
    """(ancestor, visible to the user) from the top down: the breadcrumb. Names of
    the nodes above a grant are shown, but only visible ones are links."""
    nodes = list(Area.objects.filter(pk__in=area.ancestor_ids[:-1]).order_by("depth"))
    visible = set(Area.objects.visible_to(user).filter(pk__in=[node.pk for node in nodes]).values_list("pk", flat=True))
    return [(node, node.pk in visible) for node in nodes]


def area_children(*, user: User, area: Area, limit: int = 500) -> list[Area]:
    """Children of a visible area with the people and houses below each, counted
    in one query per table (a filtered COUNT per child over the area's subtree)."""
    # by code: official codes and the demo's zero-padded ones sort naturally ("2号楼" before "10号楼")
    children = list(Area.objects.visible_to(user).filter(parent=area).order_by("code")[:limit])
    if not children:
        return children
    counts = {}
    for model, key in ((Person, "people"), (House, "houses")):
        aggregates = {
            f"c{child.pk}": Count("pk", filter=subtree_q(model.objects.all().area_path_lookup, child.path))
            for child in children
        }
        counts[key] = within(model.objects.visible_to(user), area).aggregate(**aggregates)
    for child in children:
        child.people_count = counts["people"][f"c{child.pk}"]
        child.house_count = counts["houses"][f"c{child.pk}"]
    return children


def area_choices(*, user: User, capability: str = Capability.VIEW, limit: int = 500) -> list[Area]:
    """Visible areas for a filter select, in tree order: down to the complexes, or
    two levels below the user's own grants when those sit deeper (a community
    worker gets its buildings). Deeper nodes are reached from the area pages.

    Read level by level through ``parent`` (one small indexed query per level)
    rather than as the whole subtree filtered by depth, which would visit every
    house under a street or district."""
    roots = area_roots(user=user, capability=capability)
    if not roots:
        return []
    max_depth = max(LEVEL_DEPTH[AreaLevel.COMPLEX], min(root.depth for root in roots) + 2)
    found, parents = list(roots), [root.pk for root in roots if root.depth < max_depth]
    while parents and len(found) < limit:
        children = list(
            Area.objects.visible_to(user, capability).active().filter(parent_id__in=parents)
            .exclude(level=AreaLevel.HOUSE).order_by("path")[: limit - len(found)]
        )
        found += children
        parents = [child.pk for child in children if child.depth < max_depth]
    return sorted(found, key=lambda area: area.path)


def area_search(
    *, user: User, query: str, levels: Iterable[str] | None = None, capability: str = Capability.VIEW,
    limit: int = 20,
) -> list[Area]:
    """Areas matching an address typed as words from the top down, e.g.
    "长庆坊 3号楼 0301": the last word is a name prefix, earlier words must each
    start the name of an ancestor, in order. Results carry ``.area_label``."""
    words = query.split()
    queryset = Area.objects.visible_to(user, capability).active()
    if levels:
        queryset = queryset.filter(level__in=list(levels))
    if not words:
        return attach_addresses(queryset.order_by("path")[:limit], area_attr="")
    candidates = list(queryset.filter(prefix_q("name", words[-1])).order_by("path")[:500])
    if len(words) > 1:
        ancestor_ids = {ancestor for area in candidates for ancestor in area.ancestor_ids[:-1]}
        names = dict(Area.objects.filter(pk__in=ancestor_ids).values_list("pk", "name"))
        candidates = [
            area for area in candidates
            if _words_in_order(words[:-1], [names.get(pk, "") for pk in area.ancestor_ids[:-1]])
        ]
    return attach_addresses(candidates[:limit], area_attr="")


def _words_in_order(words: list[str], names: list[str]) -> bool:
    position = 0
    for word in words:
        while position < len(names) and not names[position].startswith(word):
            position += 1
        if position == len(names):
            return False
        position += 1
    return True


# --- people -----------------------------------------------------------------------------------------------------

class SearchKind(StrEnum):
    NAME = "name"
    NAME_CONTAINS = "name_contains"
    ID_TAIL = "id_tail"
    PHONE = "phone"
    ID_NUMBER = "id_number"
    ADDRESS = "address"


SEARCH_KIND_CHOICES = [
    (SearchKind.NAME, _("姓名（开头）")),
    (SearchKind.NAME_CONTAINS, _("姓名（包含，较慢）")),
    (SearchKind.ID_TAIL, _("证件号后4位")),
    (SearchKind.PHONE, _("手机号码")),
    (SearchKind.ID_NUMBER, _("完整证件号码")),
    (SearchKind.ADDRESS, _("地址（小区/楼栋/房号）")),
]

_ID_TAIL = re.compile(r"^\d{3}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_ID_NUMBER = re.compile(r"^(\d{17}[\dX]|\d{15})$")
_ADDRESS_HINT = re.compile(r"[\d\s]|小区|号楼|楼|单元|社区|街道|苑|园|坊|村")


def guess_search_kind(query: str) -> SearchKind:
    """What the user most likely typed into the single search box."""
    compact = re.sub(r"\s+", "", query).upper()
    if _ID_TAIL.match(compact):
        return SearchKind.ID_TAIL
    if _MOBILE.match(compact):
        return SearchKind.PHONE
    if _ID_NUMBER.match(compact):
        return SearchKind.ID_NUMBER
    if _ADDRESS_HINT.search(query.strip()):
        return SearchKind.ADDRESS
    return SearchKind.NAME


def _person_rows(queryset: QuerySet) -> QuerySet:
    """What every list of people shows: area joined, care tags prefetched."""
    return queryset.select_related("area").prefetch_related(
        Prefetch("care_tags", queryset=CareTag.objects.order_by("code"))
    )


def person_search(*, user: User, query: str, kind: str | None = None) -> tuple[SearchKind, QuerySet]:
    """Find visible people by name, ID tail, phone, full ID or address.

    Returns the kind actually used and an ordered queryset; callers slice it.
    A name that finds nobody is retried as an address ("长庆坊").
    """
    query = query.strip()
    used = SearchKind(kind) if kind else guess_search_kind(query)
    compact = re.sub(r"\s+", "", query).upper()
    everyone = Person.objects.all()
    if used == SearchKind.ID_TAIL:
        found = _visible_matches(user, everyone.filter(id_tail=compact[-4:]))
    elif used == SearchKind.PHONE:
        found = _visible_matches(user, people_find_by_phone(everyone, compact))
    elif used == SearchKind.ID_NUMBER:
        # the unique index leads with id_type: naming every type lets it be used
        any_type = everyone.filter(id_type__in=Person.IdType.values)
        found = _visible_matches(user, people_find_by_id_number(any_type, compact))
    elif used == SearchKind.NAME_CONTAINS:
        found = Person.objects.visible_to(user).filter(name__contains=query).order_by("name", "pk")
    elif used == SearchKind.ADDRESS:
        found = _people_at_address(user, query)
    else:
        # one character is a surname, shared by thousands: skip counting the candidates
        found = _visible_matches(user, everyone.filter(prefix_q("name", query)), common=len(query) == 1)
        if not kind and not found.exists():
            used, found = SearchKind.ADDRESS, _people_at_address(user, query)
    return used, _person_rows(found)


#: a search matching at most this many people city-wide is scoped in two steps
MATCH_CANDIDATES = 2000


def _visible_matches(user: User, matches: QuerySet, *, common: bool = False) -> QuerySet:
    """The people among ``matches`` (an indexed, selective filter over everyone)
    that ``user`` may see, ordered by name.

    Scoping such a search in one query leaves PostgreSQL guessing how many rows
    each side holds: it cannot estimate a subtree (a range of paths inside one
    histogram bucket) nor two Chinese characters of a name prefix, guesses one or
    two rows for each and rescans the whole subtree once per matching name
    (850 ms for "王秀" in one community). So the matches are read first on their
    own, ids and areas only; ``Area.objects.visible_to`` says which of their
    areas the user sees; the page then loads those people by primary key.

    A match too common for that ("王": 7% of a city) is estimated well, and
    walking the user's subtree in household order finds a page of it at once.
    """
    rows = [] if common else list(matches.order_by().values_list("pk", "area_id")[: MATCH_CANDIDATES + 1])
    if common or len(rows) > MATCH_CANDIDATES:
        return (Person.objects.visible_to(user) & matches).order_by(*PERSON_LIST_ORDER)
    seen = set(Area.objects.visible_to(user).filter(pk__in={area for _pk, area in rows}).values_list("pk", flat=True))
    return Person.objects.filter(pk__in=[pk for pk, area in rows if area in seen]).order_by("name", "pk")


def _people_at_address(user: User, query: str) -> QuerySet:
    """Visible people living at or under the areas an address names, in household order."""
    visible = Person.objects.visible_to(user)
    areas = area_search(user=user, query=query, limit=20)
    if not areas:
        return visible.none()
    condition = Q()
    for area in areas:
        condition |= subtree_q("area__path", area.path)
    return visible.filter(condition).order_by(*PERSON_LIST_ORDER)


def person_list(
    *, user: User, area: Area | None = None, query: str = "", care_tag: str = "", population_type: str = "",
    id_type: str = "",
) -> QuerySet:
    """Visible people, filtered, in household order (address, then name)."""
    if query:
        _kind, people = person_search(user=user, query=query)
    else:
        people = _person_rows(Person.objects.visible_to(user))
    people = within(people, area)
    if care_tag:
        # by id, not by code through a join: with the id the planner knows from its
        # statistics how common the tag is, and picks the plan that stops early
        tag_id = CareTag.objects.filter(code=care_tag).values_list("pk", flat=True).first()
        through = Person.care_tags.through
        # EXISTS, not a join: a join would repeat people and need DISTINCT
        people = people.filter(Exists(through.objects.filter(person_id=OuterRef("pk"), caretag_id=tag_id)))
    if population_type:
        people = people.filter(Exists(
            Residence.objects.current().filter(person_id=OuterRef("pk"), population_type=population_type)
        ))
    if id_type:
        people = people.filter(id_type=id_type)
    return people.order_by(*PERSON_LIST_ORDER)


def person_get(*, user: User, pk: int) -> Person:
    """A visible person with what the detail page shows."""
    return _person_rows(Person.objects.visible_to(user)).get(pk=pk)


def person_residences(*, person: Person) -> list[Residence]:
    """All residences of a person, current first, with house addresses."""
    rows = list(
        Residence.objects.filter(person=person).select_related("house__area")
        .order_by(F("end_date").asc(nulls_first=True), "-start_date", "-pk")
    )
    return attach_addresses(rows, area_attr="house.area")


def person_memberships(*, person: Person) -> list[OrganizationMember]:
    return list(
        OrganizationMember.objects.filter(person=person).select_related("organization")
        .order_by(F("end_date").asc(nulls_first=True), "-start_date", "-pk")
    )


def person_vehicles(*, person: Person) -> list[Vehicle]:
    return list(Vehicle.objects.filter(owner=person).order_by("plate"))


# --- houses -----------------------------------------------------------------------------------------------------

def _current_residents() -> Subquery:
    """Residents now living in the house, as a subquery evaluated for the page's
    rows only (a COUNT over a join would group the whole subtree before LIMIT)."""
    residents = (
        Residence.objects.current().filter(house_id=OuterRef("pk")).order_by()
        .values("house_id").annotate(count=Count("pk")).values("count")
    )
    return Coalesce(Subquery(residents), 0)


def house_list(*, user: User, area: Area | None = None, query: str = "", status: str = "", use: str = "") -> QuerySet:
    """Visible houses in tree order (the area path index), with resident counts."""
    houses = within(House.objects.visible_to(user), area)
    if query:
        areas = area_search(user=user, query=query, levels=None, limit=50)
        condition = Q()
        for found in areas:
            condition |= subtree_q("area__path", found.path)
        houses = houses.filter(condition) if areas else houses.none()
    if status:
        houses = houses.filter(status=status)
    if use:
        houses = houses.filter(use=use)
    return houses.select_related("area").annotate(resident_count=_current_residents()).order_by("area__path")


def house_get(*, user: User, pk: int) -> House:
    return House.objects.visible_to(user).select_related("area").get(pk=pk)


def house_residences(*, house: House) -> list[Residence]:
    return list(
        Residence.objects.filter(house=house).select_related("person")
        .order_by(F("end_date").asc(nulls_first=True), "-start_date", "-pk")
    )


# --- organizations ----------------------------------------------------------------------------------------------

def organization_list(*, user: User, area: Area | None = None, query: str = "", kind: str = "") -> QuerySet:
    organizations = within(Organization.objects.visible_to(user), area)
    if query:
        organizations = organizations.filter(Q(name__contains=query) | Q(uscc=query.strip().upper()))
    if kind:
        organizations = organizations.filter(kind=kind)
    return organizations.select_related("area").order_by("name", "pk")


def organization_get(*, user: User, pk: int) -> Organization:
    return Organization.objects.visible_to(user).select_related("area").get(pk=pk)


def organization_members(*, organization: Organization) -> list[OrganizationMember]:
    return list(
        OrganizationMember.objects.filter(organization=organization).select_related("person")
        .order_by(F("end_date").asc(nulls_first=True), "-is_contact", "person__name", "pk")
    )


# --- vehicles and facilities ------------------------------------------------------------------------------------

def vehicle_list(*, user: User, area: Area | None = None, query: str = "", plate_kind: str = "") -> QuerySet:
    vehicles = within(Vehicle.objects.visible_to(user), area)
    if query:
        vehicles = vehicles.filter(plate__contains=re.sub(r"\s+", "", query).upper())
    if plate_kind:
        vehicles = vehicles.filter(plate_kind=plate_kind)
    return vehicles.select_related("area", "owner", "house__area").order_by("area__path", "plate")


def vehicle_get(*, user: User, pk: int) -> Vehicle:
    return Vehicle.objects.visible_to(user).select_related("area", "owner", "house__area").get(pk=pk)


def facility_list(
    *, user: User, area: Area | None = None, query: str = "", kind: str = "", status: str = "", due: bool = False,
) -> QuerySet:
    facilities = within(Facility.objects.visible_to(user), area)
    if due:
        facilities = facilities.inspection_due()
    if query:
        facilities = facilities.filter(Q(name__contains=query) | Q(serial=query.strip()))
    if kind:
        facilities = facilities.filter(kind=kind)
    if status:
        facilities = facilities.filter(status=status)
    return facilities.select_related("area").order_by("next_inspection_on", "name", "pk")


def facility_get(*, user: User, pk: int) -> Facility:
    return Facility.objects.visible_to(user).select_related("area").get(pk=pk)


# --- dashboard --------------------------------------------------------------------------------------------------

def dashboard_counts(*, user: User) -> dict[str, int]:
    """Counts for the home page, each over the user's visible rows."""
    return {
        "people": Person.objects.visible_to(user).count(),
        "houses": House.objects.visible_to(user).count(),
        "organizations": Organization.objects.visible_to(user).count(),
        "vehicles": Vehicle.objects.visible_to(user).count(),
        "facilities": Facility.objects.visible_to(user).count(),
        "facilities_due": Facility.objects.visible_to(user).inspection_due().count(),
    }
