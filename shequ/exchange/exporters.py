"""Export registry lists to .xlsx: the rows the user sees, with the list's filters.

Rows come from the registry selectors, which start from ``visible_to(user)``, and
the filters are read by the list pages' own filter forms, so an export holds
exactly what the list shows. Personal numbers are masked unless the user asks for
clear values and may reveal them in the area of every exported row. Every export
writes one audit record; a clear one says so.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.models import User
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.core import pii
from shequ.registry import forms as registry_forms
from shequ.registry import selectors
from shequ.registry.codes import ethnicity_name, political_status_name
from shequ.registry.models import Facility, House, Organization, Person, Vehicle

CHUNK = 2000


@dataclass(frozen=True)
class ExportKind:
    kind: str
    label: object
    model: type
    form: type  # the list page's filter form
    select: Callable[[User, Any], QuerySet]  # (user, bound form) -> queryset
    headers: Callable[[], list[str]]
    rows: Callable[[list, dict[int, str], bool], Iterable[list[Any]]]  # (objects, addresses, clear)
    personal: bool = False  # holds ID or phone numbers


def _choice(choices, value: str) -> str:
    return str(dict(choices).get(value, value)) if value else ""


# --- people

def _select_people(user: User, form) -> QuerySet:
    return selectors.person_list(user=user, area=form.value("area", None), query=form.value("q"),
                                 care_tag=form.value("care_tag"), population_type=form.value("population_type"),
                                 id_type=form.value("id_type"))


def _people_headers() -> list[str]:
    # the import template's headers where they mean the same, so a file can go back in
    return ["姓名", "性别", "出生日期", "证件类型", "证件号码", "手机号码", "民族", "政治面貌", "关爱标签", "地址",
            "区域编码", "备注"]


def _people_rows(people: list[Person], addresses: dict[int, str], clear: bool) -> Iterator[list[Any]]:
    for person in people:
        if clear:
            id_number = pii.decrypt(person.id_number_cipher)
            phone = pii.decrypt(person.phone_cipher) if person.phone_cipher else ""
        else:
            id_number, phone = person.id_number_masked, person.phone_masked
        yield [
            person.name, _choice(Person.Gender.choices, person.gender), person.birth_date,
            _choice(Person.IdType.choices, person.id_type), id_number, phone,
            ethnicity_name(person.ethnicity) or "", political_status_name(person.political_status) or "",
            "、".join(tag.name for tag in person.care_tags.all()), addresses.get(person.area_id, ""),
            person.area.code, person.note,
        ]


# --- houses

def _select_houses(user: User, form) -> QuerySet:
    return selectors.house_list(user=user, area=form.value("area", None), query=form.value("q"),
                                status=form.value("status"), use=form.value("use"))


def _house_headers() -> list[str]:
    return ["房屋编码", "地址", "房号", "楼层", "建筑面积", "用途", "状态", "产权性质", "现住人数"]


def _house_rows(houses: list[House], addresses: dict[int, str], clear: bool) -> Iterator[list[Any]]:
    for house in houses:
        yield [house.area.code, addresses.get(house.area_id, ""), house.number, house.floor, house.floor_area,
               _choice(House.Use.choices, house.use), _choice(House.Status.choices, house.status),
               _choice(House.Ownership.choices, house.ownership), getattr(house, "resident_count", None)]


# --- organizations

def _select_organizations(user: User, form) -> QuerySet:
    return selectors.organization_list(user=user, area=form.value("area", None), query=form.value("q"),
                                       kind=form.value("kind"))


def _organization_headers() -> list[str]:
    return ["名称", "类别", "统一社会信用代码", "区域编码", "所属区域", "地址", "法定代表人"]


def _organization_rows(organizations: list[Organization], addresses: dict[int, str], clear: bool):
    for organization in organizations:
        yield [organization.name, _choice(Organization.Kind.choices, organization.kind), organization.uscc or "",
               organization.area.code, addresses.get(organization.area_id, ""), organization.address,
               organization.legal_representative]


# --- vehicles

def _select_vehicles(user: User, form) -> QuerySet:
    return selectors.vehicle_list(user=user, area=form.value("area", None), query=form.value("q"),
                                  plate_kind=form.value("plate_kind"))


def _vehicle_headers() -> list[str]:
    return ["车牌号", "号牌种类", "车主", "房屋编码", "车位", "区域编码", "所属区域", "品牌型号", "颜色"]


def _vehicle_rows(vehicles: list[Vehicle], addresses: dict[int, str], clear: bool):
    for vehicle in vehicles:
        yield [vehicle.plate, _choice(Vehicle.PlateKind.choices, vehicle.plate_kind),
               vehicle.owner.name if vehicle.owner else "", vehicle.house.area.code if vehicle.house else "",
               vehicle.parking_space, vehicle.area.code, addresses.get(vehicle.area_id, ""), vehicle.brand,
               vehicle.color]


# --- facilities

def _select_facilities(user: User, form) -> QuerySet:
    return selectors.facility_list(user=user, area=form.value("area", None), query=form.value("q"),
                                   kind=form.value("kind"), status=form.value("status"),
                                   due=bool(form.value("due", False)))


def _facility_headers() -> list[str]:
    return ["名称", "类别", "编号", "区域编码", "所属区域", "位置描述", "纬度", "经度", "状态", "安装日期",
            "上次检查", "下次检查"]


def _facility_rows(facilities: list[Facility], addresses: dict[int, str], clear: bool):
    for facility in facilities:
        yield [facility.name, _choice(Facility.Kind.choices, facility.kind), facility.serial, facility.area.code,
               addresses.get(facility.area_id, ""), facility.location, facility.latitude, facility.longitude,
               _choice(Facility.Status.choices, facility.status), facility.installed_on,
               facility.last_inspected_on, facility.next_inspection_on]


EXPORTS: dict[str, ExportKind] = {
    export.kind: export
    for export in (
        ExportKind("people", gettext_lazy("人员"), Person, registry_forms.PersonFilterForm, _select_people,
                   _people_headers, _people_rows, personal=True),
        ExportKind("houses", gettext_lazy("房屋"), House, registry_forms.HouseFilterForm, _select_houses,
                   _house_headers, _house_rows),
        ExportKind("organizations", gettext_lazy("组织"), Organization, registry_forms.OrganizationFilterForm,
                   _select_organizations, _organization_headers, _organization_rows),
        ExportKind("vehicles", gettext_lazy("车辆"), Vehicle, registry_forms.VehicleFilterForm, _select_vehicles,
                   _vehicle_headers, _vehicle_rows),
        ExportKind("facilities", gettext_lazy("设施"), Facility, registry_forms.FacilityFilterForm,
                   _select_facilities, _facility_headers, _facility_rows),
    )
}


@dataclass
class ExportResult:
    file: IO[bytes]  # a temporary file, removed when closed
    filename: str
    rows: int
    clear: bool


def _batches(queryset: QuerySet) -> Iterator[list]:
    rows = queryset.iterator(chunk_size=CHUNK)
    while batch := list(islice(rows, CHUNK)):
        yield batch


def export_queryset(*, user: User, kind: str, params) -> QuerySet:
    """The rows an export of ``kind`` holds for ``user`` with the list filters in ``params``."""
    export = EXPORTS[kind]
    return export.select(user, export.form(params, user=user))


def export_create(*, actor: Actor, kind: str, params, clear: bool = False) -> ExportResult:
    """Write the export file and its audit record; PermissionDenied if the user may
    not export, or asks for clear values without the right to reveal every row."""
    user = actor.user
    export = EXPORTS[kind]
    if user is None or not user_can(user, Capability.EXPORT):
        raise PermissionDenied(_("您没有导出权限。"))
    queryset = export_queryset(user=user, kind=kind, params=params)
    clear = clear and export.personal
    if clear:
        hidden = queryset.exclude(pk__in=export.model.objects.visible_to(user, Capability.REVEAL).values("pk"))
        if hidden.exists():
            raise PermissionDenied(_("部分记录所在区域您无权查看明文，不能导出明文。"))
    file = tempfile.TemporaryFile()
    workbook = Workbook(write_only=True)  # streams rows to disk: constant memory for any size
    sheet = workbook.create_sheet(str(export.label))
    sheet.append(export.headers())
    count = 0
    for batch in _batches(queryset):
        addresses = selectors.address_labels(_area_of(row) for row in batch)
        for values in export.rows(batch, addresses, clear):
            sheet.append(values)
        count += len(batch)
    workbook.save(file)
    file.seek(0)
    filters = {key: value for key, value in params.items() if key not in ("csrfmiddlewaretoken", "clear", "page")}
    area = export.form(params, user=user).value("area", None)
    audit_append(actor=actor, action=f"export.{kind}", object_type=export.model._meta.label_lower,
                 area_path=area.path if area else "", detail={"rows": count, "clear": clear, "filters": filters})
    return ExportResult(file, f"{kind}.xlsx", count, clear)


def _area_of(row) -> Any:
    return row.area
