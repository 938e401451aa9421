"""Figures pages: an area's figures for a period with its children to drill into,
and the Excel export of the same table."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.roles import Capability
from shequ.accounts.scope import user_can
from shequ.analytics import selectors, services
from shequ.analytics.charts import trend_chart
from shequ.analytics.columns import COLUMNS
from shequ.analytics.exports import XLSX_TYPE, figures_workbook
from shequ.analytics.forms import PeriodForm
from shequ.analytics.periods import Period
from shequ.registry.models import Area

#: a page brings the rollup up to date first when this few buckets wait; more is analytics_rollup's job
PAGE_REFRESH_LIMIT = 500


def _require_view(request: HttpRequest) -> None:
    if not user_can(request.user, Capability.CASES_VIEW):
        raise PermissionDenied


def _area(request: HttpRequest, area_id: int) -> Area:
    try:
        return selectors.figures_area_get(user=request.user, pk=area_id)
    except Area.DoesNotExist as exc:
        raise Http404 from exc


def _period(request: HttpRequest) -> tuple[PeriodForm, Period]:
    form = PeriodForm(request.GET or None, today=timezone.localdate())
    return form, form.period()


def _figures(request: HttpRequest, area: Area, period: Period) -> selectors.Figures:
    children = selectors.figures_children(user=request.user, area=area)
    return selectors.figures_get(user=request.user, area=area, period=period, children=children)


@login_required
def figures(request: HttpRequest, area_id: int | None = None) -> HttpResponse:
    _require_view(request)
    tops = selectors.figures_areas(user=request.user)
    if area_id is None:
        if not tops:
            return render(request, "analytics/figures_none.html")
        area = tops[0]
    else:
        area = _area(request, area_id)
    form, period = _period(request)
    if services.rollup_pending():
        services.rollup_refresh(limit=PAGE_REFRESH_LIMIT, wait=False)
    fresh_at, pending = services.rollup_status()
    figures = _figures(request, area, period)
    context = {
        "area": area, "period": period, "form": form, "figures": figures, "columns": COLUMNS,
        "chart": trend_chart(figures.trend), "fresh_at": fresh_at, "pending": pending,
        "breadcrumb": selectors.figures_breadcrumb(user=request.user, area=area),
        "tops": tops, "previous": period.shifted(-1), "next": period.shifted(1),
    }
    template = "analytics/figures_fragment_main.html" if request.htmx else "analytics/figures.html"
    return render(request, template, context)


@login_required
def figures_export(request: HttpRequest, area_id: int) -> HttpResponse:
    """The figures table as .xlsx; every export is audited."""
    _require_view(request)
    area = _area(request, area_id)
    _form, period = _period(request)
    figures = _figures(request, area, period)
    content = figures_workbook(figures)
    audit_append(actor=Actor.from_request(request, via="web"), action="export.figures", obj=area, detail={
        "period": period.as_query(), "start": period.start, "end": period.end, "rows": len(figures.children),
        "received": figures.total.received,
    })
    filename = _("诉求统计_%(area)s_%(start)s_%(end)s.xlsx") % {
        "area": area.name, "start": f"{period.start:%Y%m%d}", "end": f"{period.end:%Y%m%d}"}
    return HttpResponse(content, content_type=XLSX_TYPE,
                        headers={"Content-Disposition": content_disposition_header(True, filename)})
