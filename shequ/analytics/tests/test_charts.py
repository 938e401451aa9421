"""The trend chart's geometry."""

from __future__ import annotations

from datetime import date

from shequ.analytics.charts import trend_chart
from shequ.analytics.counters import MonthPoint


def test_it_scales_bars_to_a_round_ceiling():
    chart = trend_chart([MonthPoint(date(2025, 1, 1), received=37, resolved=30, resolved_on_time=15),
                         MonthPoint(date(2025, 2, 1), received=0)])
    assert [tick.label for tick in chart.count_ticks] == ["0", "12", "25", "38", "50"]
    received = chart.bars[0]
    assert received.y + received.height == chart.baseline
    assert received.height == round((chart.baseline - chart.top) * 37 / 50, 1)
    assert not chart.empty


def test_it_draws_the_rate_only_for_months_with_resolutions():
    chart = trend_chart([MonthPoint(date(2025, 1, 1), received=4, resolved=2, resolved_on_time=1),
                         MonthPoint(date(2025, 2, 1), received=3)])
    assert len(chart.dots) == 1 and "50.0%" in chart.dots[0][2]
    assert chart.line.count(",") == 1


def test_it_labels_the_first_month_and_each_new_year():
    chart = trend_chart([MonthPoint(date(2024, 12, 1)), MonthPoint(date(2025, 1, 1)), MonthPoint(date(2025, 2, 1))])
    assert [label.text for label in chart.months] == ["2024-12", "2025", "2月"]
    assert chart.empty
