"""From the hotline's words to our rows: its categories, its place names, its addresses.

Everything here is loaded once per file (a handful of queries) and then looked up
in memory row by row: a 100,000-row export must not cost 100,000 queries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.cases.hotline.parser import fold, split_category_path
from shequ.cases.models import Category
from shequ.core.scoping import subtree_q
from shequ.exchange.importers.lookups import chunks
from shequ.registry.models import Area
from shequ.registry.models.area import AreaLevel

# --- categories --------------------------------------------------------------------------------------------------


@dataclass
class CategoryIndex:
    """Category by any name the hotline or our staff use for it."""

    by_name: dict[str, Category]

    @classmethod
    def load(cls) -> CategoryIndex:
        table: dict[str, Category] = {}
        categories = list(Category.objects.all())
        # the hotline's own labels first: they are the mapping an administrator set on purpose
        for category in categories:
            for label in category.hotline_labels.split("|"):
                if label.strip():
                    table.setdefault(fold(label), category)
        for category in categories:
            table.setdefault(fold(category.name), category)
            table.setdefault(fold(category.code), category)
        return cls(table)

    def resolve(self, values: Iterable[str]) -> Category | None:
        """The category of the first value (most specific column first) that names one;
        a path "城乡建设>物业管理>物业服务" resolves by its most specific known segment."""
        for value in values:
            if not value:
                continue
            found = self.by_name.get(fold(value))
            if found is not None:
                return found
            for segment in reversed(split_category_path(value)):
                found = self.by_name.get(fold(segment))
                if found is not None:
                    return found
        return None


# --- complexes ---------------------------------------------------------------------------------------------------

_SUFFIXES = {
    AreaLevel.COMPLEX: ("小区",),
    AreaLevel.COMMUNITY: ("社区居民委员会", "居民委员会", "社区居委会", "居委会", "社区"),
    AreaLevel.STREET: ("街道办事处", "办事处", "街道", "街办", "镇"),
    AreaLevel.DISTRICT: ("区", "县"),
}


def name_forms(name: str, level: str) -> set[str]:
    """A place name folded, with and without its level's usual suffix ("长庆坊社区" ~ "长庆坊")."""
    folded = fold(name)
    forms = {folded}
    for suffix in _SUFFIXES.get(level, ()):
        if folded.endswith(suffix) and len(folded) > len(suffix) + 1:
            forms.add(folded[: -len(suffix)])
            break
    return forms


@dataclass
class ComplexRef:
    area: Area
    in_scope: bool
    #: level -> folded names (with and without suffix) of the community, street and district above
    above: dict[str, set[str]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        community = next(iter(sorted(self.above.get(AreaLevel.COMMUNITY, ()))), "")
        return f"{self.area.name}（{community}）" if community else self.area.name


class ComplexNotFound(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PlaceNames:
    complex: str
    community: str = ""
    street: str = ""
    district: str = ""


class ComplexIndex:
    """The complexes a file names, each marked in or out of the actor's scope.

    Scope is ``Area.objects.visible_to(user, "cases.handle")``: a community worker
    imports into the complexes of their community only; the CLI's system actor
    (no ``--as``) into every complex.
    """

    def __init__(self, refs: list[ComplexRef]):
        self.refs = refs
        self.by_name: dict[str, list[ComplexRef]] = {}
        for ref in refs:
            for form in name_forms(ref.area.name, AreaLevel.COMPLEX):
                self.by_name.setdefault(form, []).append(ref)
        self._resolved: dict[PlaceNames, ComplexRef | ComplexNotFound] = {}
        self._address_re: re.Pattern | None = None
        self._address_forms: dict[str, ComplexRef] = {}

    @classmethod
    def load(cls, actor: Actor, names: Iterable[str]) -> ComplexIndex:
        """The complexes named ``names`` (anywhere) and every complex in the actor's scope."""
        complexes = Area.objects.filter(level=AreaLevel.COMPLEX)
        scoped = complexes if actor.user is None else complexes.visible_to(actor.user, Capability.CASES_HANDLE)
        found: dict[int, Area] = {area.pk: area for area in scoped}
        in_scope = set(found)
        wanted = sorted({form for name in names if name for form in _stored_forms(name)})
        for part in chunks(wanted):
            for area in complexes.filter(name__in=part):
                found.setdefault(area.pk, area)
        above_ids = {ancestor for area in found.values() for ancestor in area.ancestor_ids[:-1]}
        above = {}
        for part in chunks(sorted(above_ids)):
            above.update({pk: (name, level) for pk, name, level in
                          Area.objects.filter(pk__in=part).values_list("pk", "name", "level")})
        refs = []
        for area in found.values():
            ref = ComplexRef(area, area.pk in in_scope)
            for ancestor in area.ancestor_ids[:-1]:
                if ancestor in above:
                    name, level = above[ancestor]
                    ref.above.setdefault(level, set()).update(name_forms(name, level))
            refs.append(ref)
        refs.sort(key=lambda ref: ref.area.path)
        return cls(refs)

    def resolve(self, names: PlaceNames) -> ComplexRef:
        """The one complex the names point at; ComplexNotFound says why there is none."""
        cached = self._resolved.get(names)
        if cached is None:
            try:
                cached = self._resolve(names)
            except ComplexNotFound as exc:
                cached = exc
            self._resolved[names] = cached
        if isinstance(cached, ComplexNotFound):
            raise cached
        return cached

    def _resolve(self, names: PlaceNames) -> ComplexRef:
        candidates = self.by_name.get(fold(names.complex), [])
        if not candidates:
            raise ComplexNotFound(_("没有名为“%(name)s”的小区。") % {"name": names.complex})
        if len(candidates) > 1:
            # the hotline's community, street and district only tell same-named complexes apart
            narrowed = candidates
            for level, given in ((AreaLevel.COMMUNITY, names.community), (AreaLevel.STREET, names.street),
                                 (AreaLevel.DISTRICT, names.district)):
                if given:
                    forms = name_forms(given, level)
                    narrowed = [ref for ref in narrowed if forms & ref.above.get(level, set())]
            if len(narrowed) > 1:
                mine = [ref for ref in narrowed if ref.in_scope]
                narrowed = mine if len(mine) == 1 else narrowed
            if len(narrowed) != 1:
                listed = "、".join(ref.label for ref in (narrowed or candidates)[:5])
                raise ComplexNotFound(_("有多个名为“%(name)s”的小区（%(list)s），请填写所属社区或街道加以区分。")
                                      % {"name": names.complex, "list": listed})
            candidates = narrowed
        ref = candidates[0]
        return self._usable(ref)

    def _usable(self, ref: ComplexRef) -> ComplexRef:
        if ref.area.retired_on is not None:
            raise ComplexNotFound(_("小区“%(name)s”已撤销。") % {"name": ref.area.name})
        if not ref.in_scope:
            raise ComplexNotFound(_("小区“%(name)s”不在您可以办理的区域范围内。") % {"name": ref.label})
        return ref

    def from_address(self, address: str) -> ComplexRef:
        """The complex of the actor's scope whose name the address contains (the longest one)."""
        if self._address_re is None:
            forms = {form: ref for ref in self.refs if ref.in_scope and ref.area.retired_on is None
                     for form in name_forms(ref.area.name, AreaLevel.COMPLEX) if len(form) >= 2}
            self._address_forms = forms
            pattern = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
            self._address_re = re.compile(pattern) if pattern else re.compile(r"(?!)")
        folded = fold(address)
        hits = {self._address_forms[match.group(0)].area.pk: self._address_forms[match.group(0)]
                for match in self._address_re.finditer(folded)}
        if len(hits) != 1:
            raise ComplexNotFound(_("无法从事发地址中识别出您辖区内的小区，请填写“小区名称”。") if not hits
                                  else _("事发地址中出现了多个小区，请填写“小区名称”。"))
        return next(iter(hits.values()))


def _stored_forms(name: str) -> set[str]:
    """Spellings to look a complex up by in the database: as given, and with or without 小区."""
    text = name.strip()
    forms = {text, fold(text)}
    for form in list(forms):
        forms.add(form[:-2] if form.endswith("小区") else form + "小区")
    return {form for form in forms if form}


# --- buildings, units and houses from an address ----------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}


def _cn_number(text: str) -> int | None:
    """1-99 in Chinese numerals (三, 十二, 二十三) or digits."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _sep, ones = text.partition("十")
        value = (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
        return value if all(ch in _CN_DIGITS for ch in tens + ones) else None
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    return None


_NUM = r"(\d{1,3}|[一二三四五六七八九十两]{1,3})"
_BUILDING_RE = re.compile(_NUM + r"\s*(?:号楼|栋|幢|#楼|#|号(?=\s*" + _NUM + r"\s*单元))")
_UNIT_RE = re.compile(_NUM + r"\s*单元")
_HOUSE_RE = re.compile(r"(?:单元|栋|号楼|幢|-)\s*(\d{3,4})\s*(?:室|号|户)?(?!\d)")
_DASHED_RE = re.compile(r"(?<!\d)(\d{1,3})\s*-\s*(\d{1,2})\s*-\s*(\d{3,4})(?!\d)")


@dataclass(frozen=True)
class AddressParts:
    building: int | None = None
    unit: int | None = None
    house: int | None = None


def parse_address(address: str, complex_name: str = "") -> AddressParts:
    """Building, unit and house numbers from "3号楼2单元301室", "三栋2单元0301" or "3-2-301",
    read after the complex's name when the address contains it ("朱雀大街12号长庆坊3号楼")."""
    text = fold(address)
    for form in sorted(name_forms(complex_name, AreaLevel.COMPLEX), key=len, reverse=True) if complex_name else ():
        position = text.find(form)
        if position >= 0:
            text = text[position + len(form):]
            break
    dashed = _DASHED_RE.search(text)
    if dashed:
        return AddressParts(int(dashed[1]), int(dashed[2]), int(dashed[3]))
    building = _BUILDING_RE.search(text)
    if building is None:
        return AddressParts()
    rest = text[building.end():]
    unit = _UNIT_RE.match(rest.lstrip())
    house = _HOUSE_RE.search(text, building.start())
    return AddressParts(_cn_number(building[1]), _cn_number(unit[1]) if unit else None,
                        int(house[1]) if house else None)


_FIRST_NUMBER = re.compile(r"\d+")


def _number_in(name: str) -> int | None:
    """The number a building, unit or house is known by: "3号楼" 3, "2单元" 2, "0301" 301."""
    match = _FIRST_NUMBER.search(name)
    if match:
        return int(match.group(0))
    head = re.match(r"[一二三四五六七八九十两]{1,3}", name)
    return _cn_number(head.group(0)) if head else None


class PlaceIndex:
    """Buildings, units and houses of some complexes, by their numbers."""

    def __init__(self) -> None:
        self._child: dict[tuple[int, int], int] = {}  # (parent area id, number) -> area id

    @classmethod
    def load(cls, complexes: Iterable[Area]) -> PlaceIndex:
        index = cls()
        levels = (AreaLevel.BUILDING, AreaLevel.UNIT, AreaLevel.HOUSE)
        for part in chunks(sorted(complexes, key=lambda area: area.path), 50):
            condition = subtree_q("path", part[0].path)
            for area in part[1:]:
                condition |= subtree_q("path", area.path)
            rows = (Area.objects.filter(condition, level__in=levels, retired_on__isnull=True)
                    .values_list("pk", "parent_id", "name"))
            for pk, parent_id, name in rows:
                number = _number_in(name)
                if number is not None:
                    index._child.setdefault((parent_id, number), pk)
        return index

    def find(self, complex_id: int, parts: AddressParts) -> int | None:
        """The most precise area the address names inside the complex, or None."""
        if parts.building is None:
            return None
        building = self._child.get((complex_id, parts.building))
        if building is None:
            return None
        if parts.unit is None:
            return building
        unit = self._child.get((building, parts.unit))
        if unit is None:
            return building
        if parts.house is None:
            return unit
        return self._child.get((unit, parts.house), unit)
