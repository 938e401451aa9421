"""Find the areas and houses a file refers to, and whether the actor may import there."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.core import pii
from shequ.registry.models import Area, Person

# SQLite allows 32766 bound parameters since 3.32; stay far below for older builds
CHUNK = 500


@dataclass(frozen=True)
class AreaRef:
    id: int
    code: str
    level: str
    path: str
    name: str
    retired: bool
    editable: bool
    house_id: int | None = None


def chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def importable(queryset: QuerySet, actor: Actor) -> QuerySet:
    """Rows the actor may change *and* import into. System actors (CLI without --as) may do all."""
    if actor.user is None:
        return queryset
    return queryset.editable_by(actor.user).visible_to(actor.user, Capability.IMPORT)


def areas_by_code(actor: Actor, codes: Iterable[str]) -> dict[str, AreaRef]:
    """The areas with these codes, each marked editable or not for ``actor``."""
    wanted = sorted({code for code in codes if code})
    found: dict[str, AreaRef] = {}
    for part in chunks(wanted):
        queryset = Area.objects.filter(code__in=part)
        editable = set(importable(queryset, actor).values_list("pk", flat=True))
        fields = ("pk", "code", "level", "path", "name", "retired_on", "house__pk")
        for pk, code, level, path, name, retired_on, house_id in queryset.values_list(*fields):
            found[code] = AreaRef(pk, code, level, path, name, retired_on is not None, pk in editable, house_id)
    return found


def area_problem(ref: AreaRef | None, code: str, levels: Iterable[str] | None = None) -> str | None:
    """Why a referenced area cannot be used, or None when it can."""
    if ref is None:
        return str(_("编码“%(code)s”不存在。") % {"code": code})
    if levels is not None and ref.level not in levels:
        names = "、".join(str(Area.Level(level).label) for level in levels)
        return str(_("“%(code)s”是%(level)s，这里应为%(expected)s。") % {
            "code": code, "level": Area.Level(ref.level).label, "expected": names})
    if ref.retired:
        return str(_("“%(name)s”已撤销。") % {"name": ref.name})
    if not ref.editable:
        return str(_("“%(code)s”不在您可以导入的区域范围内。") % {"code": code})
    return None


def common_path(paths: Iterable[str]) -> str:
    """The deepest area path above all ``paths``: where the audit record of an import belongs."""
    paths = list(paths)
    if not paths:
        return ""
    prefix = paths[0]
    for path in paths[1:]:
        while not path.startswith(prefix):
            prefix = prefix[: prefix[:-1].rfind("/") + 1]
    return prefix if prefix != "/" else ""


@dataclass(frozen=True)
class PersonRef:
    id: int
    area_id: int
    editable: bool
    visible: bool


def normalise_id_number(value: str) -> str:
    """As the validators normalise before hashing: NFKC, upper case, no spaces."""
    folded = unicodedata.normalize("NFKC", value or "").upper()
    return "".join(ch for ch in folded if not ch.isspace())


def people_by_id_number(actor: Actor, numbers: Iterable[str]) -> dict[str, list[PersonRef]]:
    """People holding each ID number (any document type), found through the keyed digest."""
    by_digest = {pii.digest("id", number): number for number in {n for n in numbers if n}}
    found: dict[str, list[PersonRef]] = {}
    for part in chunks(sorted(by_digest)):
        queryset = Person.objects.filter(id_number_digest__in=part)
        editable = set(importable(queryset, actor).values_list("pk", flat=True))
        visible = (set(queryset.visible_to(actor.user).values_list("pk", flat=True))
                   if actor.user is not None else None)
        for pk, digest, area_id in queryset.values_list("pk", "id_number_digest", "area_id"):
            ref = PersonRef(pk, area_id, pk in editable, visible is None or pk in visible)
            found.setdefault(by_digest[digest], []).append(ref)
    return found
