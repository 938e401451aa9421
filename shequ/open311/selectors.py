"""Reads behind the Open311 endpoints. Service requests are cases seen through
``Case.objects.visible_to(key user, "cases.view")``: a key lists and reads
exactly the cases its user may see, from every channel."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from shequ.accounts.roles import Capability
from shequ.cases.models import OPEN_STATUSES, Case, Category
from shequ.open311.models import ServiceRequest
from shequ.registry.models import Area
from shequ.registry.models.area import LEVEL_DEPTH, AreaLevel

#: the spec's default window and its widest allowed span
WINDOW = timedelta(days=90)
#: the spec's largest answer
MAX_RESULTS = 1000
OPEN, CLOSED = "open", "closed"


def service_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("parent")


def service_get(code: str) -> Category | None:
    return service_list().filter(code=code).prefetch_related("open311_attributes").first()


@dataclass(frozen=True)
class RequestQuery:
    """GET requests' filters, checked. With ``numbers`` the others are ignored (spec)."""

    numbers: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[str] = frozenset()


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in (value or "").split(",") if part.strip()))


def _moment(params: QueryDict, name: str, errors: dict[str, list[str]]) -> datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if raw[-6:-5] == " ":  # an unencoded "+08:00" in a query string arrives as " 08:00"
        raw = f"{raw[:-6]}+{raw[-5:]}"
    try:
        moment = parse_datetime(raw)
    except ValueError:
        moment = None
    if moment is None or timezone.is_naive(moment):
        errors.setdefault(name, []).append(_("须为带时区的 W3C 日期时间，如 2026-11-25T09:30:00+08:00。"))
        return None
    return moment


def request_query_parse(params: QueryDict) -> RequestQuery:
    """The filters of a GET requests query string; ValidationError names each bad one."""
    errors: dict[str, list[str]] = {}
    numbers = _split(params.get("service_request_id"))
    if len(numbers) > MAX_RESULTS:
        errors["service_request_id"] = [_("一次最多查询 %(max)d 个。") % {"max": MAX_RESULTS}]
    statuses = frozenset(_split(params.get("status")))
    if statuses - {OPEN, CLOSED}:
        errors["status"] = [_("只能是 open 或 closed（可用逗号分隔）。")]
    start, end = _moment(params, "start_date", errors), _moment(params, "end_date", errors)
    if start and end:
        if end < start:
            errors.setdefault("end_date", []).append(_("不能早于 start_date。"))
        elif end - start > WINDOW:
            errors.setdefault("end_date", []).append(_("查询时间段不能超过 %(days)d 天。") % {"days": WINDOW.days})
    if errors:
        raise ValidationError({name: [ValidationError(message) for message in messages]
                               for name, messages in errors.items()})
    return RequestQuery(numbers=numbers, service_codes=_split(params.get("service_code")), start=start, end=end,
                        statuses=statuses)


def _visible(user) -> QuerySet[Case]:
    return (Case.objects.visible_to(user, Capability.CASES_VIEW)
            .select_related("category", "area", "complex", "assignee_org", "merged_into", "open311"))


def request_list(*, user, query: RequestQuery, now: datetime | None = None) -> list[Case]:
    """At most 1000 cases, newest first, inside the key's areas."""
    cases = _visible(user)
    if query.numbers:
        return list(cases.filter(number__in=query.numbers).order_by("-received_at", "-pk")[:MAX_RESULTS])
    start, end = query.start, query.end
    if start is None and end is None:
        end = now or timezone.now()
    if start is None:
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    cases = cases.filter(received_at__gte=start, received_at__lte=end)
    if query.service_codes:
        cases = cases.filter(category__code__in=query.service_codes)
    if query.statuses == {OPEN}:
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif query.statuses == {CLOSED}:
        cases = cases.exclude(status__in=OPEN_STATUSES)
    return list(cases.order_by("-received_at", "-pk")[:MAX_RESULTS])


def request_get(*, user, number: str) -> Case | None:
    return _visible(user).filter(number=number).first()


def token_get(*, user, token: str) -> ServiceRequest | None:
    """The request a token names, if its case is in the key's areas."""
    row = ServiceRequest.objects.filter(token=token).select_related("case__area").first()
    if row is None or not Case.objects.visible_to(user, Capability.CASES_VIEW).filter(pk=row.case_id).exists():
        return None
    return row


def addresses_for(cases: Iterable[Case]) -> dict[int, str]:
    """'长庆坊 3号楼 2单元 0301' for each case's area, from the complex down, in one query."""
    areas = {case.area_id: case.area for case in cases}
    wanted = {ancestor for area in areas.values() for ancestor in area.ancestor_ids}
    complex_depth = LEVEL_DEPTH[AreaLevel.COMPLEX]
    names = {
        pk: name for pk, name, level in Area.objects.filter(pk__in=wanted).values_list("pk", "name", "level")
        if LEVEL_DEPTH[AreaLevel(level)] >= complex_depth
    }
    return {area_id: " ".join(names[pk] for pk in area.ancestor_ids if pk in names) for area_id, area in areas.items()}
