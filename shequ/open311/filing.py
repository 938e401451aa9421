"""Writing a batch of Open311 requests as cases: the write step of the group commit.

Each request goes through the intake service's ``case_prepare`` as its key's
user: the same rights check, validation, protected phone and deadline as every
other channel. The batch then takes the intake's bulk path (its docstring):
numbers reserved together, cases, "created" steps and request rows inserted
together, one audit record per key user per batch naming the case numbers, one
commit. Lookups are made once per batch: categories with their attributes,
areas, each area's complex, each user's grants, the deadline policies and the
calendar.

One request's bad input or missing rights is that request's answer only. If the
batch's transaction fails anyway, each request is written alone, so one cannot
sink the others.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.models import User
from shequ.accounts.roles import Capability
from shequ.cases.models import Case, CaseEvent, Category, Channel, RequestType, Urgency
from shequ.cases.services.intake import IntakeContext, case_created_event, case_prepare
from shequ.cases.services.numbers import case_numbers_reserve
from shequ.core import pii
from shequ.exchange.models import ApiKey
from shequ.exchange.services import apikeys_authenticate
from shequ.open311.attributes import AttributeSpec, answers_summary, attributes_clean, attributes_for
from shequ.open311.groupcommit import Item
from shequ.open311.models import ServiceRequest
from shequ.open311.submission import Submission, add_error, as_validation_error, mask_email, submission_errors
from shequ.registry.models import Area
from shequ.registry.models.area import LEVEL_DEPTH, AreaLevel

logger = logging.getLogger(__name__)

#: how a case_prepare error field is called in the request the client sent
CASE_FIELD_TO_OPEN311 = {
    "area": "address_id",
    "latitude": "lat",
    "longitude": "long",
    "reporter_phone": "phone",
    "reporter_name": "last_name",
    "location_text": "address_string",
    "title": "attribute[title]",
    "request_type": "attribute[request_type]",
    "urgency": "attribute[urgency]",
    "category": "service_code",
    "description": "description",
    "received_at": "received_at",
}


class ApiKeyRefused(PermissionDenied):
    """The request's api_key is missing, unknown, revoked or wrong."""


@dataclass(frozen=True)
class Filing:
    """One request waiting to be written. Its key is checked with the batch's
    (one query for all): the key's user is the request's actor."""

    raw_key: str
    ip: str
    submission: Submission
    received_at: datetime


@dataclass
class _Ready:
    item: Item[Filing]
    actor: Actor
    api_key: ApiKey
    case: Case
    answers: dict


@dataclass
class _Batch:
    """What the batch looked up once for all its requests."""

    keys: dict[str, ApiKey]
    categories: dict[str, Category]
    areas: dict[str, Area]
    context: IntakeContext
    users: dict[int, User]
    specs: dict[int, list[AttributeSpec]]

    @classmethod
    def load(cls, filings: Sequence[Filing]) -> _Batch:
        keys = apikeys_authenticate(filing.raw_key for filing in filings)
        codes = {filing.submission.service_code for filing in filings if filing.submission.service_code}
        categories = Category.objects.filter(code__in=codes, is_active=True).prefetch_related("open311_attributes")
        address_ids = {filing.submission.address_id for filing in filings if filing.submission.address_id}
        areas = {area.code: area for area in Area.objects.filter(code__in=address_ids)} if address_ids else {}
        years = [filing.received_at.year for filing in filings]
        context = IntakeContext.load(min(years), max(years))
        _complexes_into(context, areas.values())
        return cls(keys, {category.code: category for category in categories}, areas, context, {}, {})

    def specs_for(self, category: Category) -> list[AttributeSpec]:
        if category.pk not in self.specs:
            self.specs[category.pk] = attributes_for(category)
        return self.specs[category.pk]

    def actor_for(self, key: ApiKey, ip: str) -> Actor:
        """The key's user; the same User object for every request of one user, so
        their grants load once per batch."""
        return Actor(user=self.users.setdefault(key.user_id, key.user), ip=ip, via="open311")


def _complexes_into(context: IntakeContext, areas) -> None:
    """Tell the intake context each area's complex, found in one query (else one per area)."""
    complex_depth = LEVEL_DEPTH[AreaLevel.COMPLEX]
    below = [area for area in areas if LEVEL_DEPTH[AreaLevel(area.level)] > complex_depth]
    wanted = {pk for area in below for pk in area.ancestor_ids}
    complexes = {area.pk: area for area in Area.objects.filter(pk__in=wanted, level=AreaLevel.COMPLEX)} if below else {}
    for area in areas:
        if area.level == AreaLevel.COMPLEX:
            context.complexes[area.pk] = area
        found = next((complexes[pk] for pk in area.ancestor_ids if pk in complexes), None)
        if found is not None:
            context.complexes[area.pk] = found


def area_by_address_string(user: User, text: str) -> Area | None:
    """The one complex (among those the key may file cases in) whose name the
    address names; None when none or several do. A name inside a longer matching
    name ("长庆坊" in "长庆坊二期") yields to the longer one."""
    complexes = Area.objects.visible_to(user, Capability.CASES_HANDLE).active().filter(level=AreaLevel.COMPLEX)
    found = [area for area in complexes.only("pk", "name", "path", "level", "retired_on") if area.name in text]
    found = [area for area in found if not any(area.name != other.name and area.name in other.name for other in found)]
    return found[0] if len(found) == 1 else None


def _place(submission: Submission, batch: _Batch, user: User, errors: dict[str, list[str]]) -> Area | None:
    """The area node a request belongs to: ``address_id`` is the code of a
    complex, building, unit or house; else a complex named in ``address_string``.
    Coordinates alone cannot place a case (the area tree has no geometry)."""
    if submission.address_id:
        area = batch.areas.get(submission.address_id)
        if area is None:
            add_error(errors, "address_id", _("没有编码为“%(code)s”的区域。") % {"code": submission.address_id})
        return area
    if submission.address_string:
        area = area_by_address_string(user, submission.address_string)
        if area is None:
            add_error(errors, "address_string", _(
                "无法从地址确定所在小区：请用 address_id 给出小区、楼栋、单元或房屋的编码。"))
        return area
    if submission.lat or submission.long:
        add_error(errors, "address_id", _(
            "仅凭经纬度无法确定所在小区：请同时给出 address_id（小区、楼栋、单元或房屋的编码）。"))
    else:
        add_error(errors, "address_id", _("须给出 lat/long、address_string 或 address_id 之一，"
                                          "且须能确定所在小区（建议用 address_id）。"))
    return None


def _renamed(exc: ValidationError) -> ValidationError:
    """case_prepare's field errors under the names the client sent."""
    if not hasattr(exc, "error_dict"):
        return exc
    errors: dict[str, list[str]] = {}
    for name, field_errors in exc.error_dict.items():
        for error in field_errors:
            for message in error.messages:
                add_error(errors, CASE_FIELD_TO_OPEN311.get(name, name), message)
    return as_validation_error(errors)


def _title_from(description: str) -> str:
    first_line = description.strip().splitlines()[0] if description.strip() else ""
    return first_line[:30] + ("…" if len(first_line) > 30 else "")


def _prepare(item: Item[Filing], batch: _Batch) -> _Ready | ValidationError:
    """The request as an unsaved, checked case, or every problem with it at once."""
    filing = item.payload
    key = batch.keys.get(filing.raw_key)
    if key is None:
        raise ApiKeyRefused(_("api_key 缺失或无效。"))
    submission = filing.submission
    errors = submission_errors(submission)
    actor = batch.actor_for(key, filing.ip)
    category = batch.categories.get(submission.service_code)
    answers: dict = {}
    specs = []
    if category is None and submission.service_code:
        add_error(errors, "service_code", _("没有代码为“%(code)s”的服务。") % {"code": submission.service_code})
    elif category is not None:
        specs = batch.specs_for(category)
        answers, attribute_errors = attributes_clean(specs, submission.attributes)
        for name, messages in attribute_errors.items():
            errors.setdefault(name, []).extend(messages)
    area = _place(submission, batch, actor.user, errors)
    if errors:
        return as_validation_error(errors)
    description = submission.description
    summary = answers_summary(specs, answers)
    if summary:
        description = f"{description}\n\n{summary}"
    try:
        case = case_prepare(
            actor=actor, channel=Channel.OPEN311, category=category, area=area,
            title=answers.get("title") or _title_from(submission.description), description=description,
            request_type=answers.get("request_type", RequestType.COMPLAINT),
            urgency=answers.get("urgency", Urgency.NORMAL), reporter_name=submission.reporter_name,
            reporter_phone=submission.phone, location_text=submission.address_string,
            latitude=submission.lat or None, longitude=submission.long or None,
            received_at=filing.received_at, context=batch.context,
        )
    except ValidationError as exc:
        return _renamed(exc)
    return _Ready(item, actor, key, case, answers)


def _request_row(ready: _Ready) -> ServiceRequest:
    submission = ready.item.payload.submission
    return ServiceRequest(
        case=ready.case, api_key=ready.api_key, token=secrets.token_hex(16), media_url=submission.media_url,
        attributes=ready.answers, account_id=submission.account_id, device_id=submission.device_id,
        email_cipher=pii.encrypt(submission.email) if submission.email else "",
        email_masked=mask_email(submission.email) if submission.email else "",
    )


def _common_path(paths: list[str]) -> str:
    """The deepest area path containing all of ``paths``."""
    first, last = min(paths), max(paths)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size].rsplit("/", 1)[0] + "/" if size else ""


def _audit(ready: list[_Ready]) -> None:
    """One record per key user: the cases the batch filed for them."""
    by_user: dict[int, list[_Ready]] = {}
    for entry in ready:
        by_user.setdefault(entry.actor.user.pk, []).append(entry)
    for entries in by_user.values():
        cases = [entry.case for entry in entries]
        detail = {
            "channel": Channel.OPEN311, "count": len(cases), "numbers": [case.number for case in cases],
            "api_keys": sorted({entry.api_key.prefix for entry in entries}),
        }
        if len(cases) == 1:
            audit_append(actor=entries[0].actor, action="case.created", obj=cases[0], detail=detail)
        else:
            audit_append(actor=entries[0].actor, action="case.created", object_type=Case._meta.label_lower,
                         area_path=_common_path([case.area.path for case in cases]), detail=detail)


def _save(ready: list[_Ready]) -> None:
    with transaction.atomic():
        for entry, number in zip(ready, case_numbers_reserve(len(ready))):
            entry.case.number = number
        Case.objects.bulk_create([entry.case for entry in ready])
        CaseEvent.objects.bulk_create([case_created_event(entry.case, entry.actor) for entry in ready])
        rows = ServiceRequest.objects.bulk_create([_request_row(entry) for entry in ready])
        _audit(ready)
    for entry, row in zip(ready, rows):
        entry.item.result = row


def filings_write(items: Sequence[Item[Filing]]) -> None:
    """Write a batch; each item gets its ServiceRequest, or its ValidationError or
    PermissionDenied (ApiKeyRefused for a bad key)."""
    batch = _Batch.load([item.payload for item in items])
    ready: list[_Ready] = []
    for item in items:
        try:
            outcome = _prepare(item, batch)
        except PermissionDenied as exc:
            item.error = exc
            continue
        if isinstance(outcome, ValidationError):
            item.error = outcome
            continue
        ready.append(outcome)
    if not ready:
        return
    try:
        _save(ready)
    except Exception:
        if len(ready) == 1:
            raise
        # something no check foresaw (a constraint, a lost connection): write each alone
        logger.exception("writing %d Open311 requests together failed; writing them one by one", len(ready))
        for entry in ready:
            entry.case.pk = None
            try:
                _save([entry])
            except Exception as exc:  # noqa: BLE001 - this request's own answer, re-raised in its thread
                entry.item.error = exc
