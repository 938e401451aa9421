"""Organization services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from shequ.accounts.audit import Actor
from shequ.registry.models import Area, Organization, OrganizationMember, Person
from shequ.registry.services.common import apply, audited_save, require_change, require_change_and_move, snapshot
from shequ.registry.services.people import _access_changed
from shequ.registry.validators import validate_uscc

ORGANIZATION_FIELDS = {"name", "kind", "uscc", "area", "address", "legal_representative"}


def _normalise_uscc(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return validate_uscc(value)
    except ValidationError as exc:
        raise ValidationError({"uscc": exc.error_list}) from exc


@transaction.atomic
def organization_create(*, actor: Actor, area: Area, name: str, kind: str, uscc: str | None = None,
                        address: str = "", legal_representative: str = "") -> Organization:
    require_change(actor, area)
    organization = Organization(area=area, name=name.strip(), kind=kind, uscc=_normalise_uscc(uscc),
                                address=address, legal_representative=legal_representative)
    return audited_save(actor, organization, None)


@transaction.atomic
def organization_update(*, actor: Actor, organization: Organization, **changes) -> Organization:
    require_change_and_move(actor, organization.area, changes)
    if "uscc" in changes:
        changes["uscc"] = _normalise_uscc(changes["uscc"])
    before = snapshot(organization)
    apply(organization, changes, ORGANIZATION_FIELDS)
    return audited_save(actor, organization, before)


@transaction.atomic
def organization_member_add(*, actor: Actor, organization: Organization, person: Person, role: str = "",
                            is_contact: bool = False, start_date=None) -> OrganizationMember:
    require_change(actor, organization.area)
    member = OrganizationMember(organization=organization, person=person, role=role, is_contact=is_contact,
                                start_date=start_date)
    member = audited_save(actor, member, None)
    # property-company staff open doors by access rule: their doors follow the membership
    _access_changed(member.person)
    return member


@transaction.atomic
def organization_member_end(*, actor: Actor, member: OrganizationMember, end_date) -> OrganizationMember:
    require_change(actor, member.organization.area)
    before = snapshot(member)
    member.end_date = end_date
    member = audited_save(actor, member, before)
    # property-company staff open doors by access rule: their doors follow the membership
    _access_changed(member.person)
    return member
