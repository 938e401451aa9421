"""People and residence services. ID and phone numbers enter here in clear, are
validated and normalised, and leave only as cipher, keyed digest and mask."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.core import pii
from shequ.registry.models import Area, CareTag, House, Person, Residence
from shequ.registry.services.areas import community_of
from shequ.registry.services.common import (
    apply, audited_save, field_error, require, require_change, require_change_and_move, snapshot,
)
from shequ.registry.validators import IdentityInfo, validate_id_document, validate_mobile

PERSON_FIELDS = {"name", "ethnicity", "political_status", "note", "area"}


def check_identity(id_type: str, id_number: str) -> IdentityInfo:
    """Validate an ID document; errors are keyed to the ``id_number`` field."""
    try:
        return validate_id_document(id_type, id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.error_list}) from exc


def check_phone(phone: str) -> str:
    try:
        return validate_mobile(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.error_list}) from exc


def set_identity(person: Person, info: IdentityInfo) -> None:
    """Store an already validated identity on ``person`` (encrypted, hashed, masked)."""
    protected = pii.protect_id_number(info.number)
    person.id_number_cipher = protected.cipher
    person.id_number_digest = protected.digest
    person.id_number_masked = protected.masked
    person.id_tail = info.number[-4:]
    if info.birth_date:
        person.birth_date = info.birth_date
    if info.gender:
        person.gender = info.gender


def set_phone(person: Person, phone: str) -> None:
    protected = pii.protect_phone(phone) if phone else pii.EMPTY
    person.phone_cipher, person.phone_digest, person.phone_masked = protected.cipher, protected.digest, protected.masked


def _refuse_duplicate_identity(person: Person) -> None:
    clash = Person.objects.filter(id_type=person.id_type, id_number_digest=person.id_number_digest)
    if person.pk:
        clash = clash.exclude(pk=person.pk)
    if clash.exists():
        raise field_error("id_number", _("该证件号码已登记。"), "id_duplicate")


@transaction.atomic
def person_create(
    *, actor: Actor, area: Area, name: str, id_type: str, id_number: str, phone: str = "",
    ethnicity: str = "", political_status: str = "", care_tags: list[str] | None = None, note: str = "",
) -> Person:
    """Register a person in ``area`` (a house, or the community for people without one)."""
    require_change(actor, area)
    errors: dict[str, list] = {}
    person = Person(name=(name or "").strip(), id_type=id_type, area=area, ethnicity=ethnicity,
                    political_status=political_status, note=note)
    try:
        set_identity(person, check_identity(id_type, id_number))
    except ValidationError as exc:
        errors.update(exc.error_dict)  # error_dict keeps each error's code for the API
    try:
        set_phone(person, check_phone(phone) if phone else "")
    except ValidationError as exc:
        errors.update(exc.error_dict)  # error_dict keeps each error's code for the API
    if errors:  # report every bad field at once, not one per round trip
        raise ValidationError(errors)
    _refuse_duplicate_identity(person)
    audited_save(actor, person, None)
    if care_tags:
        person.care_tags.set(_care_tags(care_tags))
    return person


def _care_tags(codes: list[str]) -> list[CareTag]:
    tags = list(CareTag.objects.filter(code__in=codes))
    unknown = set(codes) - {tag.code for tag in tags}
    if unknown:
        raise field_error("care_tags", _("未知的关爱标签：%(codes)s") % {"codes": "、".join(sorted(unknown))}, "care_tag_unknown")
    return tags


@transaction.atomic
def person_update(
    *, actor: Actor, person: Person, id_type: str | None = None, id_number: str | None = None,
    phone: str | None = None, care_tags: list[str] | None = None, **changes,
) -> Person:
    """Change a person; a new ID or phone is validated and re-protected."""
    require_change_and_move(actor, person.area, changes)
    before = snapshot(person)
    apply(person, changes, PERSON_FIELDS)
    if id_number is not None or id_type is not None:
        person.id_type = id_type or person.id_type
        number = id_number if id_number is not None else pii.decrypt(person.id_number_cipher)
        set_identity(person, check_identity(person.id_type, number))
        _refuse_duplicate_identity(person)
    if phone is not None:
        set_phone(person, check_phone(phone) if phone else "")
    audited_save(actor, person, before)
    if care_tags is not None:
        person.care_tags.set(_care_tags(care_tags))
    return person


REVEALABLE = {"id_number": "id_number_cipher", "phone": "phone_cipher"}


def person_reveal(*, actor: Actor, person: Person, field: str, reason: str = "") -> str:
    """Decrypt one personal value for display. Needs the reveal capability at the
    person's area and always writes an audit record, even for the same value twice."""
    if field not in REVEALABLE:
        raise field_error("field", _("不支持查看该字段。"), "reveal_field")
    require(actor, Capability.REVEAL, person.area)
    cipher = getattr(person, REVEALABLE[field])
    value = pii.decrypt(cipher) if cipher else ""
    audit_append(actor=actor, action="pii.revealed", obj=person, detail={"field": field, "reason": reason[:200]})
    return value


def people_find_by_id_number(queryset, id_number: str):
    """Exact lookup by full ID number through the keyed digest (any document type)."""
    return queryset.filter(id_number_digest=pii.digest("id", id_number.strip().upper()))


def people_find_by_phone(queryset, phone: str):
    try:
        normalised = validate_mobile(phone)
    except ValidationError:
        return queryset.none()
    return queryset.filter(phone_digest=pii.digest("phone", normalised))


@transaction.atomic
def residence_start(
    *, actor: Actor, person: Person, house: House, relation: str, population_type: str,
    start_date: date | None = None, lease_end: date | None = None,
) -> Residence:
    """Move ``person`` into ``house``; the person is then managed at that house."""
    require_change(actor, house.area)
    require_change(actor, person.area)
    residence = Residence(
        person=person, house=house, relation=relation, population_type=population_type,
        start_date=start_date or timezone.localdate(), lease_end=lease_end,
    )
    if relation == Residence.Relation.TENANT and lease_end and lease_end < residence.start_date:
        raise field_error("lease_end", _("租约到期日不能早于入住日期。"), "lease_end")
    if Residence.objects.filter(person=person, house=house, end_date__isnull=True).exists():
        raise field_error("house", _("此人已登记居住在该房屋。"), "residence_duplicate")
    audited_save(actor, residence, None)
    if person.area_id != house.area_id:
        before = snapshot(person)
        person.area = house.area
        audited_save(actor, person, before)
    _access_changed(person)
    _resident_accounts_follow(person, actor)
    return residence


@transaction.atomic
def residence_end(*, actor: Actor, residence: Residence, end_date: date | None = None) -> Residence:
    """Move out: the row keeps its history; the person falls back to another
    current house, or to the community of the house they left."""
    require_change(actor, residence.house.area)
    before = snapshot(residence)
    residence.end_date = end_date or timezone.localdate()
    if residence.end_date < residence.start_date:
        raise field_error("end_date", _("迁出日期不能早于入住日期。"), "residence_end_before_start")
    audited_save(actor, residence, before)
    person = residence.person
    other = Residence.objects.current().filter(person=person).exclude(pk=residence.pk).select_related("house").first()
    target = other.house.area if other else (community_of(residence.house.area) or residence.house.area)
    if person.area_id != target.pk:
        before_person = snapshot(person)
        person.area = target
        audited_save(actor, person, before_person)
    _access_changed(person)
    _resident_accounts_follow(person, actor)
    return residence


def _resident_accounts_follow(person: Person, actor: Actor) -> None:
    """A resident's account sees the houses they live in: its grants follow the move in the
    same transaction, so someone who moved out cannot read the old household a minute later."""
    from shequ.residents.services import person_resident_grants_sync

    person_resident_grants_sync(person=person, actor=actor)


def _access_changed(person: Person) -> None:
    """Recompile the person's doors in this transaction: someone who moves out
    loses access the same minute, someone who moves in gets it (shequ.access)."""
    from shequ.access.services import access_person_changed

    access_person_changed(person_ids=[person.pk])
