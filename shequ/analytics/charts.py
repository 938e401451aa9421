"""The trend chart as server-side SVG, drawn from the numbers here and written
out by a template (analytics/figures_fragment_trend.html).

Why hand-made SVG and not a chart library: government intranets have no internet,
so every asset must ship with us. Inline SVG needs no asset at all (no script,
no font, no image request), renders the same in every browser, prints, works
without JavaScript, carries its numbers in <title> elements for screen readers
and hover, and is testable as text. A monthly bar-and-line chart is a few dozen
lines of geometry; a JS library would add a static bundle to keep up to date for
one chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from shequ.analytics.counters import MonthPoint

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 48, 16, 40


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Label:
    x: float
    text: str


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_x: int = WIDTH - RIGHT
    baseline: float = HEIGHT - BOTTOM
    top: int = TOP
    bars: list[Bar] = field(default_factory=list)
    line: str = ""  # polyline points of the on-time rate
    dots: list[tuple[float, float, str]] = field(default_factory=list)
    count_ticks: list[Tick] = field(default_factory=list)
    rate_ticks: list[Tick] = field(default_factory=list)
    months: list[Label] = field(default_factory=list)
    title: str = ""
    empty: bool = True


def _nice_ceiling(value: int) -> int:
    """The smallest 1/2/5 x 10^n at or above ``value`` (at least 4), for round tick labels."""
    if value <= 4:
        return 4
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def trend_chart(points: list[MonthPoint]) -> Chart:
    """Monthly received and resolved (bars, left axis) and the on-time rate (line, right axis)."""
    chart = Chart(title=_("月度受理、办结数量与按时办结率"))
    if not points:
        return chart
    chart.empty = not any(point.received or point.resolved for point in points)
    plot_height = chart.baseline - TOP
    plot_width = chart.right_x - LEFT
    ceiling = _nice_ceiling(max(max(point.received, point.resolved) for point in points))
    for share in (0, 0.25, 0.5, 0.75, 1):
        y = round(chart.baseline - share * plot_height, 1)
        chart.count_ticks.append(Tick(y, str(round(ceiling * share))))
        chart.rate_ticks.append(Tick(y, f"{round(share * 100)}%"))
    slot = plot_width / len(points)
    bar_width = slot * 0.34
    line = []
    for index, point in enumerate(points):
        x0 = LEFT + index * slot + slot * 0.14
        month = f"{point.month:%Y-%m}"
        for offset, value, css, name in ((0, point.received, "received", _("受理")),
                                         (bar_width, point.resolved, "resolved", _("办结"))):
            height = round(plot_height * value / ceiling, 1)
            chart.bars.append(Bar(round(x0 + offset, 1), round(chart.baseline - height, 1), round(bar_width, 1),
                                  height, css, f"{month} {name} {value}"))
        centre = round(LEFT + index * slot + slot / 2, 1)
        if index == 0:
            text = f"{point.month:%Y-%m}"
        elif point.month.month == 1:
            text = f"{point.month:%Y}"
        else:
            text = _("%(month)d月") % {"month": point.month.month}
        chart.months.append(Label(centre, text))
        rate = point.on_time_rate
        if rate is not None:
            y = round(chart.baseline - rate * plot_height, 1)
            line.append(f"{centre},{y}")
            chart.dots.append((centre, y, f"{month} " + _("按时办结率") + f" {rate * 100:.1f}%"))
    chart.line = " ".join(line)
    return chart
