"""Working-time arithmetic on the holiday calendar (2026 rows come from the data migration)."""

from __future__ import annotations

from datetime import datetime

import pytest

from shequ.cases.deadlines import TZ, WorkCalendar, deadline_for, due_at, shift_for_pause, working_seconds_between
from shequ.cases.models import CalendarDay, Category, DayKind, DeadlinePolicy, DeadlineUnit, Urgency

pytestmark = pytest.mark.django_db


def at(y, m, d, h=0, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=TZ)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar.load(2025, 2027)


def test_it_skips_the_weekend_for_working_days(cal):
    # Friday 20 Nov 2026: the day of receipt does not count; Mon..Fri, Mon, Tue
    assert due_at(at(2026, 11, 20, 10), amount=7, unit=DeadlineUnit.WORKING_DAYS, calendar=cal) == at(2026, 12, 1, 18)


def test_it_skips_a_public_holiday_and_counts_the_worked_saturday(cal):
    # National Day 1–7 Oct 2026 is off; Sat 10 Oct is a 调休 working day
    assert due_at(at(2026, 9, 30, 10), amount=3, unit=DeadlineUnit.WORKING_DAYS, calendar=cal) == at(2026, 10, 10, 18)


def test_it_counts_a_tiaoxiu_saturday_as_working(cal):
    # Sat 14 Feb 2026 is worked before the Spring Festival
    assert due_at(at(2026, 2, 13, 10), amount=1, unit=DeadlineUnit.WORKING_DAYS, calendar=cal) == at(2026, 2, 14, 18)


def test_it_skips_the_whole_spring_festival(cal):
    # from Sat 14 Feb (worked): 15–23 Feb are the holiday, Tue 24 Feb is the next working day
    assert due_at(at(2026, 2, 14, 10), amount=1, unit=DeadlineUnit.WORKING_DAYS, calendar=cal) == at(2026, 2, 24, 18)


def test_it_treats_an_ordinary_saturday_as_rest(cal):
    assert not cal.is_working_day(at(2026, 11, 21).date())
    assert cal.is_working_day(at(2026, 2, 28).date())  # 调休
    assert not cal.is_working_day(at(2026, 10, 1).date())  # holiday on a Thursday


def test_it_stops_the_working_hours_clock_over_lunch(cal):
    assert due_at(at(2026, 11, 23, 11), amount=2, unit=DeadlineUnit.WORKING_HOURS, calendar=cal) == at(2026, 11, 23, 14)


def test_it_carries_working_hours_overnight(cal):
    assert due_at(at(2026, 11, 23, 17), amount=2, unit=DeadlineUnit.WORKING_HOURS, calendar=cal) == at(2026, 11, 24, 10)


def test_it_ends_at_close_of_day_rather_than_next_morning(cal):
    assert due_at(at(2026, 11, 23, 17), amount=1, unit=DeadlineUnit.WORKING_HOURS, calendar=cal) == at(2026, 11, 23, 18)


def test_it_starts_the_working_clock_on_the_next_working_morning(cal):
    # received Saturday night: counting starts Monday 09:00
    assert due_at(at(2026, 11, 21, 22), amount=1, unit=DeadlineUnit.WORKING_HOURS, calendar=cal) == at(2026, 11, 23, 10)


def test_it_counts_natural_hours_through_the_night(cal):
    assert due_at(at(2026, 11, 21, 23), amount=2, unit=DeadlineUnit.HOURS, calendar=cal) == at(2026, 11, 22, 1)


def test_it_refuses_an_unknown_unit(cal):
    with pytest.raises(ValueError):
        due_at(at(2026, 11, 23, 9), amount=1, unit="fortnights", calendar=cal)


def test_it_measures_working_time_inside_an_interval(cal):
    # Fri 17:00 -> Mon 10:00: one hour on Friday, one on Monday
    assert working_seconds_between(at(2026, 11, 20, 17), at(2026, 11, 23, 10), cal) == 2 * 3600


def test_it_moves_a_working_deadline_only_by_the_working_time_of_a_pause_over_a_weekend(cal):
    due = at(2026, 11, 24, 18)  # Tuesday close of day
    shifted = shift_for_pause(due, at(2026, 11, 20, 17), at(2026, 11, 23, 10),
                              unit=DeadlineUnit.WORKING_DAYS, calendar=cal)
    assert shifted == at(2026, 11, 25, 11)  # two working hours later: Wednesday 11:00


def test_it_moves_a_natural_deadline_by_the_whole_pause(cal):
    due = at(2026, 11, 21, 12)
    shifted = shift_for_pause(due, at(2026, 11, 20, 17), at(2026, 11, 23, 10), unit=DeadlineUnit.HOURS, calendar=cal)
    assert shifted == at(2026, 11, 24, 5)


def test_it_gives_an_urgent_case_two_hours_whatever_its_category(cal):
    dispute = Category.objects.get(code="neighbour_dispute")
    assert deadline_for(dispute, Urgency.URGENT, at(2026, 11, 21, 23), cal) == at(2026, 11, 22, 1)


def test_it_gives_utilities_twenty_four_hours(cal):
    water = Category.objects.get(code="water")
    assert deadline_for(water, Urgency.NORMAL, at(2026, 11, 20, 10), cal) == at(2026, 11, 21, 10)


def test_it_gives_an_ordinary_case_seven_working_days(cal):
    garbage = Category.objects.get(code="garbage")
    assert deadline_for(garbage, Urgency.NORMAL, at(2026, 11, 20, 10), cal) == at(2026, 12, 1, 18)


def test_it_gives_a_complex_case_fifteen_working_days(cal):
    illegal = Category.objects.get(code="illegal_structure")
    # from Mon 23 Nov 2026: 15 working days end Monday 14 December
    assert deadline_for(illegal, Urgency.NORMAL, at(2026, 11, 23, 10), cal) == at(2026, 12, 14, 18)


def test_it_follows_an_edited_policy():
    DeadlinePolicy.objects.filter(deadline_class="ordinary").update(amount=3, unit=DeadlineUnit.WORKING_HOURS)
    garbage = Category.objects.get(code="garbage")
    assert deadline_for(garbage, Urgency.NORMAL, at(2026, 11, 23, 16)) == at(2026, 11, 24, 10)


def test_it_follows_a_holiday_an_administrator_entered():
    CalendarDay.objects.create(date=at(2027, 1, 4).date(), kind=DayKind.HOLIDAY, name="测试")
    assert due_at(at(2027, 1, 1, 10), amount=1, unit=DeadlineUnit.WORKING_DAYS,
                  calendar=WorkCalendar.load(2027, 2027)) == at(2027, 1, 5, 18)


def test_it_loads_the_calendar_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        calendar = WorkCalendar.load(2025, 2026)
    assert at(2025, 1, 26).date() in calendar.workdays
    assert at(2026, 2, 15).date() in calendar.holidays


def test_it_refuses_naive_datetimes(cal):
    with pytest.raises(ValueError):
        due_at(datetime(2026, 11, 23, 9), amount=1, unit=DeadlineUnit.HOURS, calendar=cal)
