"""The life of a case after intake: each step checks who acts, checks the case
may take that step from where it stands, and writes a timeline entry and an
audit record.

Steps and the statuses they start from::

    accept            new -> accepted
    assign            new / accepted / assigned / in_progress -> assigned
    start             accepted / assigned -> in_progress
    wait_on_resident  accepted / assigned / in_progress -> waiting (clock stops)
    resume            waiting -> the status before it (clock runs, deadline moves)
    resolve           accepted / assigned / in_progress -> resolved
    confirm           resolved -> confirmed (the reporting resident, with a rating)
    close             resolved / confirmed -> closed; an open case only with a reason
    reopen            resolved / confirmed / closed -> in_progress (new deadline)
    merge             any open status -> merged (into another case of the complex)
    escalate          any open status: level complex -> street -> district

Every service takes ``at`` (default: now) so imports and tests can replay history.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor
from shequ.cases.deadlines import TZ, WorkCalendar, deadline_for, policies, policy_for, shift_for_pause
from shequ.cases.models import OPEN_STATUSES, AssigneeKind, Case, CaseEvent, Level, Status
from shequ.cases.services.common import field_error, is_reporter, record, require_handle, require_reporter
from shequ.cases.services.photos import photos_check, photos_save
from shequ.meetings.models import TeamMember
from shequ.registry.models import Organization

NEXT_LEVEL = {Level.COMPLEX: Level.STREET, Level.STREET: Level.DISTRICT}
SATISFACTION_RANGE = range(1, 6)

#: step -> the statuses it may start from (pages offer a step only from these)
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "accept": frozenset({Status.NEW}),
    "assign": frozenset({Status.NEW, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS}),
    "start": frozenset({Status.ACCEPTED, Status.ASSIGNED}),
    "wait": frozenset({Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS}),
    "resume": frozenset({Status.WAITING}),
    "resolve": frozenset({Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS}),
    "confirm": frozenset({Status.RESOLVED}),
    "close": frozenset({Status.RESOLVED, Status.CONFIRMED, *OPEN_STATUSES}),
    "reopen": frozenset({Status.RESOLVED, Status.CONFIRMED, Status.CLOSED}),
    "merge": frozenset(OPEN_STATUSES),
    "escalate": frozenset(OPEN_STATUSES),
}


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def _lock(case: Case) -> Case:
    """Lock the case's row for this transaction and reload it, so two people
    acting at once cannot both take a step from the same status."""
    list(Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True))
    case.refresh_from_db()
    return case


def _require_status(case: Case, allowed: Collection[str], step) -> None:
    if case.status not in allowed:
        raise ValidationError(
            _("事件当前状态为“%(status)s”，不能%(step)s。") % {"status": case.get_status_display(), "step": step},
            code="invalid_transition",
        )


def _required(value: str, field: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise field_error(field, message, "required")
    return value


def _move(case: Case, actor: Actor, action: str, to_status: str, *, at: datetime, note: str = "",
          detail: dict | None = None, fields: Sequence[str] = ()) -> Case:
    from_status = case.status
    case.status = to_status
    case.save(update_fields=["status", "updated_at", *fields])
    record(case, actor, action, from_status=from_status, to_status=to_status, note=note, detail=detail, at=at)
    return case


def _end_pause(case: Case, at: datetime, calendar: WorkCalendar | None = None) -> None:
    """Stop the pause clock: count its seconds and move the deadline by its working time."""
    if case.paused_since is None:
        return
    paused_from = case.paused_since
    case.paused_seconds += max(0, int((at - paused_from).total_seconds()))
    if case.due_at is not None:
        unit = policy_for(case.category, case.urgency).unit
        case.due_at = shift_for_pause(case.due_at, paused_from, at, unit=unit,
                                      calendar=calendar or WorkCalendar.load(paused_from.year, at.year + 1))
    case.paused_since = None


@transaction.atomic
def case_accept(*, actor: Actor, case: Case, note: str = "", at: datetime | None = None) -> Case:
    """Take a new case on (受理)."""
    require_handle(actor, case)
    _lock(case)
    _require_status(case, ALLOWED_FROM["accept"], _("受理"))
    at = _now(at)
    case.accepted_at = at
    return _move(case, actor, "accepted", Status.ACCEPTED, at=at, note=note, fields=["accepted_at"])


def _check_accountable(case: Case, accountable: TeamMember | None, on: date) -> None:
    seats = TeamMember.objects.current(on).filter(team__complex_id=case.complex_id)
    if accountable is None:
        if seats.exists():
            raise field_error("accountable", _("请指定一名本小区“2+4”团队成员负责。"), "accountable_required")
        return
    if not seats.filter(pk=accountable.pk).exists():
        raise field_error("accountable", _("责任人必须是本小区“2+4”团队的现任成员。"), "accountable_not_member")


@transaction.atomic
def case_assign(
    *, actor: Actor, case: Case, assignee_kind: str, assignee_org: Organization | None = None,
    assignee_name: str = "", accountable: TeamMember | None = None, note: str = "", at: datetime | None = None,
) -> Case:
    """Send a case to the unit that will do the work (property company, utility,
    street department, police...), with one "2+4" member of the complex accountable.
    The accountable member is required once the complex has a team."""
    require_handle(actor, case)
    _lock(case)
    _require_status(case, ALLOWED_FROM["assign"], _("派单"))
    at = _now(at)
    if assignee_kind not in AssigneeKind.values:
        raise field_error("assignee_kind", _("请选择承办类型。"), "invalid_choice")
    assignee_name = (assignee_name or "").strip() or (assignee_org.name if assignee_org else "")
    if not assignee_name:
        raise field_error("assignee_name", _("请选择承办单位或填写承办单位名称。"), "required")
    if len(assignee_name) > 100:
        raise field_error("assignee_name", _("承办单位名称不能超过 100 个字。"), "max_length")
    _check_accountable(case, accountable, timezone.localdate(at))
    case.assignee_kind, case.assignee_org, case.assignee_name = assignee_kind, assignee_org, assignee_name
    case.accountable = accountable
    fields = ["assignee_kind", "assignee_org", "assignee_name", "accountable"]
    if case.accepted_at is None:
        case.accepted_at = at
        fields.append("accepted_at")
    return _move(case, actor, "assigned", Status.ASSIGNED, at=at, note=note, fields=fields, detail={
        "assignee_kind": assignee_kind, "assignee_org": assignee_org.pk if assignee_org else None,
        "assignee_name": assignee_name, "accountable": accountable.pk if accountable else None,
        "accountable_name": accountable.name if accountable else "",
    })


@transaction.atomic
def case_start(*, actor: Actor, case: Case, note: str = "", at: datetime | None = None) -> Case:
    """The assignee starts the work."""
    require_handle(actor, case)
    _lock(case)
    _require_status(case, ALLOWED_FROM["start"], _("开始办理"))
    return _move(case, actor, "started", Status.IN_PROGRESS, at=_now(at), note=note)


@transaction.atomic
def case_wait_on_resident(*, actor: Actor, case: Case, note: str, at: datetime | None = None) -> Case:
    """Ask the resident for something (access to the flat, a document): the clock
    stops until the case resumes."""
    require_handle(actor, case)
    _lock(case)
    _require_status(case, ALLOWED_FROM["wait"], _("转为待居民补充"))
    note = _required(note, "note", _("请说明需要居民补充或配合的内容。"))
    at = _now(at)
    resume_to = case.status
    case.paused_since = at
    return _move(case, actor, "waiting", Status.WAITING, at=at, note=note, fields=["paused_since"],
                 detail={"resume_to": resume_to})


def _status_before_wait(case: Case) -> str:
    last = (CaseEvent.objects.filter(case=case, action="waiting").order_by("-at", "-pk")
            .values_list("detail", flat=True).first())
    status = (last or {}).get("resume_to")
    return status if status in OPEN_STATUSES and status != Status.WAITING else Status.IN_PROGRESS


@transaction.atomic
def case_resume(*, actor: Actor, case: Case, note: str = "", at: datetime | None = None,
                calendar: WorkCalendar | None = None) -> Case:
    """The resident has answered: the clock runs again and the deadline moves by
    the pause (for working-time deadlines, by the working time inside it).
    The handling staff, or the reporting resident with their answer, may resume."""
    if not is_reporter(actor, case):
        require_handle(actor, case)
    _lock(case)
    _require_status(case, ALLOWED_FROM["resume"], _("恢复办理"))
    at = _now(at)
    paused_from, due_before = case.paused_since, case.due_at
    _end_pause(case, at, calendar)
    return _move(case, actor, "resumed", _status_before_wait(case), at=at, note=note,
                 fields=["paused_since", "paused_seconds", "due_at"], detail={
                     "paused_from": paused_from.isoformat() if paused_from else None,
                     "due_before": due_before.isoformat() if due_before else None,
                     "due_after": case.due_at.isoformat() if case.due_at else None,
                 })


@transaction.atomic
def case_resolve(*, actor: Actor, case: Case, resolution: str, photos: Sequence[UploadedFile] = (),
                 at: datetime | None = None) -> Case:
    """Record what was done; the reporting resident is then asked to confirm."""
    require_handle(actor, case)
    _lock(case)
    _require_status(case, ALLOWED_FROM["resolve"], _("办结"))
    resolution = _required(resolution, "resolution", _("请填写办理结果。"))
    existing = case.photos.filter(stage="resolution").count() if photos else 0
    checked = photos_check(photos, existing=existing)
    at = _now(at)
    case.resolution, case.resolved_at = resolution, at
    photos_save(actor=actor, case=case, photos=checked, stage="resolution")
    return _move(case, actor, "resolved", Status.RESOLVED, at=at, note=resolution,
                 fields=["resolution", "resolved_at"], detail={"photos": len(checked)})


def _follow_up_moment(value: date | datetime | None, at: datetime) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(9), tzinfo=TZ)
    if timezone.localdate(value) < timezone.localdate(at):
        raise field_error("follow_up_at", _("回访日期不能早于今天。"), "follow_up_past")
    return value


@transaction.atomic
def case_confirm(*, actor: Actor, case: Case, satisfaction: int, follow_up_at: date | datetime | None = None,
                 comment: str = "", at: datetime | None = None) -> Case:
    """The reporting resident confirms the resolution and rates it 1–5, and may
    ask for a follow-up visit on a given day."""
    require_reporter(actor, case)
    _lock(case)
    _require_status(case, ALLOWED_FROM["confirm"], _("确认评价"))
    try:
        score = int(satisfaction)
    except (TypeError, ValueError):
        score = 0
    if score not in SATISFACTION_RANGE:
        raise field_error("satisfaction", _("满意度请选择 1 到 5 分。"), "satisfaction_range")
    at = _now(at)
    case.satisfaction, case.confirmed_at = score, at
    case.follow_up_at = _follow_up_moment(follow_up_at, at)
    return _move(case, actor, "confirmed", Status.CONFIRMED, at=at, note=(comment or "").strip()[:2000],
                 fields=["satisfaction", "confirmed_at", "follow_up_at"], detail={
                     "satisfaction": score,
                     "follow_up_at": case.follow_up_at.isoformat() if case.follow_up_at else None,
                 })


@transaction.atomic
def case_close(*, actor: Actor, case: Case, note: str = "", at: datetime | None = None) -> Case:
    """Close a resolved or confirmed case. An open case may be closed only with a
    reason (not within our remit, withdrawn by the resident, a prank)."""
    require_handle(actor, case)
    _lock(case)
    _require_status(case, ALLOWED_FROM["close"], _("关闭"))
    at = _now(at)
    fields = ["closed_at"]
    if case.status in OPEN_STATUSES:
        note = _required(note, "note", _("关闭未办结的事件须说明理由。"))
        if case.paused_since is not None:
            _end_pause(case, at)
            fields += ["paused_since", "paused_seconds", "due_at"]
    case.closed_at = at
    return _move(case, actor, "closed", Status.CLOSED, at=at, note=note, fields=fields)


@transaction.atomic
def case_reopen(*, actor: Actor, case: Case, reason: str, at: datetime | None = None,
                calendar: WorkCalendar | None = None) -> Case:
    """Back to work: the handling staff may reopen a resolved, confirmed or closed
    case; the reporting resident a resolved one they are not satisfied with.
    The case gets a fresh deadline from now."""
    if not (is_reporter(actor, case) and case.status == Status.RESOLVED):
        require_handle(actor, case)
    _lock(case)
    _require_status(case, ALLOWED_FROM["reopen"], _("重新打开"))
    reason = _required(reason, "reason", _("请说明重新打开的原因。"))
    at = _now(at)
    was = {"resolved_at": case.resolved_at, "confirmed_at": case.confirmed_at, "closed_at": case.closed_at,
           "satisfaction": case.satisfaction, "due_at": case.due_at}
    case.reopened_count += 1
    case.resolved_at = case.confirmed_at = case.closed_at = case.follow_up_at = None
    case.satisfaction = None
    case.warned_at = None
    case.due_at = deadline_for(case.category, case.urgency, at, calendar)
    return _move(case, actor, "reopened", Status.IN_PROGRESS, at=at, note=reason, fields=[
        "reopened_count", "resolved_at", "confirmed_at", "closed_at", "follow_up_at", "satisfaction", "warned_at",
        "due_at",
    ], detail={"was": {key: value.isoformat() if isinstance(value, datetime) else value
                       for key, value in was.items()}})


@transaction.atomic
def case_merge(*, actor: Actor, case: Case, into: Case, note: str = "", at: datetime | None = None) -> Case:
    """Fold a duplicate into the case that carries on, in the same complex."""
    require_handle(actor, case)
    require_handle(actor, into)
    if into.pk == case.pk:
        raise field_error("into", _("不能把事件合并到它自己。"), "merge_self")
    _lock(case)
    _lock(into)
    _require_status(case, ALLOWED_FROM["merge"], _("合并"))
    if into.status == Status.MERGED:
        raise field_error("into", _("目标事件 %(number)s 已被合并，请合并到 %(target)s。") % {
            "number": into.number, "target": into.merged_into.number if into.merged_into_id else "-",
        }, "merge_target_merged")
    if into.complex_id != case.complex_id:
        raise field_error("into", _("只能合并同一小区的事件。"), "merge_other_complex")
    at = _now(at)
    fields = ["merged_into"]
    if case.paused_since is not None:
        _end_pause(case, at)
        fields += ["paused_since", "paused_seconds", "due_at"]
    case.merged_into = into
    _move(case, actor, "merged", Status.MERGED, at=at, note=note, fields=fields,
          detail={"into": into.pk, "into_number": into.number})
    record(into, actor, "merge_received", note=note, at=at, detail={"from": case.pk, "from_number": case.number})
    return case


def _escalate(case: Case, actor: Actor, reason: str, *, at: datetime, auto: bool,
              calendar: WorkCalendar | None, table=None) -> Case:
    from_level = case.level
    case.level = NEXT_LEVEL[Level(case.level)]
    case.escalated_at = at
    case.warned_at = None
    # the new level gets its own time: without it the sweep would escalate again at once
    case.due_at = deadline_for(case.category, case.urgency, at, calendar, table=table)
    fields = ["level", "escalated_at", "warned_at", "due_at", "updated_at"]
    if case.paused_since is not None:
        # the new deadline starts now: only the pause from here on may move it later
        case.paused_seconds += max(0, int((at - case.paused_since).total_seconds()))
        case.paused_since = at
        fields += ["paused_seconds", "paused_since"]
    case.save(update_fields=fields)
    record(case, actor, "escalated", from_status=case.status, to_status=case.status, note=reason, at=at, detail={
        "from_level": from_level, "to_level": case.level, "auto": auto, "due_at": case.due_at.isoformat(),
    })
    return case


@transaction.atomic
def case_escalate(*, actor: Actor, case: Case, reason: str, at: datetime | None = None,
                  calendar: WorkCalendar | None = None) -> Case:
    """Hand an open case up: complex "2+4" team -> street joint meeting -> district leading group."""
    require_handle(actor, case)
    _lock(case)
    _require_status(case, ALLOWED_FROM["escalate"], _("升级"))
    if case.level not in NEXT_LEVEL:
        raise ValidationError(_("事件已在区领导小组层级，不能再升级。"), code="escalate_top")
    reason = _required(reason, "reason", _("请说明升级的原因。"))
    return _escalate(case, actor, reason, at=_now(at), auto=False, calendar=calendar)


AUTO_ESCALATION_REASON = _("超过办理期限，自动升级。")


def cases_escalate_overdue(*, now: datetime, calendar: WorkCalendar | None = None,
                           warn: bool = True) -> list[Case]:
    """Escalate every open case whose deadline is broken by one level, with a new
    deadline for the new level; then (``warn``) mark cases close to their deadline.

    Each case is handled in its own transaction with its row locked and the
    condition checked again, so two sweeps running at once escalate a case once.
    District-level cases cannot go higher and stay overdue on the lists."""
    actor = Actor.system(via="sweep")
    calendar = calendar or WorkCalendar.around(now)
    table = policies()
    candidates = list(Case.objects.overdue(now).exclude(level=Level.DISTRICT).order_by("due_at")
                      .values_list("pk", flat=True))
    escalated = []
    for pk in candidates:
        with transaction.atomic():
            case = Case.objects.select_for_update().select_related("category").filter(pk=pk).first()
            if (case is None or not case.is_open or case.paused_since is not None or case.due_at is None
                    or case.due_at >= now or case.level not in NEXT_LEVEL):
                continue
            escalated.append(_escalate(case, actor, str(AUTO_ESCALATION_REASON), at=now, auto=True,
                                       calendar=calendar, table=table))
    if warn:
        cases_warn_due_soon(now=now, table=table)
    return escalated


def cases_warn_due_soon(*, now: datetime, table=None) -> list[Case]:
    """Mark (``warned_at``) and log open cases whose deadline falls within their
    policy's warning time; each case is warned once per deadline."""
    actor = Actor.system(via="sweep")
    table = table or policies()
    horizon = now + max(policy.warn_before for policy in table.values())
    candidates = (Case.objects.open().filter(paused_since__isnull=True, warned_at__isnull=True,
                                             due_at__gte=now, due_at__lte=horizon)
                  .select_related("category").order_by("due_at"))
    warned = []
    for case in candidates:
        policy = policy_for(case.category, case.urgency, table=table)
        if case.due_at - policy.warn_before > now:
            continue
        with transaction.atomic():
            updated = Case.objects.filter(pk=case.pk, warned_at__isnull=True).update(warned_at=now, updated_at=now)
            if not updated:  # another sweep warned it first
                continue
            case.warned_at = now
            record(case, actor, "warned", from_status=case.status, to_status=case.status, at=now,
                   detail={"due_at": case.due_at.isoformat()})
        warned.append(case)
    return warned


__all__ = [
    "ALLOWED_FROM", "case_accept", "case_assign", "case_close", "case_confirm", "case_escalate", "case_merge",
    "case_reopen", "case_resolve", "case_resume", "case_start", "case_wait_on_resident", "cases_escalate_overdue",
    "cases_warn_due_soon",
]
