"""Meetings: the weekly "2+4" meeting of a complex, the street joint meeting and
the district leading group session; their agendas, attendance, minutes and decisions.

The kind of a meeting follows from its area: a complex holds weekly meetings, a
street joint meetings, a district leading group sessions. Each level's agenda is
built from the cases handled at that level (``Case.level``) in its area, plus the
common problems accepted for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor
from shequ.cases.models import Case, Level, Status
from shequ.core.scoping import subtree_q
from shequ.meetings.models import (
    AgendaItem, AgendaReason, Attendance, CommonProblem, Decision, Meeting, MeetingKind, TeamMember,
)
from shequ.meetings.services.case_bridge import case_escalate_to
from shequ.meetings.services.common import audit, field_error, require_manage
from shequ.meetings.services.teams import sort_by_role
from shequ.registry.models import Area
from shequ.registry.models.area import AreaLevel

#: the area level each kind of meeting is held at
KIND_FOR_LEVEL = {
    AreaLevel.COMPLEX: MeetingKind.WEEKLY,
    AreaLevel.STREET: MeetingKind.STREET_JOINT,
    AreaLevel.DISTRICT: MeetingKind.DISTRICT_GROUP,
}
#: the case level a kind of meeting deals with
CASE_LEVEL = {
    MeetingKind.WEEKLY: Level.COMPLEX,
    MeetingKind.STREET_JOINT: Level.STREET,
    MeetingKind.DISTRICT_GROUP: Level.DISTRICT,
}
#: where a meeting sends a case it cannot settle
NEXT_LEVEL = {Level.COMPLEX: Level.STREET, Level.STREET: Level.DISTRICT}

#: rank of each reason on the agenda: overdue cases first, hand-added items last
REASON_ORDER = [
    AgendaReason.OVERDUE, AgendaReason.RETURNED, AgendaReason.FOLLOW_UP, AgendaReason.AWAITING,
    AgendaReason.OPEN, AgendaReason.ESCALATED, AgendaReason.COMMON_PROBLEM, AgendaReason.MANUAL,
]
_RANK = {reason: rank for rank, reason in enumerate(REASON_ORDER)}
_FAR_FUTURE = datetime.max.replace(tzinfo=timezone.get_fixed_timezone(0))


def meeting_kind_for(area: Area) -> str:
    """The kind of meeting ``area`` holds, or a ValidationError for other levels."""
    try:
        return KIND_FOR_LEVEL[area.level]
    except KeyError:
        raise field_error("area", _("只有小区、街道和区县召开2+4会议。"), "wrong_level") from None


def _require_open(meeting: Meeting) -> None:
    if meeting.is_held:
        raise ValidationError(_("会议已召开，议程和出席不再修改。"), code="meeting_held")


@transaction.atomic
def meeting_schedule(*, actor: Actor, area: Area, held_on: date, location: str = "") -> Meeting:
    """Put a meeting of ``area`` on the calendar; its agenda is built right away."""
    kind = meeting_kind_for(area)
    require_manage(actor, area)
    if held_on is None:
        raise field_error("held_on", _("请填写会议日期。"), "required")
    meeting = Meeting(kind=kind, area=area, held_on=held_on, location=(location or "").strip(), created_by=actor.user)
    meeting.full_clean()
    meeting.save()
    audit(actor, "meeting.scheduled", meeting, area, kind=kind, held_on=held_on.isoformat())
    meeting_build_agenda(meeting=meeting)
    return meeting


# --- agenda -------------------------------------------------------------------------------------------------------

def _agenda_cases(meeting: Meeting):
    """Open cases the meeting deals with: every open case of the complex for a weekly
    meeting; for the street and the district, the cases escalated to their level."""
    cases = Case.objects.open()
    if meeting.kind == MeetingKind.WEEKLY:
        return cases.filter(complex_id=meeting.area_id)
    return cases.filter(subtree_q("complex__path", meeting.area.path), level=CASE_LEVEL[meeting.kind])


def _case_reason(case: Case, *, level: str, now: datetime, follow_up_ids: set[int]) -> str:
    if case.level != level:
        return AgendaReason.ESCALATED  # handled above now; the team follows it
    if case.due_at is not None and case.due_at < now and case.paused_since is None:
        return AgendaReason.OVERDUE
    if level == Level.COMPLEX and case.escalated_at is not None:
        return AgendaReason.RETURNED  # escalated once, back at the complex
    if case.pk in follow_up_ids:
        return AgendaReason.FOLLOW_UP
    if case.status in (Status.NEW, Status.ACCEPTED):
        return AgendaReason.AWAITING  # nobody handles it yet: the meeting assigns it
    return AgendaReason.OPEN


def agenda_candidates(*, meeting: Meeting, now: datetime | None = None) -> list[tuple[str, Case | CommonProblem]]:
    """(reason, case or common problem) the agenda should hold, in agenda order."""
    now = now or timezone.now()
    level = CASE_LEVEL[meeting.kind]
    cases = list(_agenda_cases(meeting).only(
        "pk", "number", "title", "level", "status", "due_at", "paused_since", "escalated_at", "received_at"))
    follow_up_ids = set(Decision.objects.filter(
        case__in=[case.pk for case in cases], done_at__isnull=True, due_date__lte=meeting.held_on,
    ).exclude(meeting=meeting).values_list("case_id", flat=True)) if cases else set()
    ranked = [(_case_reason(case, level=level, now=now, follow_up_ids=follow_up_ids), case) for case in cases]
    ranked.sort(key=lambda pair: (_RANK[pair[0]], pair[1].due_at or _FAR_FUTURE, pair[1].received_at, pair[1].pk))
    settled_elsewhere = AgendaItem.objects.filter(meeting__is_held=True).exclude(meeting=meeting)
    problems = (CommonProblem.objects.filter(area_id=meeting.area_id, status=CommonProblem.Status.ACCEPTED)
                .exclude(agenda_items__in=settled_elsewhere).order_by("period_start", "pk"))
    return ranked + [(AgendaReason.COMMON_PROBLEM, problem) for problem in problems]


def _item_title(subject: Case | CommonProblem) -> str:
    if isinstance(subject, Case):
        return f"{subject.number} {subject.title}"[:200]
    return subject.title[:200]


@transaction.atomic
def meeting_build_agenda(*, meeting: Meeting, actor: Actor | None = None, now: datetime | None = None
                         ) -> list[AgendaItem]:
    """(Re)build the agenda from the cases and common problems of the meeting's level.

    Items added by hand and items already discussed (with a note) are kept; the
    other automatic items are replaced, so building twice lists nothing twice."""
    if actor is not None:
        require_manage(actor, meeting.area)
    _require_open(meeting)
    existing = list(meeting.agenda.all())
    kept = [item for item in existing if item.reason == AgendaReason.MANUAL or item.note.strip()]
    AgendaItem.objects.filter(pk__in=[item.pk for item in existing if item not in kept]).delete()
    by_case = {item.case_id: item for item in kept if item.case_id}
    by_problem = {item.common_problem_id: item for item in kept if item.common_problem_id}

    items: list[AgendaItem] = []
    for reason, subject in agenda_candidates(meeting=meeting, now=now):
        is_case = isinstance(subject, Case)
        item = (by_case if is_case else by_problem).pop(subject.pk, None)
        if item is None:
            item = AgendaItem(meeting=meeting, case=subject if is_case else None,
                              common_problem=None if is_case else subject, title=_item_title(subject))
        if item.reason != AgendaReason.MANUAL:
            item.reason = reason
        items.append(item)
    # kept items no longer due (closed since, or added by hand) follow, in their old order
    leftovers = [item for item in kept if item not in items]
    leftovers.sort(key=lambda item: (item.reason == AgendaReason.MANUAL, item.order, item.pk))
    items.extend(leftovers)
    for order, item in enumerate(items, start=1):
        item.order = order
        item.save()
    if actor is not None:
        audit(actor, "meeting.agenda_built", meeting, meeting.area, items=len(items))
    return items


@transaction.atomic
def agenda_item_add(*, actor: Actor, meeting: Meeting, title: str, case: Case | None = None) -> AgendaItem:
    """Add an item by hand, at the end of the agenda."""
    require_manage(actor, meeting.area)
    _require_open(meeting)
    title = (title or "").strip() or (_item_title(case) if case else "")
    if not title:
        raise field_error("title", _("请填写议题。"), "required")
    if case is not None:
        _check_case_in_area(case, meeting)
        if meeting.agenda.filter(case=case).exists():
            raise field_error("case", _("该事件已在议程中。"), "duplicate")
    last = meeting.agenda.order_by("-order").values_list("order", flat=True).first() or 0
    item = AgendaItem.objects.create(meeting=meeting, title=title[:200], case=case, reason=AgendaReason.MANUAL,
                                     order=last + 1)
    audit(actor, "meeting.agenda_item_added", meeting, meeting.area, item=item.pk, case=case.pk if case else None)
    return item


@transaction.atomic
def agenda_item_note(*, actor: Actor, item: AgendaItem, note: str) -> AgendaItem:
    """Record what the meeting said about an item."""
    require_manage(actor, item.meeting.area)
    item.note = (note or "").strip()
    item.save(update_fields=["note"])
    return item


# --- attendance and minutes ---------------------------------------------------------------------------------------

def meeting_roster(*, meeting: Meeting) -> list[TeamMember]:
    """The team seats held on the meeting day (weekly meetings only)."""
    if meeting.kind != MeetingKind.WEEKLY:
        return []
    return sort_by_role(TeamMember.objects.filter(team__complex_id=meeting.area_id).current(on=meeting.held_on))


def _clean_guests(guests: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    cleaned = []
    for name, role in guests:
        name, role = (name or "").strip(), (role or "").strip()
        if not name:
            continue
        if len(name) > 50 or len(role) > 60:
            raise field_error("guests", _("列席人员姓名不超过50字，身份不超过60字。"), "too_long")
        cleaned.append((name, role))
    return cleaned


@transaction.atomic
def meeting_attendance_record(*, actor: Actor, meeting: Meeting, present_member_ids: Iterable[int],
                              guests: Iterable[tuple[str, str]] = ()) -> list[Attendance]:
    """Who came: each seat of the roster present or absent, plus guests (name, role).
    Replaces what was recorded before."""
    require_manage(actor, meeting.area)
    roster = meeting_roster(meeting=meeting)
    present = {int(pk) for pk in present_member_ids}
    unknown = present - {member.pk for member in roster}
    if unknown:
        raise field_error("members", _("出席人员须是会议当日在任的团队成员。"), "not_on_roster")
    rows = [Attendance(meeting=meeting, member=member, name=member.name, role=member.get_role_display(),
                       present=member.pk in present) for member in roster]
    rows += [Attendance(meeting=meeting, name=name, role=role, present=True) for name, role in _clean_guests(guests)]
    meeting.attendance.all().delete()
    Attendance.objects.bulk_create(rows)
    audit(actor, "meeting.attendance_recorded", meeting, meeting.area,
          present=sum(row.present for row in rows), absent=sum(not row.present for row in rows))
    return rows


@transaction.atomic
def meeting_record(*, actor: Actor, meeting: Meeting, minutes: str, is_held: bool = True,
                   location: str | None = None) -> Meeting:
    """Save the minutes; marking the meeting held freezes its agenda and counts it."""
    require_manage(actor, meeting.area)
    if is_held and meeting.held_on > timezone.localdate():
        raise field_error("is_held", _("会议日期未到，不能标记为已召开。"), "in_future")
    meeting.minutes = (minutes or "").strip()
    meeting.is_held = is_held
    if location is not None:
        meeting.location = location.strip()[:100]
    meeting.save(update_fields=["minutes", "is_held", "location"])
    audit(actor, "meeting.recorded", meeting, meeting.area, is_held=is_held)
    return meeting


# --- decisions ----------------------------------------------------------------------------------------------------

def _check_case_in_area(case: Case, meeting: Meeting) -> None:
    complex_path = Area.objects.filter(pk=case.complex_id).values_list("path", flat=True).first() or ""
    if not complex_path.startswith(meeting.area.path):
        raise field_error("case", _("该事件不属于本次会议的区域。"), "case_outside_area")


def _check_owner(owner: TeamMember, meeting: Meeting) -> None:
    team_path = Area.objects.filter(team__members=owner).values_list("path", flat=True).first() or ""
    if not team_path.startswith(meeting.area.path):
        raise field_error("owner", _("责任人须是本区域2+4团队的成员。"), "owner_outside_area")
    if meeting.kind == MeetingKind.WEEKLY and owner.end_date is not None and owner.end_date <= meeting.held_on:
        raise field_error("owner", _("责任人在会议当日已不在任。"), "owner_not_current")


@transaction.atomic
def decision_record(*, actor: Actor, meeting: Meeting, text: str, owner: TeamMember | None = None,
                    owner_name: str = "", due_date: date | None = None, case: Case | None = None,
                    escalate: bool = False) -> Decision:
    """Record a decision with its owner and deadline; ``escalate`` sends its case
    to the next level (complex -> street joint meeting -> district leading group)."""
    require_manage(actor, meeting.area)
    text = (text or "").strip()
    if not text:
        raise field_error("text", _("请填写决定事项。"), "required")
    if owner is not None:
        _check_owner(owner, meeting)
    owner_name = (owner_name or "").strip() or (owner.name if owner else "")
    if not owner_name:
        raise field_error("owner", _("请指定责任人。"), "required")
    if due_date is not None and due_date < meeting.held_on:
        raise field_error("due_date", _("完成期限不能早于会议日期。"), "due_before_meeting")
    if case is not None:
        _check_case_in_area(case, meeting)
    target = None
    if escalate:
        target = _escalation_target(meeting, case)
    decision = Decision.objects.create(meeting=meeting, text=text, owner=owner, owner_name=owner_name[:50],
                                       due_date=due_date, case=case, escalated=escalate)
    if target is not None:
        case_escalate_to(actor=actor, case=case, level=target,
                         reason=_("%(meeting)s决定：%(text)s") % {"meeting": meeting, "text": text})
    audit(actor, "meeting.decision_recorded", meeting, meeting.area, decision=decision.pk,
          case=case.pk if case else None, escalated=escalate)
    return decision


def _escalation_target(meeting: Meeting, case: Case | None) -> str:
    if case is None:
        raise field_error("case", _("提请上级须关联一个事件。"), "escalate_needs_case")
    level = CASE_LEVEL[meeting.kind]
    target = NEXT_LEVEL.get(level)
    if target is None:
        raise field_error("escalate", _("区领导小组会议没有更上一级。"), "no_higher_level")
    if not case.is_open:
        raise field_error("case", _("该事件已办结，不能提请上级。"), "case_closed")
    if case.level != level:
        raise field_error("case", _("该事件已不在本级办理（当前：%(level)s）。") % {"level": case.get_level_display()},
                          "case_not_at_level")
    return target


@transaction.atomic
def decision_complete(*, actor: Actor, decision: Decision) -> Decision:
    """Mark a decision carried out."""
    require_manage(actor, decision.meeting.area)
    if decision.done_at is None:
        decision.done_at = timezone.now()
        decision.save(update_fields=["done_at"])
        audit(actor, "meeting.decision_done", decision.meeting, decision.meeting.area, decision=decision.pk)
    return decision

