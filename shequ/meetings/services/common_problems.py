"""Common problems (共性问题): the same category rising across many complexes of a
street or district in a period, proposed as one item for that level's agenda.

A category qualifies in a period when cases of it came from at least
``min_complexes`` complexes of the area, and their count grew against the
previous period of the same length by at least ``min_rise`` (1.5 = half again as
many; any count beats an empty previous period). Categories are compared as they
are, not rolled up to their parents: the meeting needs a concrete problem.
Merged duplicates are left out so one complaint filed twice is not a rise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequ.accounts.audit import Actor
from shequ.cases.models import Case, Category, Status
from shequ.core.scoping import subtree_q
from shequ.meetings.models import AgendaItem, AgendaReason, CommonProblem, Meeting
from shequ.meetings.services.common import audit, field_error, require_manage
from shequ.registry.models import Area
from shequ.registry.models.area import AreaLevel

DEFAULT_MIN_COMPLEXES = 3
DEFAULT_MIN_RISE = Decimal("1.5")
LEVELS = (AreaLevel.STREET, AreaLevel.DISTRICT)


@dataclass(frozen=True)
class CategoryRise:
    category_id: int
    cases: int
    complexes: int
    previous: int


def _window(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, day after end 00:00) in local time: whole days, end inclusive."""
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(start, time.min), tz),
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz))


def previous_period(period_start: date, period_end: date) -> tuple[date, date]:
    """The period of the same length right before."""
    length = (period_end - period_start).days + 1
    return period_start - timedelta(days=length), period_start - timedelta(days=1)


def _cases_in(area: Area, start: date, end: date):
    low, high = _window(start, end)
    return (Case.objects.filter(subtree_q("complex__path", area.path), received_at__gte=low, received_at__lt=high)
            .exclude(status=Status.MERGED))


def category_rises(*, level_area: Area, period_start: date, period_end: date,
                   min_complexes: int = DEFAULT_MIN_COMPLEXES, min_rise: Decimal = DEFAULT_MIN_RISE,
                   ) -> list[CategoryRise]:
    """The categories that qualify as common problems of ``level_area`` in the period (two queries)."""
    current = (_cases_in(level_area, period_start, period_end).values("category_id")
               .annotate(cases=Count("pk"), complexes=Count("complex_id", distinct=True))
               .filter(complexes__gte=min_complexes))
    current = {row["category_id"]: row for row in current}
    if not current:
        return []
    before_start, before_end = previous_period(period_start, period_end)
    previous = dict(_cases_in(level_area, before_start, before_end).filter(category_id__in=list(current))
                    .values("category_id").annotate(cases=Count("pk")).values_list("category_id", "cases"))
    rises = []
    for category_id, row in sorted(current.items()):
        before = previous.get(category_id, 0)
        if row["cases"] > before and row["cases"] >= before * Decimal(min_rise):
            rises.append(CategoryRise(category_id, row["cases"], row["complexes"], before))
    return rises


def _title(area: Area, category: Category, rise: CategoryRise) -> str:
    return _("%(area)s：%(category)s类诉求在%(complexes)d个小区上升（%(cases)d件，上期%(previous)d件）") % {
        "area": area.name, "category": category.name, "complexes": rise.complexes, "cases": rise.cases,
        "previous": rise.previous}


def _validate(level_area: Area, period_start: date, period_end: date, min_complexes: int, min_rise) -> None:
    if level_area.level not in LEVELS:
        raise field_error("level_area", gettext_lazy("共性问题只在街道或区县层面提出。"), "wrong_level")
    if period_start is None or period_end is None or period_end < period_start:
        raise field_error("period_end", gettext_lazy("统计结束日期不能早于开始日期。"), "bad_period")
    if min_complexes < 1 or Decimal(min_rise) < 1:
        raise ValidationError(gettext_lazy("小区数阈值至少为1，增长倍数至少为1。"), code="bad_threshold")


@transaction.atomic
def common_problems_propose(*, level_area: Area, period_start: date, period_end: date,
                            min_complexes: int = DEFAULT_MIN_COMPLEXES, min_rise: Decimal = DEFAULT_MIN_RISE,
                            actor: Actor | None = None) -> list[CommonProblem]:
    """Propose one common problem per rising category of ``level_area`` in the period,
    linking the cases behind it. Returns the problems created by this call.

    Idempotent: a run over the same period refreshes a still-proposed problem's
    counts and cases instead of adding another, and a category that already has a
    problem for an overlapping period (whatever was decided on it) gets no new one."""
    _validate(level_area, period_start, period_end, min_complexes, min_rise)
    actor = actor or Actor.system(via="cli")
    require_manage(actor, level_area)
    created = []
    rises = category_rises(level_area=level_area, period_start=period_start, period_end=period_end,
                           min_complexes=min_complexes, min_rise=min_rise)
    categories = Category.objects.in_bulk([rise.category_id for rise in rises])
    for rise in rises:
        category = categories[rise.category_id]
        existing = CommonProblem.objects.select_for_update().filter(
            area=level_area, category=category, period_start__lte=period_end, period_end__gte=period_start)
        same = existing.filter(period_start=period_start, period_end=period_end).first()
        if same is None and existing.exists():
            continue
        case_ids = list(_cases_in(level_area, period_start, period_end).filter(category=category)
                        .values_list("pk", flat=True))
        values = {"title": _title(level_area, category, rise)[:200], "complexes_count": rise.complexes,
                  "cases_count": rise.cases, "previous_count": rise.previous}
        if same is None:
            problem = CommonProblem.objects.create(area=level_area, category=category, period_start=period_start,
                                                   period_end=period_end, **values)
            created.append(problem)
            audit(actor, "commonproblem.proposed", problem, level_area, category=category.code, **values)
        elif same.status == CommonProblem.Status.PROPOSED:
            problem = same
            CommonProblem.objects.filter(pk=problem.pk).update(**values)
        else:
            continue
        problem.cases.set(case_ids)
    return created


@transaction.atomic
def common_problem_accept(*, actor: Actor, problem: CommonProblem) -> CommonProblem:
    """Put the problem on its level's agenda: the next meeting not yet held gets it now,
    later agendas pick it up when they are built."""
    require_manage(actor, problem.area)
    if problem.status == CommonProblem.Status.ACCEPTED:
        return problem
    problem.status = CommonProblem.Status.ACCEPTED
    problem.save(update_fields=["status"])
    meeting = (Meeting.objects.filter(area_id=problem.area_id, is_held=False, held_on__gte=timezone.localdate())
               .order_by("held_on", "pk").first())
    if meeting is not None and not meeting.agenda.filter(common_problem=problem).exists():
        last = meeting.agenda.order_by("-order").values_list("order", flat=True).first() or 0
        AgendaItem.objects.create(meeting=meeting, common_problem=problem, title=problem.title,
                                  reason=AgendaReason.COMMON_PROBLEM, order=last + 1)
    audit(actor, "commonproblem.accepted", problem, problem.area, meeting=meeting.pk if meeting else None)
    return problem


@transaction.atomic
def common_problem_dismiss(*, actor: Actor, problem: CommonProblem) -> CommonProblem:
    """Decide the problem needs no meeting; it stays on record and is not proposed again."""
    require_manage(actor, problem.area)
    if problem.status != CommonProblem.Status.PROPOSED:
        raise ValidationError(gettext_lazy("只能对待审议的共性问题作出不予列入的决定。"), code="not_proposed")
    problem.status = CommonProblem.Status.DISMISSED
    problem.save(update_fields=["status"])
    audit(actor, "commonproblem.dismissed", problem, problem.area)
    return problem


def levels_to_propose_for() -> list[Area]:
    """Every active street and district: the areas the periodic run looks at."""
    return list(Area.objects.active().filter(Q(level=AreaLevel.STREET) | Q(level=AreaLevel.DISTRICT))
                .order_by("path"))
