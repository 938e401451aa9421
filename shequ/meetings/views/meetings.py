"""Meeting pages: the list, scheduling, and one meeting with its agenda,
attendance, minutes and decisions, each section updated inline with htmx."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.core.scoping import subtree_q
from shequ.meetings import selectors, services
from shequ.meetings.forms import (
    AgendaItemForm, AgendaNoteForm, AttendanceForm, DecisionForm, MeetingFilterForm, MeetingScheduleForm, MinutesForm,
)
from shequ.meetings.models import AgendaItem, Decision, Meeting, MeetingKind, TeamMember
from shequ.meetings.services.common import VIEW
from shequ.meetings.views.common import actor_of, fetch_or_404, is_htmx, require_manage, submit
from shequ.registry.models import Area
from shequ.registry.selectors import page_number, paginate

FRAGMENT = "meetings/meeting_detail_fragment_{}.html"


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    form = MeetingFilterForm(request.GET)
    meetings = selectors.meeting_list(user=request.user, kind=form.value("kind"))
    page = paginate(meetings, page_number(request.GET.get("page")))
    return render(request, "meetings/meeting_list.html", {
        "form": form, "page": page, "rows": page.rows,
        "schedulable": selectors.meeting_areas_managed(user=request.user),
    })


@login_required
def meeting_schedule(request: HttpRequest, area_id: int) -> HttpResponse:
    area = get_object_or_404(Area.objects.visible_to(request.user, VIEW), pk=area_id)
    require_manage(request, area)
    form = MeetingScheduleForm(request.POST or None)
    meeting = submit(request, form, lambda data: services.meeting_schedule(
        actor=actor_of(request), area=area, **data), field_map={"area": None}, success=_("已安排会议，议程已生成。"))
    if meeting:
        return redirect("meetings:meeting_detail", pk=meeting.pk)
    kind = services.meeting_kind_for(area) if area.level in ("complex", "street", "district") else ""
    return render(request, "meetings/meeting_schedule.html", {
        "form": form, "area": area, "kind_label": dict(MeetingKind.choices).get(kind, ""),
    })


def _owners(meeting: Meeting):
    """Who may own a decision: the complex's current team for a weekly meeting,
    the teams of the area's complexes for a street or district meeting."""
    if meeting.kind == MeetingKind.WEEKLY:
        return TeamMember.objects.filter(team__complex_id=meeting.area_id).current(on=meeting.held_on) \
            .order_by("role", "pk")
    return TeamMember.objects.filter(subtree_q("team__complex__path", meeting.area.path)) \
        .current(on=meeting.held_on).filter(role__in=["service_leader", "street_liaison"]) \
        .select_related("team__complex").order_by("team__complex__path", "role")


def _forms(meeting: Meeting, **bound) -> dict:
    roster = services.meeting_roster(meeting=meeting)
    agenda_cases = selectors.meeting_agenda_cases(meeting=meeting)
    attendance = selectors.meeting_attendance(meeting=meeting)
    present = [row.member_id for row in attendance if row.member_id and row.present]
    guests = "\n".join(f"{row.name} {row.role}".strip() for row in attendance if row.member_id is None)
    return {
        "minutes_form": bound.get("minutes_form") or MinutesForm(initial={
            "minutes": meeting.minutes, "is_held": meeting.is_held, "location": meeting.location}),
        "attendance_form": bound.get("attendance_form") or AttendanceForm(
            roster=roster, initial={"members": present, "guests": guests}),
        "item_form": bound.get("item_form") or AgendaItemForm(),
        "decision_form": bound.get("decision_form") or DecisionForm(owners=_owners(meeting), cases=agenda_cases),
    }


def _context(request: HttpRequest, meeting: Meeting, **bound) -> dict:
    return {
        "meeting": meeting,
        "agenda": selectors.meeting_agenda(meeting=meeting),
        "attendance": selectors.meeting_attendance(meeting=meeting),
        "decisions": selectors.meeting_decisions(meeting=meeting),
        "can_manage": selectors.can_manage(request.user, meeting.area),
        **_forms(meeting, **bound),
        **{key: value for key, value in bound.items() if not key.endswith("_form")},
    }


def _section(request: HttpRequest, meeting: Meeting, part: str, **bound) -> HttpResponse:
    """The section as an htmx fragment, else back to the page."""
    if not is_htmx(request):
        return redirect("meetings:meeting_detail", pk=meeting.pk)
    return render(request, FRAGMENT.format(part), _context(request, meeting, **bound))


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = fetch_or_404(selectors.meeting_get, request, pk)
    return render(request, "meetings/meeting_detail.html", _context(request, meeting))


def _managed_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = fetch_or_404(selectors.meeting_get, request, pk)
    require_manage(request, meeting.area)
    return meeting


@login_required
@require_POST
def agenda_build(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    errors = []
    try:
        services.meeting_build_agenda(meeting=meeting, actor=actor_of(request))
    except ValidationError as exc:
        errors = exc.messages
        if not is_htmx(request):
            messages.error(request, " ".join(errors))
    return _section(request, meeting, "agenda", agenda_errors=errors)


@login_required
@require_POST
def agenda_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    form = AgendaItemForm(request.POST)
    added = submit(request, form, lambda data: services.agenda_item_add(
        actor=actor_of(request), meeting=meeting, title=data["title"]))
    return _section(request, meeting, "agenda", **({} if added else {"item_form": form}))


@login_required
@require_POST
def agenda_note(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(AgendaItem.objects.select_related("meeting__area")
                             .filter(meeting__in=selectors.meeting_list(user=request.user)), pk=pk)
    require_manage(request, item.meeting.area)
    form = AgendaNoteForm(request.POST)
    submit(request, form, lambda data: services.agenda_item_note(actor=actor_of(request), item=item, note=data["note"]))
    return _section(request, item.meeting, "agenda")


@login_required
@require_POST
def attendance_record(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    form = AttendanceForm(request.POST, roster=services.meeting_roster(meeting=meeting))
    saved = submit(request, form, lambda data: services.meeting_attendance_record(
        actor=actor_of(request), meeting=meeting, present_member_ids=data["members"], guests=data["guests"]),
        field_map={"members": "members", "guests": "guests"})
    return _section(request, meeting, "attendance", **({} if saved is not None else {"attendance_form": form}))


@login_required
@require_POST
def minutes_record(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    form = MinutesForm(request.POST)
    saved = submit(request, form, lambda data: services.meeting_record(actor=actor_of(request), meeting=meeting,
                                                                      **data),
                   success="" if is_htmx(request) else _("已保存会议纪要。"))
    return _section(request, meeting, "minutes", **({} if saved else {"minutes_form": form}))


@login_required
@require_POST
def decision_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _managed_meeting(request, pk)
    form = DecisionForm(request.POST, owners=_owners(meeting), cases=selectors.meeting_agenda_cases(meeting=meeting))
    added = submit(request, form, lambda data: services.decision_record(
        actor=actor_of(request), meeting=meeting, **data))
    if added and added.escalated and not is_htmx(request):
        messages.success(request, _("已提请上一级会议协调。"))
    return _section(request, meeting, "decisions", **({} if added else {"decision_form": form}))


@login_required
@require_POST
def decision_done(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(Decision.objects.select_related("meeting__area")
                                 .filter(meeting__in=selectors.meeting_list(user=request.user)), pk=pk)
    require_manage(request, decision.meeting.area)
    services.decision_complete(actor=actor_of(request), decision=decision)
    return _section(request, decision.meeting, "decisions")
