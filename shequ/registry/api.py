"""Registry API: one router per resource, mounted by ``shequ.api``.

Every read goes through ``Model.objects.visible_to(request.user)``: a row outside
the caller's areas answers 404 exactly like a missing one. Every write calls the
registry service the web uses, with ``Actor.from_request(request, via="api")``;
the service checks the change right (403) and validates (422). Lists are keyset
pages (``shequ.core.keyset``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status

from shequ.accounts.audit import Actor
from shequ.core.api_errors import FieldErrors, rename_fields
from shequ.core.keyset import keyset_page
from shequ.core.scoping import subtree_q
from shequ.registry import services
from shequ.registry.models import (
    Area, Facility, House, Organization, OrganizationMember, Person, Residence, Vehicle,
)
from shequ.registry.schemas import (
    AreaFilters, AreaOut, AreaPage, FacilityFilters, FacilityIn, FacilityOut, FacilityPage, FacilityPatch,
    HouseFilters, HouseIn, HouseOut, HousePage, HousePatch, MemberFilters, MemberIn, MemberOut, MemberPage,
    MemberPatch, OrganizationFilters, OrganizationIn, OrganizationOut, OrganizationPage, OrganizationPatch,
    PersonFilters, PersonIn, PersonOut, PersonPage, PersonPatch, ResidenceFilters, ResidenceIn, ResidenceOut,
    ResidencePage, ResidencePatch, RevealIn, RevealOut, VehicleFilters, VehicleIn, VehicleOut, VehiclePage,
    VehiclePatch,
)

# service argument -> API field, so a service error lands on the field the client sent
API_FIELD_NAMES = {
    "area": "area_id", "unit": "unit_id", "house": "house_id", "person": "person_id",
    "owner": "owner_id", "organization": "organization_id", "parent": "parent_id",
}


# -- helpers shared by the routes ---------------------------------------------------------


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, via="api")


@contextmanager
def api_fields(prefix: str = "") -> Iterator[None]:
    """Re-key a service's ValidationError to API field names (under ``prefix``)."""
    try:
        yield
    except ValidationError as exc:
        raise rename_fields(exc, API_FIELD_NAMES, prefix) from exc


def _visible(model: type[models.Model], request: HttpRequest) -> models.QuerySet:
    return model.objects.visible_to(request.user)


def _get_visible(queryset: models.QuerySet, pk: int) -> models.Model:
    """The row, or 404 whether it does not exist or lies outside the caller's areas."""
    return get_object_or_404(queryset, pk=pk)


def _refer(model: type[models.Model], request: HttpRequest, pk: int | None, field: str) -> Any:
    """Resolve a ``<name>_id`` of a request body among the rows the caller sees."""
    if pk is None:
        return None
    row = _visible(model, request).filter(pk=pk).first()
    if row is None:
        raise FieldErrors([{"field": field, "code": "does_not_exist", "message": str(_("所选记录不存在。"))}])
    return row


def _within(queryset: models.QuerySet, request: HttpRequest, area_id: int | None) -> models.QuerySet:
    """Narrow an already scoped queryset to an area's subtree (a filter the client
    chose, on top of the scope; an area the caller cannot see gives no rows)."""
    if area_id is None:
        return queryset
    area = _visible(Area, request).filter(pk=area_id).only("path").first()
    if area is None:
        return queryset.none()
    return queryset.filter(subtree_q(queryset.area_path_lookup, area.path))


def _page(queryset: models.QuerySet, filters: Any, keys: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    with api_fields():
        return keyset_page(queryset, limit=filters.limit, after=filters.after, keys=keys)


def _exact(queryset: models.QuerySet, filters: Any, *names: str) -> models.QuerySet:
    """Equality filters for the query parameters the client set."""
    given = {name: getattr(filters, name) for name in names if getattr(filters, name) is not None}
    return queryset.filter(**given) if given else queryset


def _changes(payload: Any, request: HttpRequest, refs: dict[str, type[models.Model]]) -> dict[str, Any]:
    """The fields a PATCH set, with ``<name>_id`` resolved to visible rows."""
    changes = payload.dict(exclude_unset=True)
    for field, model in refs.items():
        if field in changes:
            changes[field.removesuffix("_id")] = _refer(model, request, changes.pop(field), field)
    return changes


# -- areas --------------------------------------------------------------------------------

areas = Router(tags=["areas"])


@areas.get("", response=AreaPage, url_name="area_list")
def area_list(request: HttpRequest, filters: Query[AreaFilters]):
    """Areas the caller sees, in tree order; ``parent_id`` lists children, ``area_id`` a subtree."""
    qs = _within(_visible(Area, request), request, filters.area_id)
    qs = _exact(qs, filters, "parent_id", "level")
    if filters.q:
        qs = qs.filter(models.Q(name__startswith=filters.q) | models.Q(code__startswith=filters.q))
    return _page(qs, filters, keys=("path", "id"))


@areas.get("/{int:area_id}", response=AreaOut, url_name="area_detail")
def area_detail(request: HttpRequest, area_id: int):
    return _get_visible(_visible(Area, request), area_id)


# -- houses -------------------------------------------------------------------------------

houses = Router(tags=["houses"])


def _houses(request: HttpRequest) -> models.QuerySet:
    return _visible(House, request).select_related("area")


@houses.get("", response=HousePage, url_name="house_list")
def house_list(request: HttpRequest, filters: Query[HouseFilters]):
    qs = _exact(_within(_houses(request), request, filters.area_id), filters, "use", "status", "ownership")
    if filters.q:
        qs = qs.filter(number__startswith=filters.q)
    return _page(qs, filters)


@houses.get("/{int:house_id}", response=HouseOut, url_name="house_detail")
def house_detail(request: HttpRequest, house_id: int):
    return _get_visible(_houses(request), house_id)


@houses.post("", response={201: HouseOut}, url_name="house_create")
def house_create(request: HttpRequest, payload: HouseIn):
    """Create a house, optionally with the people living in it: all or nothing."""
    data = payload.dict(exclude={"residents", "unit_id"})
    unit = _refer(Area, request, payload.unit_id, "unit_id")
    actor = _actor(request)
    with transaction.atomic():
        with api_fields():
            house = services.house_create(actor=actor, unit=unit, **data)
        _add_residents(actor, house, payload.residents)
    return Status(201, _houses(request).get(pk=house.pk))


def _add_residents(actor: Actor, house: House, residents: list) -> None:
    """Register and move in each resident; collect every bad one before failing,
    so the client fixes all of them in one round trip."""
    errors: list[dict[str, Any]] = []
    for index, resident in enumerate(residents):
        data = resident.dict()
        moving = {key: data.pop(key) for key in ("relation", "population_type", "start_date")}
        try:
            with transaction.atomic():  # a savepoint: a failed resident leaves no trace
                person = services.person_create(actor=actor, area=house.area, **data)
                services.residence_start(actor=actor, person=person, house=house, **moving)
        except ValidationError as exc:
            errors.extend(rename_fields(exc, API_FIELD_NAMES, prefix=f"residents.{index}").errors)
    if errors:
        raise FieldErrors(errors)  # the caller's transaction rolls the house back too


@houses.patch("/{int:house_id}", response=HouseOut, url_name="house_update")
def house_update(request: HttpRequest, house_id: int, payload: HousePatch):
    house = _get_visible(_houses(request), house_id)
    with api_fields():
        services.house_update(actor=_actor(request), house=house, **_changes(payload, request, {}))
    return _houses(request).get(pk=house.pk)


# -- people -------------------------------------------------------------------------------

people = Router(tags=["people"])


def _people(request: HttpRequest) -> models.QuerySet:
    return _visible(Person, request).prefetch_related("care_tags")


def _search_people(queryset: models.QuerySet, q: str) -> models.QuerySet:
    """One box for the ways staff look people up: full ID, full mobile, the last
    four ID characters, or the start of the name. Exact numbers go through the
    keyed digests: the clear values are never stored, let alone searched."""
    q = q.strip()
    compact = q.replace(" ", "").upper()
    if len(compact) in (15, 18) and compact[:-1].isdigit():
        return services.people_find_by_id_number(queryset, compact)
    if len(compact) == 11 and compact.isdigit() and compact.startswith("1"):
        return services.people_find_by_phone(queryset, compact)
    if len(compact) == 4 and compact[:3].isdigit() and (compact[3].isdigit() or compact[3] == "X"):
        return queryset.filter(id_tail=compact)
    return queryset.filter(name__startswith=q)


@people.get("", response=PersonPage, url_name="person_list")
def person_list(request: HttpRequest, filters: Query[PersonFilters]):
    """People the caller sees, ID and phone masked; ``sort=name`` pages by name."""
    qs = _exact(_within(_people(request), request, filters.area_id), filters, "id_type", "gender")
    if filters.care_tag:
        qs = qs.filter(care_tags__code=filters.care_tag)
    if filters.q:
        qs = _search_people(qs, filters.q)
    return _page(qs, filters, keys=("name", "id") if filters.sort == "name" else ("id",))


@people.get("/{int:person_id}", response=PersonOut, url_name="person_detail")
def person_detail(request: HttpRequest, person_id: int):
    return _get_visible(_people(request), person_id)


@people.post("", response={201: PersonOut}, url_name="person_create")
def person_create(request: HttpRequest, payload: PersonIn):
    data = payload.dict(exclude={"area_id"})
    area = _refer(Area, request, payload.area_id, "area_id")
    with api_fields():
        person = services.person_create(actor=_actor(request), area=area, **data)
    return Status(201, _people(request).get(pk=person.pk))


@people.patch("/{int:person_id}", response=PersonOut, url_name="person_update")
def person_update(request: HttpRequest, person_id: int, payload: PersonPatch):
    person = _get_visible(_people(request), person_id)
    with api_fields():
        services.person_update(actor=_actor(request), person=person, **_changes(payload, request, {"area_id": Area}))
    return _people(request).get(pk=person.pk)


@people.post("/{int:person_id}/reveal", response=RevealOut, url_name="person_reveal")
def person_reveal(request: HttpRequest, person_id: int, payload: RevealIn, response: HttpResponse):
    """The clear ID or phone number of one person: needs the reveal right there,
    and is written to the audit log with the reason given."""
    person = _get_visible(_visible(Person, request), person_id)
    with api_fields():
        value = services.person_reveal(actor=_actor(request), person=person, field=payload.field, reason=payload.reason)
    response["Cache-Control"] = "no-store"  # a clear personal value must not sit in a cache
    return {"field": payload.field, "value": value}


# -- residences ---------------------------------------------------------------------------

residences = Router(tags=["residences"])


def _residences(request: HttpRequest) -> models.QuerySet:
    return _visible(Residence, request).select_related("person")


@residences.get("", response=ResidencePage, url_name="residence_list")
def residence_list(request: HttpRequest, filters: Query[ResidenceFilters]):
    qs = _within(_residences(request), request, filters.area_id)
    qs = _exact(qs, filters, "person_id", "house_id", "relation", "population_type")
    if filters.current is True:
        qs = qs.current()
    elif filters.current is False:
        today = timezone.localdate()
        qs = qs.filter(models.Q(end_date__lte=today) | models.Q(start_date__gt=today))
    return _page(qs, filters)


@residences.get("/{int:residence_id}", response=ResidenceOut, url_name="residence_detail")
def residence_detail(request: HttpRequest, residence_id: int):
    return _get_visible(_residences(request), residence_id)


@residences.post("", response={201: ResidenceOut}, url_name="residence_create")
def residence_create(request: HttpRequest, payload: ResidenceIn):
    """Move a person into a house (residence_start)."""
    data = payload.dict(exclude={"person_id", "house_id"})
    person = _refer(Person, request, payload.person_id, "person_id")
    house = _refer(House, request, payload.house_id, "house_id")
    with api_fields():
        residence = services.residence_start(actor=_actor(request), person=person, house=house, **data)
    return Status(201, _residences(request).get(pk=residence.pk))


@residences.patch("/{int:residence_id}", response=ResidenceOut, url_name="residence_update")
def residence_update(request: HttpRequest, residence_id: int, payload: ResidencePatch):
    """Move out (residence_end): the row keeps the history."""
    residence = _get_visible(_visible(Residence, request).select_related("house__area", "person"), residence_id)
    with api_fields():
        services.residence_end(actor=_actor(request), residence=residence, end_date=payload.end_date)
    return _residences(request).get(pk=residence.pk)


# -- organizations and their members ------------------------------------------------------

organizations = Router(tags=["organizations"])


@organizations.get("", response=OrganizationPage, url_name="organization_list")
def organization_list(request: HttpRequest, filters: Query[OrganizationFilters]):
    qs = _exact(_within(_visible(Organization, request), request, filters.area_id), filters, "kind")
    if filters.uscc:
        qs = qs.filter(uscc=filters.uscc.strip().upper())
    if filters.q:
        qs = qs.filter(name__startswith=filters.q)
    return _page(qs, filters)


@organizations.get("/{int:organization_id}", response=OrganizationOut, url_name="organization_detail")
def organization_detail(request: HttpRequest, organization_id: int):
    return _get_visible(_visible(Organization, request), organization_id)


@organizations.post("", response={201: OrganizationOut}, url_name="organization_create")
def organization_create(request: HttpRequest, payload: OrganizationIn):
    data = payload.dict(exclude={"area_id"})
    area = _refer(Area, request, payload.area_id, "area_id")
    with api_fields():
        organization = services.organization_create(actor=_actor(request), area=area, **data)
    return Status(201, organization)


@organizations.patch("/{int:organization_id}", response=OrganizationOut, url_name="organization_update")
def organization_update(request: HttpRequest, organization_id: int, payload: OrganizationPatch):
    organization = _get_visible(_visible(Organization, request), organization_id)
    changes = _changes(payload, request, {"area_id": Area})
    with api_fields():
        return services.organization_update(actor=_actor(request), organization=organization, **changes)


def _members(request: HttpRequest, organization_id: int) -> models.QuerySet:
    organization = _get_visible(_visible(Organization, request), organization_id)
    return _visible(OrganizationMember, request).filter(organization=organization).select_related("person")


@organizations.get("/{int:organization_id}/members", response=MemberPage, url_name="organization_member_list")
def organization_member_list(request: HttpRequest, organization_id: int, filters: Query[MemberFilters]):
    qs = _members(request, organization_id)
    if filters.current is True:
        qs = qs.filter(end_date__isnull=True)
    elif filters.current is False:
        qs = qs.filter(end_date__isnull=False)
    return _page(qs, filters)


@organizations.post("/{int:organization_id}/members", response={201: MemberOut}, url_name="organization_member_add")
def organization_member_add(request: HttpRequest, organization_id: int, payload: MemberIn):
    organization = _get_visible(_visible(Organization, request), organization_id)
    data = payload.dict(exclude={"person_id"})
    person = _refer(Person, request, payload.person_id, "person_id")
    with api_fields():
        member = services.organization_member_add(
            actor=_actor(request), organization=organization, person=person, **data
        )
    return Status(201, member)


@organizations.patch(
    "/{int:organization_id}/members/{int:member_id}", response=MemberOut, url_name="organization_member_update"
)
def organization_member_update(request: HttpRequest, organization_id: int, member_id: int, payload: MemberPatch):
    """End a membership (organization_member_end); the row stays as history."""
    member = _get_visible(_members(request, organization_id).select_related("organization__area"), member_id)
    with api_fields():
        return services.organization_member_end(actor=_actor(request), member=member, end_date=payload.end_date)


# -- vehicles -----------------------------------------------------------------------------

vehicles = Router(tags=["vehicles"])
_VEHICLE_REFS = {"area_id": Area, "owner_id": Person, "house_id": House}


@vehicles.get("", response=VehiclePage, url_name="vehicle_list")
def vehicle_list(request: HttpRequest, filters: Query[VehicleFilters]):
    qs = _within(_visible(Vehicle, request), request, filters.area_id)
    qs = _exact(qs, filters, "plate_kind", "owner_id", "house_id")
    if filters.q:
        qs = qs.filter(plate__startswith=filters.q.strip().upper())
    return _page(qs, filters)


@vehicles.get("/{int:vehicle_id}", response=VehicleOut, url_name="vehicle_detail")
def vehicle_detail(request: HttpRequest, vehicle_id: int):
    return _get_visible(_visible(Vehicle, request), vehicle_id)


@vehicles.post("", response={201: VehicleOut}, url_name="vehicle_create")
def vehicle_create(request: HttpRequest, payload: VehicleIn):
    refs = {field: _refer(model, request, getattr(payload, field), field) for field, model in _VEHICLE_REFS.items()}
    data = payload.dict(exclude=set(refs))
    with api_fields():
        vehicle = services.vehicle_create(
            actor=_actor(request), area=refs["area_id"], owner=refs["owner_id"], house=refs["house_id"], **data
        )
    return Status(201, vehicle)


@vehicles.patch("/{int:vehicle_id}", response=VehicleOut, url_name="vehicle_update")
def vehicle_update(request: HttpRequest, vehicle_id: int, payload: VehiclePatch):
    vehicle = _get_visible(_visible(Vehicle, request), vehicle_id)
    changes = _changes(payload, request, _VEHICLE_REFS)
    with api_fields():
        return services.vehicle_update(actor=_actor(request), vehicle=vehicle, **changes)


# -- facilities ---------------------------------------------------------------------------

facilities = Router(tags=["facilities"])


@facilities.get("", response=FacilityPage, url_name="facility_list")
def facility_list(request: HttpRequest, filters: Query[FacilityFilters]):
    qs = _exact(_within(_visible(Facility, request), request, filters.area_id), filters, "kind", "status")
    if filters.inspection_due:
        qs = qs.inspection_due()
    if filters.q:
        qs = qs.filter(name__startswith=filters.q)
    return _page(qs, filters)


@facilities.get("/{int:facility_id}", response=FacilityOut, url_name="facility_detail")
def facility_detail(request: HttpRequest, facility_id: int):
    return _get_visible(_visible(Facility, request), facility_id)


@facilities.post("", response={201: FacilityOut}, url_name="facility_create")
def facility_create(request: HttpRequest, payload: FacilityIn):
    data = payload.dict(exclude={"area_id"})
    area = _refer(Area, request, payload.area_id, "area_id")
    with api_fields():
        facility = services.facility_create(actor=_actor(request), area=area, **data)
    return Status(201, facility)


@facilities.patch("/{int:facility_id}", response=FacilityOut, url_name="facility_update")
def facility_update(request: HttpRequest, facility_id: int, payload: FacilityPatch):
    facility = _get_visible(_visible(Facility, request), facility_id)
    changes = _changes(payload, request, {"area_id": Area})
    with api_fields():
        return services.facility_update(actor=_actor(request), facility=facility, **changes)


#: (prefix, router) pairs mounted by shequ.api
ROUTERS = [
    ("/areas", areas),
    ("/houses", houses),
    ("/people", people),
    ("/residences", residences),
    ("/organizations", organizations),
    ("/vehicles", vehicles),
    ("/facilities", facilities),
]
