"""The guard's side of visits: walk-in registration, check-in and check-out by
hand, and overstay alarms for visitors still inside after they should have left."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.alarms.models import Alarm, AlarmKind
from shequ.alarms.services import alarm_raise
from shequ.core import pii
from shequ.registry.models import Area
from shequ.registry.models.area import AreaLevel
from shequ.registry.validators import IdDocumentType, validate_id_document
from shequ.visitors.models import PassStatus, Visit, VisitKind, VisitorPass
from shequ.visitors.selectors import ancestor_id
from shequ.visitors.services.common import clean_name, clean_phone, clean_plate, error, require_any, set_phone

#: a walk-in visitor is registered for at most this long
WALK_IN_MAX_STAY = timedelta(hours=24)
PURPOSE_MAX = 100
#: how long after the expected leave time a visitor still inside raises the alarm (setting, minutes)
DEFAULT_OVERSTAY_GRACE_MINUTES = 15
#: visits checked per run of the overstay check (the rest wait for the next run)
OVERSTAY_BATCH = 500


def _guard(actor: Actor, area: Area) -> None:
    require_any(actor, (Capability.VISITORS_GUARD,), area)


def visit_walk_in(
    *, actor: Actor, house: Area, visitor_name: str, id_type: str, id_number: str,
    expected_leave_at: datetime | None, host_confirmed: bool, phone: str = "", plate: str = "", purpose: str = "",
    now: datetime | None = None,
) -> Visit:
    """The guard registers a visitor without a pass: ID document checked, the host
    household confirmed (by intercom or phone), the visitor inside from now."""
    _guard(actor, house)
    now = now or timezone.now()
    if house.level != AreaLevel.HOUSE:
        raise ValidationError({"house": error(_("请选择被访住户。"), "not_a_house")})
    errors: dict = {}
    name = clean_name(visitor_name, errors)
    identity = None
    if id_type not in IdDocumentType.values:
        errors["id_type"] = error(_("请选择证件类型。"), "id_doc_type")
    elif not (id_number or "").strip():
        errors["id_number"] = error(_("请填写证件号码。"), "required")
    else:
        try:
            identity = validate_id_document(id_type, id_number)
        except ValidationError as exc:
            errors["id_number"] = exc.error_list
    phone = clean_phone(phone, errors)
    plate = clean_plate(plate, errors)
    purpose = " ".join((purpose or "").split())
    if len(purpose) > PURPOSE_MAX:
        errors["purpose"] = error(_("来访事由最多100个字。"), "max_length")
    if expected_leave_at is None:
        errors["expected_leave_at"] = error(_("请填写预计离开时间。"), "required")
    elif expected_leave_at <= now:
        errors["expected_leave_at"] = error(_("预计离开时间必须晚于现在。"), "leave_before_now")
    elif expected_leave_at > now + WALK_IN_MAX_STAY:
        errors["expected_leave_at"] = error(_("临时登记最长24小时。"), "leave_too_late")
    if not host_confirmed:
        errors["host_confirmed"] = error(_("请先与被访住户确认。"), "host_unconfirmed")
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        visit = Visit(kind=VisitKind.WALK_IN, area=house, complex_id=ancestor_id(house, AreaLevel.COMPLEX),
                      visitor_name=name, id_type=id_type, plate=plate, purpose=purpose, arrived_at=now,
                      expected_leave_at=expected_leave_at, checked_in_by=actor.user, host_confirmed_at=now)
        protected = pii.protect_id_number(identity.number)
        visit.id_number_cipher, visit.id_number_digest, visit.id_number_masked = (
            protected.cipher, protected.digest, protected.masked)
        set_phone(visit, phone)
        visit.save()
        audit_append(actor=actor, action="visitors.walk_in", obj=visit, detail={
            "visitor_name": name, "id_type": id_type, "id_number": visit.id_number_masked,
            "phone": visit.phone_masked, "plate": plate, "expected_leave_at": expected_leave_at.isoformat(),
        })
    return visit


def visit_check_in(*, actor: Actor, visitor_pass: VisitorPass, now: datetime | None = None) -> Visit:
    """The guard lets a pass visitor in by hand (a door without a reader, a phone
    that will not show the code). No use of the pass is counted: no door opened for it."""
    _guard(actor, visitor_pass.area)
    now = now or timezone.now()
    with transaction.atomic():
        # audit first, then the row lock: the order the ingest takes them in (see pass_revoke)
        audit_append(actor=actor, action="visitors.check_in", obj=visitor_pass,
                     detail={"pass_id": visitor_pass.pass_id})
        locked = VisitorPass.objects.select_for_update().get(pk=visitor_pass.pk)
        if locked.status != PassStatus.ISSUED or not locked.valid_from <= now < locked.valid_until:
            raise ValidationError({"visitor_pass": error(_("该通行证当前无效，不能登记进入。"), "pass_not_valid")})
        if Visit.objects.inside().filter(visitor_pass=locked).exists():
            raise ValidationError({"visitor_pass": error(_("该访客已在小区内。"), "already_inside")})
        visit = Visit.objects.create(
            kind=VisitKind.PASS, area_id=locked.area_id, complex_id=locked.complex_id, visitor_pass=locked,
            visitor_name=locked.visitor_name, phone_cipher=locked.phone_cipher, phone_digest=locked.phone_digest,
            phone_masked=locked.phone_masked, plate=locked.plate, arrived_at=now,
            expected_leave_at=locked.valid_until, checked_in_by=actor.user)
    return visit


def visit_check_out(*, actor: Actor, visit: Visit, now: datetime | None = None) -> Visit:
    """The visitor has left (seen out by the guard)."""
    _guard(actor, visit.area)
    now = now or timezone.now()
    with transaction.atomic():
        audit_append(actor=actor, action="visitors.check_out", obj=visit, detail={})  # before the row lock
        locked = Visit.objects.select_for_update().select_related("area").get(pk=visit.pk)
        if locked.departed_at is not None:
            raise ValidationError({"visit": error(_("该访客已离开。"), "already_left")})
        locked.departed_at, locked.checked_out_by = max(now, locked.arrived_at), actor.user
        locked.save(update_fields=["departed_at", "checked_out_by"])
    return locked


def overstay_grace() -> timedelta:
    return timedelta(minutes=getattr(settings, "SHEQU_VISITOR_OVERSTAY_GRACE_MINUTES", DEFAULT_OVERSTAY_GRACE_MINUTES))


def visits_overstay_check(now: datetime | None = None) -> list[Alarm]:
    """Raise one alarm for each visitor still inside past their expected leave time
    (the pass's end, or the time the guard noted), plus the grace. Each visit alarms
    once, however often this runs (and when two runs overlap)."""
    now = now or timezone.now()
    due = list(Visit.objects.inside().filter(expected_leave_at__lt=now - overstay_grace(),
                                             overstay_alerted_at__isnull=True)
               .order_by("expected_leave_at").values_list("pk", flat=True)[:OVERSTAY_BATCH])
    actor = Actor.system(via="visitors_tick")
    raised = []
    for visit in Visit.objects.select_related("area").filter(pk__in=due).order_by("expected_leave_at"):
        detail = _g("访客%(name)s逾时未离开（应于%(time)s前离开）") % {
            "name": visit.visitor_name, "time": timezone.localtime(visit.expected_leave_at).strftime("%m-%d %H:%M")}
        try:
            with transaction.atomic():
                # raise first (its audit record takes the chain's lock, as the ingest does before it
                # touches visits), then claim the visit; a visit that left or was alarmed by another
                # run meanwhile is not claimed, and the alarm is rolled back with its console push
                alarm = alarm_raise(kind=AlarmKind.VISITOR_OVERSTAY, area=visit.area, detail=detail, actor=actor)
                claimed = Visit.objects.filter(pk=visit.pk, departed_at__isnull=True,
                                               overstay_alerted_at__isnull=True).update(
                    overstay_alarm=alarm, overstay_alerted_at=now)
                if not claimed:
                    raise _NotClaimed
        except _NotClaimed:
            continue
        raised.append(alarm)
    return raised


class _NotClaimed(Exception):
    """The visit was dealt with by someone else meanwhile: undo this alarm."""
