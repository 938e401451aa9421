from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.scoping import ScopedQuerySet
from shequ.registry.models.area import Area, House
from shequ.registry.models.person import Person


class PlateKind(models.TextChoices):
    ORDINARY = "ordinary", _("普通号牌")
    NEW_ENERGY = "new_energy", _("新能源号牌")
    OTHER = "other", _("其他号牌")


class VehicleQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"


class Vehicle(models.Model):
    """A vehicle (物) registered to a complex; plates are normalised per GA 36."""

    PlateKind = PlateKind

    plate = models.CharField(_("车牌号"), max_length=10)
    plate_kind = models.CharField(_("号牌种类"), max_length=12, choices=PlateKind.choices, editable=False)
    owner = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="vehicles", verbose_name=_("车主")
    )
    house = models.ForeignKey(
        House, null=True, blank=True, on_delete=models.SET_NULL, related_name="vehicles", verbose_name=_("房屋")
    )
    parking_space = models.CharField(_("车位"), max_length=30, blank=True)
    brand = models.CharField(_("品牌型号"), max_length=50, blank=True)
    color = models.CharField(_("颜色"), max_length=20, blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="vehicles", verbose_name=_("所属区域"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VehicleQuerySet.as_manager()

    class Meta:
        verbose_name = _("车辆")
        verbose_name_plural = _("车辆")
        constraints = [models.UniqueConstraint(fields=["plate"], name="vehicle_unique_plate")]
        indexes = [models.Index(fields=["area", "plate"], name="vehicle_area_plate_idx")]

    def __str__(self) -> str:
        return self.plate


class FacilityKind(models.TextChoices):
    FIRE_HYDRANT = "fire_hydrant", _("消防栓")
    EXTINGUISHER = "extinguisher", _("灭火器")
    ELEVATOR = "elevator", _("电梯")
    CAMERA = "camera", _("摄像机")
    GATE = "gate", _("门禁/道闸")
    CHARGING_POINT = "charging_point", _("充电桩")
    OTHER = "other", _("其他")


class FacilityStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("正常")
    FAULTY = "faulty", _("故障")
    RETIRED = "retired", _("停用")


class FacilityQuerySet(ScopedQuerySet):
    area_path_lookup = "area__path"

    def inspection_due(self, on=None) -> FacilityQuerySet:
        from django.utils import timezone

        return self.filter(next_inspection_on__lte=on or timezone.localdate()).exclude(status=FacilityStatus.RETIRED)


class Facility(models.Model):
    """A facility (物): fire equipment, elevators, cameras, gates, charging points."""

    Kind = FacilityKind
    Status = FacilityStatus

    kind = models.CharField(_("类别"), max_length=16, choices=FacilityKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    serial = models.CharField(_("编号"), max_length=50, blank=True)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="facilities", verbose_name=_("所属区域"))
    location = models.CharField(_("位置描述"), max_length=200, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=FacilityStatus.choices, default=FacilityStatus.IN_SERVICE)
    installed_on = models.DateField(_("安装日期"), null=True, blank=True)
    last_inspected_on = models.DateField(_("上次检查"), null=True, blank=True)
    next_inspection_on = models.DateField(_("下次检查"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FacilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("设施")
        verbose_name_plural = _("设施")
        indexes = [
            models.Index(fields=["area", "kind"], name="facility_area_kind_idx"),
            models.Index(fields=["next_inspection_on"], name="facility_inspection_idx"),  # due list
        ]

    def __str__(self) -> str:
        return self.name
