"""Vehicle and facility services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from shequ.accounts.audit import Actor
from shequ.registry.models import Area, Facility, House, Person, Vehicle
from shequ.registry.services.common import (
    apply, audited_save, field_error, require_change, require_change_and_move, snapshot,
)
from shequ.registry.validators import validate_plate

VEHICLE_FIELDS = {"plate", "owner", "house", "parking_space", "brand", "color", "area"}
FACILITY_FIELDS = {
    "kind", "name", "serial", "area", "location", "latitude", "longitude", "status",
    "installed_on", "last_inspected_on", "next_inspection_on",
}


def plate_kind(plate: str) -> str:
    """8-character plates are new-energy plates (GA 36-2018)."""
    return Vehicle.PlateKind.NEW_ENERGY if len(plate) == 8 else Vehicle.PlateKind.ORDINARY


def _normalise_plate(vehicle: Vehicle) -> None:
    try:
        vehicle.plate = validate_plate(vehicle.plate)
    except ValidationError as exc:
        raise ValidationError({"plate": exc.error_list}) from exc
    vehicle.plate_kind = plate_kind(vehicle.plate)


@transaction.atomic
def vehicle_create(*, actor: Actor, area: Area, plate: str, owner: Person | None = None, house: House | None = None,
                   parking_space: str = "", brand: str = "", color: str = "") -> Vehicle:
    require_change(actor, area)
    vehicle = Vehicle(area=area, plate=plate, owner=owner, house=house, parking_space=parking_space,
                      brand=brand, color=color)
    _normalise_plate(vehicle)
    return audited_save(actor, vehicle, None)


@transaction.atomic
def vehicle_update(*, actor: Actor, vehicle: Vehicle, **changes) -> Vehicle:
    require_change_and_move(actor, vehicle.area, changes)
    before = snapshot(vehicle)
    apply(vehicle, changes, VEHICLE_FIELDS)
    _normalise_plate(vehicle)
    return audited_save(actor, vehicle, before)


@transaction.atomic
def facility_create(*, actor: Actor, area: Area, kind: str, name: str, **fields) -> Facility:
    require_change(actor, area)
    facility = Facility(area=area, kind=kind, name=name)
    apply(facility, fields, FACILITY_FIELDS)
    _check_inspection_dates(facility)
    return audited_save(actor, facility, None)


@transaction.atomic
def facility_update(*, actor: Actor, facility: Facility, **changes) -> Facility:
    require_change_and_move(actor, facility.area, changes)
    before = snapshot(facility)
    apply(facility, changes, FACILITY_FIELDS)
    _check_inspection_dates(facility)
    return audited_save(actor, facility, before)


def _check_inspection_dates(facility: Facility) -> None:
    from django.utils.translation import gettext_lazy as _

    if facility.last_inspected_on and facility.next_inspection_on and facility.next_inspection_on < facility.last_inspected_on:
        raise field_error("next_inspection_on", _("下次检查日期不能早于上次检查日期。"), "inspection_dates")
