"""Intake: a complaint or problem from any channel becomes a case.

``case_create`` is the one entry for the web, the API and Open311. Bulk paths
(the hotline import) call ``case_prepare`` for each row and write the lot
themselves; see its docstring for how.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor
from shequ.accounts.roles import Capability
from shequ.accounts.scope import grant_paths, user_can
from shequ.cases.deadlines import Policy, WorkCalendar, deadline_for, policies
from shequ.cases.models import Case, CaseEvent, Category, Channel, Level, RequestType, Status, Urgency
from shequ.cases.services.common import event_for, field_error, record
from shequ.cases.services.numbers import case_numbers_reserve
from shequ.cases.services.photos import CheckedPhoto, photos_check, photos_save
from shequ.core import pii
from shequ.registry.models import Area, Person
from shequ.registry.models.area import LEVEL_DEPTH, AreaLevel
from shequ.registry.validators import validate_mobile

#: a received time a little ahead of our clock is a skewed clock, not the future
_CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class IntakeContext:
    """What ``case_prepare`` would otherwise look up once per case: the calendar,
    the deadline policies and each area's complex. Build one per batch."""

    calendar: WorkCalendar
    policies: dict[str, Policy]
    complexes: dict[int, Area] = field(default_factory=dict)

    @classmethod
    def load(cls, year_from: int, year_to: int) -> IntakeContext:
        """For cases received in ``year_from``..``year_to`` (deadlines may end a year later)."""
        return cls(calendar=WorkCalendar.load(year_from, year_to + 1), policies=policies())


def complex_of(area: Area, context: IntakeContext | None = None) -> Area | None:
    """The complex ``area`` lies in (itself when it is one); None above complex level."""
    if context is not None and area.pk in context.complexes:
        return context.complexes[area.pk]
    if LEVEL_DEPTH[AreaLevel(area.level)] < LEVEL_DEPTH[AreaLevel.COMPLEX]:
        found = None
    elif area.level == AreaLevel.COMPLEX:
        found = area
    else:
        found = Area.objects.filter(pk__in=area.ancestor_ids, level=AreaLevel.COMPLEX).first()
    if context is not None:
        context.complexes[area.pk] = found
    return found


def _reports_as_resident(actor: Actor, complex_area: Area) -> bool:
    """A resident may report anywhere in a complex where they hold cases.report
    (their house, their building's stairwell, the complex's yard)."""
    return any(path.startswith(complex_area.path) for path in grant_paths(actor.user, Capability.CASES_REPORT))


def _is_staff_at(actor: Actor, area: Area) -> bool:
    return user_can(actor.user, Capability.CASES_HANDLE, area) or user_can(actor.user, Capability.CHANGE, area)


def _clean_text(value: str, limit: int, field_name: str, errors: dict, *, required: bool, label) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.setdefault(field_name, []).append(ValidationError(_("请填写%(label)s。") % {"label": label},
                                                                 code="required"))
    elif len(value) > limit:
        errors.setdefault(field_name, []).append(ValidationError(
            _("%(label)s不能超过 %(limit)d 个字。") % {"label": label, "limit": limit}, code="max_length"))
    return value


def _coordinate(value, bound: int, field_name: str, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or abs(number) > bound:
        errors.setdefault(field_name, []).append(ValidationError(_("坐标无效。"), code="coordinate"))
        return None
    return number


def _choice(value: str, choices, field_name: str, errors: dict) -> str:
    if value not in choices.values:
        errors.setdefault(field_name, []).append(ValidationError(_("无效的选项。"), code="invalid_choice"))
    return value


def _prepare(
    *, actor: Actor, channel: str, category: Category, area: Area, title: str, description: str,
    request_type: str, urgency: str, reporter: Person | None, reporter_name: str, reporter_phone: str,
    location_text: str, latitude, longitude, external_ref: str, received_at: datetime | None,
    photos: Sequence[UploadedFile], calendar: WorkCalendar | None, context: IntakeContext | None,
) -> tuple[Case, list[CheckedPhoto]]:
    complex_area = complex_of(area, context)
    if complex_area is None:
        raise field_error("area", _("请选择小区或小区以下的位置（楼栋、单元、房屋）。"), "area_level")
    if area.retired_on:
        raise field_error("area", _("该区域已撤销。"), "area_retired")

    reporter_user = None
    if actor.user is not None and not _is_staff_at(actor, area):
        if not _reports_as_resident(actor, complex_area):
            raise PermissionDenied(_("您无权在该区域登记事件。"))
        if channel != Channel.RESIDENT:
            raise field_error("channel", _("居民只能通过居民上报渠道反映问题。"), "channel_resident")
        # a resident reports as themselves: the account, and the person it stands for
        reporter_user, reporter = actor.user, actor.user.person
        reporter_name = reporter_name or actor.user.display_name or (reporter.name if reporter else "")
    elif reporter is not None and actor.user is not None:
        if not Person.objects.visible_to(actor.user).filter(pk=reporter.pk).exists():
            raise field_error("reporter", _("反映人不在您的管辖范围内。"), "reporter_scope")

    errors: dict[str, list[ValidationError]] = {}
    title = _clean_text(title, 120, "title", errors, required=True, label=_("标题"))
    description = _clean_text(description, 5000, "description", errors, required=True, label=_("问题描述"))
    location_text = _clean_text(location_text, 200, "location_text", errors, required=False, label=_("位置"))
    reporter_name = _clean_text(reporter_name, 50, "reporter_name", errors, required=False, label=_("反映人姓名"))
    external_ref = _clean_text(external_ref, 64, "external_ref", errors, required=False, label=_("外部编号"))
    _choice(channel, Channel, "channel", errors)
    _choice(request_type, RequestType, "request_type", errors)
    _choice(urgency, Urgency, "urgency", errors)
    if not category.is_active:
        errors.setdefault("category", []).append(ValidationError(_("该分类已停用。"), code="category_inactive"))
    lat = _coordinate(latitude, 90, "latitude", errors)
    lon = _coordinate(longitude, 180, "longitude", errors)
    phone = pii.EMPTY
    if reporter_phone and reporter_phone.strip():
        try:
            phone = pii.protect_phone(validate_mobile(reporter_phone))
        except ValidationError as exc:
            errors.setdefault("reporter_phone", []).extend(exc.error_list)
    now = timezone.now()
    received_at = received_at or now
    if timezone.is_naive(received_at):
        errors.setdefault("received_at", []).append(ValidationError(_("受理时间缺少时区。"), code="naive_time"))
    elif received_at > now + _CLOCK_SKEW:
        errors.setdefault("received_at", []).append(ValidationError(_("受理时间不能晚于当前时间。"),
                                                                    code="received_future"))
    checked: list[CheckedPhoto] = []
    try:
        checked = photos_check(photos)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:  # every bad field at once, not one per round trip
        raise ValidationError(errors)

    if context is not None:
        due = deadline_for(category, urgency, received_at, calendar or context.calendar, table=context.policies)
    else:
        due = deadline_for(category, urgency, received_at, calendar)
    case = Case(
        title=title, description=description, category=category, request_type=request_type, channel=channel,
        urgency=urgency, area=area, complex=complex_area, location_text=location_text, latitude=lat, longitude=lon,
        reporter=reporter, reporter_user=reporter_user, reporter_name=reporter_name,
        reporter_phone_cipher=phone.cipher, reporter_phone_digest=phone.digest, reporter_phone_masked=phone.masked,
        status=Status.NEW, level=Level.COMPLEX, received_at=received_at, due_at=due, external_ref=external_ref,
    )
    return case, checked


def case_prepare(
    *, actor: Actor, channel: str, category: Category, area: Area, title: str, description: str,
    request_type: str = RequestType.COMPLAINT, urgency: str = Urgency.NORMAL, reporter: Person | None = None,
    reporter_name: str = "", reporter_phone: str = "", location_text: str = "", latitude=None, longitude=None,
    external_ref: str = "", received_at: datetime | None = None, photos: Sequence[UploadedFile] = (),
    calendar: WorkCalendar | None = None, context: IntakeContext | None = None,
) -> Case:
    """A validated, unsaved case with its deadline computed and no number yet.

    For bulk paths that insert thousands of cases at once. Pass one
    ``IntakeContext.load(...)`` for the whole batch (else each call queries the
    policies, the calendar and the area's complex). Photos are only checked here,
    never stored. The caller then writes the batch in one transaction::

        with transaction.atomic():
            for case, number in zip(cases, case_numbers_reserve(len(cases))):
                case.number = number
            Case.objects.bulk_create(cases, batch_size=2000)   # fills pks on SQLite and PostgreSQL
            CaseEvent.objects.bulk_create([case_created_event(case, actor) for case in cases], batch_size=2000)
            audit_append(actor=actor, action="case.imported", detail={"count": len(cases), ...})

    ``case_numbers_reserve`` locks the day's counter until the transaction ends,
    so numbers stay unique while web users create cases at the same time.
    Duplicate ``(channel, external_ref)`` pairs are the caller's to detect first
    (a unique constraint refuses them).
    """
    case, _photos = _prepare(
        actor=actor, channel=channel, category=category, area=area, title=title, description=description,
        request_type=request_type, urgency=urgency, reporter=reporter, reporter_name=reporter_name,
        reporter_phone=reporter_phone, location_text=location_text, latitude=latitude, longitude=longitude,
        external_ref=external_ref, received_at=received_at, photos=photos, calendar=calendar, context=context,
    )
    return case


def case_created_event(case: Case, actor: Actor) -> CaseEvent:
    """The unsaved "created" timeline entry of a case (for bulk writers)."""
    return event_for(case, actor, "created", to_status=Status.NEW, detail={"channel": case.channel})


@transaction.atomic
def case_create(
    *, actor: Actor, channel: str, category: Category, area: Area, title: str, description: str,
    request_type: str = RequestType.COMPLAINT, urgency: str = Urgency.NORMAL, reporter: Person | None = None,
    reporter_name: str = "", reporter_phone: str = "", location_text: str = "", latitude=None, longitude=None,
    external_ref: str = "", received_at: datetime | None = None, photos: Sequence[UploadedFile] = (),
    calendar: WorkCalendar | None = None, context: IntakeContext | None = None,
) -> Case:
    """Register a case from any channel: checks rights and input, numbers it,
    stores its photos, and writes the "created" step and the audit record."""
    case, checked = _prepare(
        actor=actor, channel=channel, category=category, area=area, title=title, description=description,
        request_type=request_type, urgency=urgency, reporter=reporter, reporter_name=reporter_name,
        reporter_phone=reporter_phone, location_text=location_text, latitude=latitude, longitude=longitude,
        external_ref=external_ref, received_at=received_at, photos=photos, calendar=calendar, context=context,
    )
    duplicate = _("该来源的外部编号已登记为事件 %(number)s。")
    if case.external_ref:
        existing = Case.objects.filter(channel=case.channel, external_ref=case.external_ref).first()
        if existing is not None:
            raise field_error("external_ref", duplicate % {"number": existing.number}, "external_ref_duplicate")
    case.number = case_numbers_reserve(1)[0]
    try:
        with transaction.atomic():  # savepoint: a racing duplicate becomes a field error, not a 500
            case.save(force_insert=True)
    except IntegrityError as exc:
        existing = Case.objects.filter(channel=case.channel, external_ref=case.external_ref).first()
        if case.external_ref and existing is not None:
            raise field_error("external_ref", duplicate % {"number": existing.number},
                              "external_ref_duplicate") from exc
        raise
    photos_save(actor=actor, case=case, photos=checked, stage="report")
    record(case, actor, "created", to_status=Status.NEW, detail={
        "channel": case.channel, "category": case.category.code, "urgency": case.urgency,
        "due_at": case.due_at.isoformat() if case.due_at else None, "photos": len(checked),
        "external_ref": case.external_ref,
    })
    return case
