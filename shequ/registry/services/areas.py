"""Area tree and house services."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor
from shequ.core.scoping import subtree_q
from shequ.registry.models import Area, House
from shequ.registry.models.area import CHILD_LEVEL, LEVEL_DEPTH, AreaLevel
from shequ.registry.services.common import apply, field_error, audited_save, require_change, snapshot
from shequ.registry.validators import validate_area_code


def _check_level(parent: Area | None, level: str) -> None:
    if parent is None:
        if level != AreaLevel.CITY:
            raise field_error("parent", _("只有“市”级区域可以没有上级。"), "area_parent_required")
        return
    expected = CHILD_LEVEL.get(AreaLevel(parent.level))
    if expected != level:
        raise ValidationError(
            {"level": _("“%(parent)s”下只能建立“%(expected)s”。") % {"parent": parent.name, "expected": expected.label if expected else "-"}},
            code="area_level",
        )


@transaction.atomic
def area_create(*, actor: Actor, parent: Area | None, level: str, code: str, name: str) -> Area:
    """Add a node under ``parent``; its path is known only once it has an id."""
    _check_level(parent, level)
    if parent is not None:
        require_change(actor, parent)
        if parent.retired_on:
            raise field_error("parent", _("上级区域已撤销。"), "area_parent_retired")
    try:
        code = validate_area_code(level, code)
    except ValidationError as exc:
        raise ValidationError({"code": exc.error_list}) from exc
    area = Area(parent=parent, level=level, code=code, name=name.strip(), depth=LEVEL_DEPTH[AreaLevel(level)])
    area.full_clean(exclude=["path"])
    area.save()
    area.path = f"{parent.path if parent else '/'}{area.pk}/"
    area.save(update_fields=["path"])
    return audited_save(actor, area, None)


@transaction.atomic
def area_update(*, actor: Actor, area: Area, **changes) -> Area:
    """Rename a node (codes stay stable: they are referenced from outside)."""
    require_change(actor, area)
    before = snapshot(area)
    apply(area, changes, {"name"})
    return audited_save(actor, area, before)


@transaction.atomic
def area_retire(*, actor: Actor, area: Area, on) -> Area:
    """Mark a node and its subtree retired instead of deleting them."""
    require_change(actor, area)
    before = snapshot(area)
    area.retired_on = on
    Area.objects.filter(subtree_q("path", area.path), retired_on__isnull=True).update(retired_on=on)
    return audited_save(actor, area, before)


def community_of(area: Area) -> Area | None:
    """The community-level ancestor of ``area`` (or itself)."""
    ids = area.ancestor_ids
    return Area.objects.filter(pk__in=ids, level=AreaLevel.COMMUNITY).first()


def full_address(area: Area) -> str:
    """'长庆坊 3号楼 2单元 0301' from the complex down."""
    nodes = Area.objects.filter(pk__in=area.ancestor_ids).order_by("depth")
    return " ".join(node.name for node in nodes if LEVEL_DEPTH[AreaLevel(node.level)] >= LEVEL_DEPTH[AreaLevel.COMPLEX])


HOUSE_FIELDS = {"number", "floor", "floor_area", "use", "status", "ownership"}


@transaction.atomic
def house_create(
    *, actor: Actor, unit: Area, number: str, floor_area: Decimal, floor: int | None = None,
    use: str = House.Use.RESIDENTIAL, status: str = House.Status.OWNER_OCCUPIED,
    ownership: str = House.Ownership.COMMODITY, code: str | None = None,
) -> House:
    """Create a house: its area node under ``unit`` and its attributes."""
    require_change(actor, unit)
    if unit.level != AreaLevel.UNIT:
        raise field_error("unit", _("房屋必须建在单元下。"), "house_parent")
    node = area_create(
        actor=actor, parent=unit, level=AreaLevel.HOUSE, code=code or f"{unit.code}-{number}", name=str(number)
    )
    house = House(area=node, number=number, floor=floor, floor_area=floor_area, use=use, status=status, ownership=ownership)
    return audited_save(actor, house, None)


@transaction.atomic
def house_update(*, actor: Actor, house: House, **changes) -> House:
    require_change(actor, house.area)
    before = snapshot(house)
    apply(house, changes, HOUSE_FIELDS)
    return audited_save(actor, house, before)
