"""Reporting periods and the period picker."""

from __future__ import annotations

from datetime import date

import pytest

from shequ.analytics.forms import PeriodForm
from shequ.analytics.periods import MAX_CUSTOM_DAYS, Period

TODAY = date(2026, 5, 20)


def test_it_bounds_a_month_a_quarter_and_a_year():
    assert (Period.month(2024, 2).start, Period.month(2024, 2).end) == (date(2024, 2, 1), date(2024, 2, 29))
    assert (Period.quarter(2025, 4).start, Period.quarter(2025, 4).end) == (date(2025, 10, 1), date(2025, 12, 31))
    assert Period.year(2025).days == 365


def test_it_steps_to_the_previous_and_next_period():
    assert Period.month(2025, 1).shifted(-1) == Period.month(2024, 12)
    assert Period.quarter(2025, 4).shifted(1) == Period.quarter(2026, 1)
    assert Period.custom(date(2025, 1, 1), date(2025, 1, 10)).shifted(1) == Period.custom(date(2025, 1, 11),
                                                                                        date(2025, 1, 20))


def test_the_trend_ends_with_the_periods_last_month():
    months = Period.quarter(2025, 1).trend_months()
    assert (len(months), months[0], months[-1]) == (12, date(2024, 4, 1), date(2025, 3, 1))


@pytest.mark.parametrize("period", [Period.month(2025, 7), Period.quarter(2024, 3), Period.year(2023),
                                    Period.custom(date(2025, 1, 5), date(2025, 2, 6))])
def test_the_form_reads_back_the_query_a_period_writes(period):
    form = PeriodForm(period.as_query(), today=TODAY)
    assert form.period() == period


def test_the_form_defaults_to_this_year():
    assert PeriodForm(None, today=TODAY).period() == Period.year(2026)
    assert PeriodForm({"kind": "month"}, today=TODAY).period() == Period.month(2026, 5)


@pytest.mark.parametrize("data, code", [
    ({"kind": "custom", "start": "2025-01-01"}, "custom_incomplete"),
    ({"kind": "custom", "start": "2025-02-01", "end": "2025-01-01"}, "custom_reversed"),
    ({"kind": "custom", "start": "2020-01-01", "end": "2025-01-01"}, "custom_too_long"),
])
def test_the_form_refuses_a_bad_custom_period(data, code):
    form = PeriodForm(data, today=TODAY)
    assert not form.is_valid()
    assert form.errors.as_data()["__all__"][0].code == code
    assert form.period() == Period.year(2026)


@pytest.mark.parametrize("data", [{"kind": "month", "month": "13"}, {"kind": "week"}, {"year": "abc"}])
def test_the_form_refuses_nonsense(data):
    assert not PeriodForm(data, today=TODAY).is_valid()


def test_a_custom_period_may_span_the_maximum():
    start = date(2023, 1, 1)
    end = date.fromordinal(start.toordinal() + MAX_CUSTOM_DAYS - 1)
    assert PeriodForm({"kind": "custom", "start": start, "end": end}, today=TODAY).is_valid()
