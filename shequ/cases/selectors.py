"""Case reads: the scoped querysets behind the case pages.

Staff see cases through ``Case.objects.visible_to(user, "cases.view")``; a
resident sees only the cases they reported (``reporter_user``). Every selector
joins what its page shows, so templates run no queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.models import User
from shequ.accounts.roles import Capability
from shequ.accounts.scope import grant_paths, user_can
from shequ.cases.deadlines import policies, policy_for
from shequ.cases.models import Case, CaseEvent, CasePhoto, Category
from shequ.cases.services.lifecycle import ALLOWED_FROM, NEXT_LEVEL
from shequ.core.scoping import subtree_q
from shequ.registry.models import Area
from shequ.registry.models.area import AreaLevel

_NUMBER_RE = re.compile(r"^SQ\d", re.IGNORECASE)
_LIST_RELATED = ("category", "complex", "area")


def _staff_cases(user: User) -> QuerySet:
    return Case.objects.visible_to(user, Capability.CASES_VIEW)


def case_list(
    *, user: User, query: str = "", status: str = "", category: Category | None = None, channel: str = "",
    level: str = "", overdue: bool = False, complex_area: Area | None = None, now: datetime | None = None,
) -> QuerySet:
    """The staff case list, newest first, with the chosen filters."""
    cases = _staff_cases(user).select_related(*_LIST_RELATED)
    query = (query or "").strip()
    if query:
        if _NUMBER_RE.match(query):
            cases = cases.filter(number__startswith=query.upper())
        else:
            cases = cases.filter(title__icontains=query)
    if status:
        cases = cases.filter(status=status)
    if category is not None:
        cases = cases.filter(Q(category=category) | Q(category__parent=category))
    if channel:
        cases = cases.filter(channel=channel)
    if level:
        cases = cases.filter(level=level)
    if overdue:
        cases = cases.overdue(now or timezone.now())
    if complex_area is not None:
        cases = cases.filter(subtree_q("area__path", complex_area.path))
    return cases.order_by("-received_at", "-pk")


def case_get(*, user: User, pk: int) -> Case:
    """One case the staff user may see; ``Case.DoesNotExist`` otherwise (a 404)."""
    return _staff_cases(user).select_related(
        "category", "complex", "area", "reporter", "assignee_org", "accountable", "merged_into", "reporter_user",
    ).get(pk=pk)


def my_cases(*, user: User) -> QuerySet:
    """The cases a resident reported themselves."""
    return Case.objects.filter(reporter_user_id=user.pk).select_related(*_LIST_RELATED).order_by("-received_at", "-pk")


def my_case_get(*, user: User, pk: int) -> Case:
    return my_cases(user=user).select_related("merged_into").get(pk=pk)


def case_timeline(*, case: Case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case).order_by("at", "pk"))


def case_photos(*, case: Case) -> list[CasePhoto]:
    return list(CasePhoto.objects.filter(case=case).order_by("uploaded_at", "pk"))


def photo_get(*, user: User, pk: int) -> CasePhoto:
    """A photo whose case the user may see as staff, or reported themselves."""
    photo = CasePhoto.objects.select_related("case").get(pk=pk)
    if photo.case.reporter_user_id == user.pk:
        return photo
    if _staff_cases(user).filter(pk=photo.case_id).exists():
        return photo
    raise CasePhoto.DoesNotExist


def merge_target_get(*, user: User, number: str) -> Case | None:
    """A case the user may handle, by its number (the merge form types it)."""
    number = (number or "").strip().upper()
    return Case.objects.visible_to(user, Capability.CASES_HANDLE).filter(number=number).first() if number else None


def complex_choices(*, user: User, limit: int = 500) -> list[Area]:
    """Complexes whose cases the user sees, for the list filter."""
    return list(Area.objects.visible_to(user, Capability.CASES_VIEW).active()
                .filter(level=AreaLevel.COMPLEX).order_by("path")[:limit])


def category_choices() -> list[tuple[int, str]]:
    """Active categories in tree order, children indented under their group."""
    categories = list(Category.objects.filter(is_active=True).order_by("sort", "code"))
    by_parent: dict[int | None, list[Category]] = {}
    for category in categories:
        by_parent.setdefault(category.parent_id, []).append(category)
    choices = []
    for top in by_parent.get(None, []):
        choices.append((top.pk, top.name))
        choices += [(child.pk, "\u3000" + child.name) for child in by_parent.get(top.pk, [])]
    return choices


# --- what a page may offer --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Deadline:
    """How a case stands against its deadline, for the badge."""

    state: str  # overdue / due_soon / paused / ok / done
    label: str


def deadline_state(case: Case, now: datetime | None = None, table=None) -> Deadline:
    now = now or timezone.now()
    if not case.is_open:
        return Deadline("done", "")
    if case.paused_since is not None:
        return Deadline("paused", str(_("已暂停计时")))
    if case.due_at is None:
        return Deadline("ok", "")
    if case.due_at < now:
        return Deadline("overdue", str(_("已超期")))
    warn = policy_for(case.category, case.urgency, table=table or policies()).warn_before
    if case.warned_at is not None or case.due_at - warn <= now:
        return Deadline("due_soon", str(_("即将到期")))
    return Deadline("ok", str(_("未超期")))


def staff_steps(*, user: User, case: Case) -> list[str]:
    """The steps the page offers this staff user on this case."""
    if not user_can(user, Capability.CASES_HANDLE, case.area):
        return []
    steps = [step for step, allowed in ALLOWED_FROM.items() if step != "confirm" and case.status in allowed]
    if case.level not in NEXT_LEVEL and "escalate" in steps:
        steps.remove("escalate")
    return steps


def resident_steps(*, user: User, case: Case) -> list[str]:
    if case.reporter_user_id != user.pk:
        return []
    return {"resolved": ["confirm", "reopen"], "waiting": ["resume"]}.get(case.status, [])


def resident_places(*, user: User) -> list[Area]:
    """Where a resident may report: their homes, and the building and complex of each."""
    homes = list(Area.objects.active().filter(path__in=grant_paths(user, Capability.CASES_REPORT))
                 .filter(level__in=[AreaLevel.HOUSE, AreaLevel.UNIT, AreaLevel.BUILDING, AreaLevel.COMPLEX]))
    ancestor_ids = {pk for home in homes for pk in home.ancestor_ids}
    around = Area.objects.active().filter(pk__in=ancestor_ids, level__in=[AreaLevel.BUILDING, AreaLevel.COMPLEX])
    places = {area.pk: area for area in [*homes, *around]}
    return sorted(places.values(), key=lambda area: (-area.depth, area.path))
