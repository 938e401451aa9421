from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.scoping import ScopedQuerySet


class AreaLevel(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区县")
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")
    COMPLEX = "complex", _("小区")
    BUILDING = "building", _("楼栋")
    UNIT = "unit", _("单元")
    HOUSE = "house", _("房屋")


#: which level may sit directly under which; enforced by the area service
CHILD_LEVEL = {
    AreaLevel.CITY: AreaLevel.DISTRICT,
    AreaLevel.DISTRICT: AreaLevel.STREET,
    AreaLevel.STREET: AreaLevel.COMMUNITY,
    AreaLevel.COMMUNITY: AreaLevel.COMPLEX,
    AreaLevel.COMPLEX: AreaLevel.BUILDING,
    AreaLevel.BUILDING: AreaLevel.UNIT,
    AreaLevel.UNIT: AreaLevel.HOUSE,
}
LEVEL_DEPTH = {level: depth for depth, level in enumerate(AreaLevel)}


class AreaQuerySet(ScopedQuerySet):
    area_path_lookup = "path"

    def active(self) -> AreaQuerySet:
        return self.filter(retired_on__isnull=True)


class Area(models.Model):
    """A node of the area tree (地). Codes are stable; retired nodes stay so old
    records and ID numbers that point at them keep their meaning."""

    Level = AreaLevel

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级")
    )
    level = models.CharField(_("层级"), max_length=10, choices=AreaLevel.choices)
    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    # "/<id>/<id>/": subtree = path range, see shequ.core.scoping
    path = models.CharField(_("路径"), max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("深度"), editable=False, default=0)
    retired_on = models.DateField(_("撤销日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["path"]
        indexes = [
            # subtree range scans and breadcrumb lookups
            models.Index(fields=["path"], name="area_path_idx"),
            models.Index(fields=["parent", "name"], name="area_parent_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def is_within(self, other: Area) -> bool:
        return self.path.startswith(other.path)


class HouseUse(models.TextChoices):
    RESIDENTIAL = "residential", _("住宅")
    COMMERCIAL = "commercial", _("商业")
    OFFICE = "office", _("办公")
    MIXED = "mixed", _("商住两用")
    OTHER = "other", _("其他")


class HouseStatus(models.TextChoices):
    OWNER_OCCUPIED = "owner_occupied", _("自住")
    RENTED = "rented", _("出租")
    VACANT = "vacant", _("空置")


class Ownership(models.TextChoices):
    COMMODITY = "commodity", _("商品房")
    REFORMED = "reformed", _("房改房")
    PUBLIC_RENTAL = "public_rental", _("公租房")
    RESETTLEMENT = "resettlement", _("安置房")
    SELF_BUILT = "self_built", _("自建房")
    OTHER = "other", _("其他")


class HouseQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"


class House(models.Model):
    """A house (房屋): the attributes of a house-level area node. Floor area is
    kept exactly (Decimal) because owners' votes are counted by it (Civil Code 278)."""

    Use = HouseUse
    Status = HouseStatus
    Ownership = Ownership

    area = models.OneToOneField(Area, on_delete=models.PROTECT, related_name="house", verbose_name=_("区域节点"))
    number = models.CharField(_("房号"), max_length=40)
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)
    floor_area = models.DecimalField(_("建筑面积(㎡)"), max_digits=8, decimal_places=2)
    use = models.CharField(_("用途"), max_length=12, choices=HouseUse.choices, default=HouseUse.RESIDENTIAL)
    status = models.CharField(_("状态"), max_length=16, choices=HouseStatus.choices, default=HouseStatus.OWNER_OCCUPIED)
    ownership = models.CharField(_("产权性质"), max_length=16, choices=Ownership.choices, default=Ownership.COMMODITY)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HouseQuerySet.as_manager()

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(floor_area__gt=0),
                name="house_floor_area_positive",
                violation_error_message=_("建筑面积必须大于0。"),
            ),
        ]

    def __str__(self) -> str:
        return self.number
