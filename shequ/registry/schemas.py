"""Schemas of the registry API: ``XIn`` (create), ``XPatch`` (partial update),
``XOut`` (answers), ``XFilters`` (list query parameters), ``XPage`` (a list page).

Foreign keys are ``<name>_id`` both ways. In ``XPatch`` a field that must not be
empty is typed without ``None`` but defaults to ``None``: leaving it out keeps
the value, sending ``null`` is a validation error. Unknown body fields are
refused. Personal values only ever
leave as their masked forms; ``PersonOut`` has no clear field to leak.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict, create_model

from shequ.core.keyset import DEFAULT_LIMIT, MAX_LIMIT
from shequ.registry.models import Area, Facility, House, Organization, Person, Residence, Vehicle

class InSchema(Schema):
    """Request bodies: an unknown field is an error, so a typo in a PATCH is not
    answered 200 while changing nothing."""

    model_config = ConfigDict(extra="forbid")


# -- lists -------------------------------------------------------------------------------


class ListFilters(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="page size")
    after: str | None = Field(None, description="the `next` cursor of the previous page")
    area_id: int | None = Field(None, description="only rows inside this area's subtree")


def page_of(item: type[Schema]) -> type[Schema]:
    """``{"items": [item, ...], "next": cursor or null}`` named ``<Item>Page``."""
    name = item.__name__.removesuffix("Out") + "Page"
    return create_model(name, __base__=Schema, items=(list[item], ...), next=(str | None, None))


# -- areas -------------------------------------------------------------------------------


class AreaFilters(ListFilters):
    parent_id: int | None = Field(None, description="only the direct children of this area")
    level: Area.Level | None = None
    q: str | None = Field(None, max_length=100, description="name or code starts with")


class AreaOut(Schema):
    id: int
    parent_id: int | None
    level: str
    code: str
    name: str
    path: str
    depth: int
    retired_on: date | None


# -- houses ------------------------------------------------------------------------------


class HouseFilters(ListFilters):
    q: str | None = Field(None, max_length=40, description="house number starts with")
    use: House.Use | None = None
    status: House.Status | None = None
    ownership: House.Ownership | None = None


class HouseOut(Schema):
    id: int
    area_id: int
    unit_id: int | None = Field(None, alias="area.parent_id")
    code: str = Field(..., alias="area.code")
    number: str
    floor: int | None
    floor_area: Decimal
    use: str
    status: str
    ownership: str
    created_at: datetime
    updated_at: datetime


class ResidentIn(InSchema):
    """A person moving into the house being created, registered with it."""

    name: str = Field(..., min_length=1, max_length=50)
    id_type: Person.IdType = Person.IdType.RESIDENT_ID
    id_number: str = Field(..., min_length=1, max_length=40)
    phone: str = Field("", max_length=20)
    ethnicity: str = Field("", max_length=2)
    political_status: str = Field("", max_length=2)
    relation: Residence.Relation
    population_type: Residence.PopulationType
    start_date: date | None = None


class HouseIn(InSchema):
    unit_id: int
    number: str = Field(..., min_length=1, max_length=40)
    floor: int | None = Field(None, ge=-10, le=200)
    floor_area: Decimal = Field(..., gt=0, max_digits=8, decimal_places=2)
    use: House.Use = House.Use.RESIDENTIAL
    status: House.Status = House.Status.OWNER_OCCUPIED
    ownership: House.Ownership = House.Ownership.COMMODITY
    code: str | None = Field(None, max_length=40, description="area code; default <unit code>-<number>")
    residents: list[ResidentIn] = Field(default_factory=list, max_length=50)


class HousePatch(InSchema):
    number: str = Field(None, min_length=1, max_length=40)
    floor: int | None = Field(None, ge=-10, le=200)
    floor_area: Decimal = Field(None, gt=0, max_digits=8, decimal_places=2)
    use: House.Use = None
    status: House.Status = None
    ownership: House.Ownership = None


# -- people ------------------------------------------------------------------------------


class PersonFilters(ListFilters):
    q: str | None = Field(
        None, max_length=50,
        description="full ID number, full mobile number, last 4 characters of the ID, or name prefix",
    )
    id_type: Person.IdType | None = None
    gender: Person.Gender | None = None
    care_tag: str | None = Field(None, max_length=32, description="care tag code")
    sort: Literal["id", "name"] = "id"


class PersonOut(Schema):
    id: int
    name: str
    id_type: str
    id_number_masked: str
    gender: str
    birth_date: date | None
    phone_masked: str
    ethnicity: str
    political_status: str
    care_tags: list[str]
    area_id: int
    note: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_care_tags(obj: Person) -> list[str]:
        return [tag.code for tag in obj.care_tags.all()]  # prefetched by the list


class PersonIn(InSchema):
    area_id: int
    name: str = Field(..., min_length=1, max_length=50)
    id_type: Person.IdType = Person.IdType.RESIDENT_ID
    id_number: str = Field(..., min_length=1, max_length=40)
    phone: str = Field("", max_length=20)
    ethnicity: str = Field("", max_length=2)
    political_status: str = Field("", max_length=2)
    care_tags: list[str] = Field(default_factory=list)
    note: str = Field("", max_length=2000)


class PersonPatch(InSchema):
    area_id: int = None
    name: str = Field(None, min_length=1, max_length=50)
    id_type: Person.IdType = None
    id_number: str = Field(None, min_length=1, max_length=40)
    phone: str = Field(None, max_length=20, description='"" removes the number')
    ethnicity: str = Field(None, max_length=2)
    political_status: str = Field(None, max_length=2)
    care_tags: list[str] = None
    note: str = Field(None, max_length=2000)


class RevealIn(InSchema):
    field: Literal["id_number", "phone"]
    reason: str = Field(..., min_length=1, max_length=200, description="why you need the clear value (audited)")


class RevealOut(Schema):
    field: str
    value: str


# -- residences --------------------------------------------------------------------------


class ResidenceFilters(ListFilters):
    person_id: int | None = None
    house_id: int | None = None
    relation: Residence.Relation | None = None
    population_type: Residence.PopulationType | None = None
    current: bool | None = Field(None, description="true: only people living there today")


class ResidenceOut(Schema):
    id: int
    person_id: int
    person_name: str = Field(..., alias="person.name")
    house_id: int
    relation: str
    population_type: str
    start_date: date
    end_date: date | None
    lease_end: date | None


class ResidenceIn(InSchema):
    person_id: int
    house_id: int
    relation: Residence.Relation
    population_type: Residence.PopulationType
    start_date: date | None = None
    lease_end: date | None = None


class ResidencePatch(InSchema):
    """Moving out is the one change a residence takes; the row stays as history."""

    end_date: date


# -- organizations -----------------------------------------------------------------------


class OrganizationFilters(ListFilters):
    q: str | None = Field(None, max_length=120, description="name starts with")
    kind: Organization.Kind | None = None
    uscc: str | None = Field(None, max_length=18)


class OrganizationOut(Schema):
    id: int
    name: str
    kind: str
    uscc: str | None
    area_id: int
    address: str
    legal_representative: str
    created_at: datetime
    updated_at: datetime


class OrganizationIn(InSchema):
    area_id: int
    name: str = Field(..., min_length=1, max_length=120)
    kind: Organization.Kind
    uscc: str | None = Field(None, max_length=30)
    address: str = Field("", max_length=200)
    legal_representative: str = Field("", max_length=50)


class OrganizationPatch(InSchema):
    area_id: int = None
    name: str = Field(None, min_length=1, max_length=120)
    kind: Organization.Kind = None
    uscc: str | None = Field(None, max_length=30)
    address: str = Field(None, max_length=200)
    legal_representative: str = Field(None, max_length=50)


class MemberFilters(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    after: str | None = None
    current: bool | None = Field(None, description="true: only members without an end date")


class MemberOut(Schema):
    id: int
    organization_id: int
    person_id: int
    person_name: str = Field(..., alias="person.name")
    role: str
    is_contact: bool
    start_date: date | None
    end_date: date | None


class MemberIn(InSchema):
    person_id: int
    role: str = Field("", max_length=50)
    is_contact: bool = False
    start_date: date | None = None


class MemberPatch(InSchema):
    end_date: date


# -- vehicles ----------------------------------------------------------------------------


class VehicleFilters(ListFilters):
    q: str | None = Field(None, max_length=10, description="plate starts with")
    plate_kind: Vehicle.PlateKind | None = None
    owner_id: int | None = None
    house_id: int | None = None


class VehicleOut(Schema):
    id: int
    plate: str
    plate_kind: str
    owner_id: int | None
    house_id: int | None
    parking_space: str
    brand: str
    color: str
    area_id: int
    created_at: datetime
    updated_at: datetime


class VehicleIn(InSchema):
    area_id: int
    plate: str = Field(..., min_length=1, max_length=12)
    owner_id: int | None = None
    house_id: int | None = None
    parking_space: str = Field("", max_length=30)
    brand: str = Field("", max_length=50)
    color: str = Field("", max_length=20)


class VehiclePatch(InSchema):
    area_id: int = None
    plate: str = Field(None, min_length=1, max_length=12)
    owner_id: int | None = None
    house_id: int | None = None
    parking_space: str = Field(None, max_length=30)
    brand: str = Field(None, max_length=50)
    color: str = Field(None, max_length=20)


# -- facilities --------------------------------------------------------------------------


class FacilityFilters(ListFilters):
    q: str | None = Field(None, max_length=100, description="name starts with")
    kind: Facility.Kind | None = None
    status: Facility.Status | None = None
    inspection_due: bool | None = Field(None, description="true: next inspection is today or overdue")


class FacilityOut(Schema):
    id: int
    kind: str
    name: str
    serial: str
    area_id: int
    location: str
    latitude: Decimal | None
    longitude: Decimal | None
    status: str
    installed_on: date | None
    last_inspected_on: date | None
    next_inspection_on: date | None
    created_at: datetime
    updated_at: datetime


class FacilityIn(InSchema):
    area_id: int
    kind: Facility.Kind
    name: str = Field(..., min_length=1, max_length=100)
    serial: str = Field("", max_length=50)
    location: str = Field("", max_length=200)
    latitude: Decimal | None = Field(None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, max_digits=9, decimal_places=6)
    status: Facility.Status = Facility.Status.IN_SERVICE
    installed_on: date | None = None
    last_inspected_on: date | None = None
    next_inspection_on: date | None = None


class FacilityPatch(InSchema):
    area_id: int = None
    kind: Facility.Kind = None
    name: str = Field(None, min_length=1, max_length=100)
    serial: str = Field(None, max_length=50)
    location: str = Field(None, max_length=200)
    latitude: Decimal | None = Field(None, ge=-90, le=90, max_digits=9, decimal_places=6)
    longitude: Decimal | None = Field(None, ge=-180, le=180, max_digits=9, decimal_places=6)
    status: Facility.Status = None
    installed_on: date | None = None
    last_inspected_on: date | None = None
    next_inspection_on: date | None = None


AreaPage = page_of(AreaOut)
HousePage = page_of(HouseOut)
PersonPage = page_of(PersonOut)
ResidencePage = page_of(ResidenceOut)
OrganizationPage = page_of(OrganizationOut)
MemberPage = page_of(MemberOut)
VehiclePage = page_of(VehicleOut)
FacilityPage = page_of(FacilityOut)
