"""Response-time figures per complex: counts, medians and 90th percentiles, scoped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shequ.alarms.models import Alarm
from shequ.alarms.stats import Figure, alarm_response_stats, figure

pytestmark = pytest.mark.django_db


def _alarm(device, kind: str, raised_at, *, ack=None, dispatch=None, on_scene=None, close=None) -> Alarm:
    """An alarm with its step times given as seconds after ``raised_at``."""

    def at(seconds):
        return raised_at + timedelta(seconds=seconds) if seconds is not None else None

    status = ("closed" if close is not None else "on_scene" if on_scene is not None
              else "dispatched" if dispatch is not None else "acknowledged" if ack is not None else "raised")
    return Alarm.objects.create(kind=kind, status=status, area=device.area, device=device, occurred_at=raised_at,
                                last_occurred_at=raised_at, raised_at=raised_at, acknowledged_at=at(ack),
                                dispatched_at=at(dispatch), on_scene_at=at(on_scene), closed_at=at(close))


@pytest.fixture
def day():
    return timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=2)


@pytest.fixture
def fixture_alarms(door_a, gate_a, gate_b, day):
    """Complex A: six forced entries (one never acknowledged) and a door held; complex B: one forced entry."""
    for seconds in (10, 20, 30, 40, 100):
        _alarm(door_a, "forced_entry", day, ack=seconds, dispatch=seconds + 60,
               close=seconds + 600 if seconds != 100 else None)
    _alarm(gate_a, "door_held", day, ack=5, close=65)
    _alarm(gate_a, "forced_entry", day)  # never acknowledged: counted as raised, in no step
    _alarm(gate_b, "forced_entry", day, ack=999, close=1999)


def test_the_figure_is_count_median_and_nearest_rank_p90():
    assert figure([]) == Figure(0, None, None)
    assert figure([30, 10, 20, 40, 100]) == Figure(5, 30, 100)
    assert figure(list(range(1, 11))) == Figure(10, 5.5, 9)


def test_it_gives_each_step_per_complex_and_kind(fixture_alarms, guard, day):
    (complex_a,) = alarm_response_stats(user=guard, start=day.date(), end=day.date())

    assert (complex_a.name, complex_a.raised) == ("长庆坊", 7)
    by_kind = {kind.kind: kind for kind in complex_a.kinds}
    forced = by_kind["forced_entry"]
    assert forced.raised == 6
    assert forced.steps["acknowledge"] == Figure(5, 30, 100)
    assert forced.steps["dispatch"] == Figure(5, 90, 160)
    assert forced.steps["on_scene"] == Figure(0, None, None)
    assert forced.steps["close"] == Figure(4, 625, 640)
    assert by_kind["door_held"].steps["close"] == Figure(1, 65, 65)


def test_it_counts_only_the_users_areas(fixture_alarms, guard, street_cadre, day):
    assert [row.name for row in alarm_response_stats(user=guard, start=day.date(), end=day.date())] == ["长庆坊"]
    street = alarm_response_stats(user=street_cadre, start=day.date(), end=day.date())
    assert sorted(row.name for row in street) == ["西何小区", "长庆坊"]


def test_it_counts_only_the_date_range(fixture_alarms, guard, door_a, day):
    _alarm(door_a, "forced_entry", day - timedelta(days=1), ack=5000)

    (complex_a,) = alarm_response_stats(user=guard, start=day.date(), end=day.date())

    assert {kind.kind: kind.raised for kind in complex_a.kinds}["forced_entry"] == 6


def test_it_filters_by_kind(fixture_alarms, guard, day):
    (complex_a,) = alarm_response_stats(user=guard, start=day.date(), end=day.date(), kind="door_held")

    assert [kind.kind for kind in complex_a.kinds] == ["door_held"]


def test_the_page_shows_the_figures(client_for, fixture_alarms, guard, day):
    date = day.date().isoformat()

    html = client_for(guard).get(f"/alarms/stats/?start={date}&end={date}").content.decode()

    assert 'data-complex="长庆坊" data-kind="forced_entry"' in html
    assert '<td data-step="acknowledge-median">30 秒</td>' in html
    assert '<td data-step="close-p90">10 分 40 秒</td>' in html
    assert "西何小区" not in html


def test_the_page_refuses_a_reversed_range(client_for, guard):
    html = client_for(guard).get("/alarms/stats/?start=2024-05-02&end=2024-05-01").content.decode()

    assert "开始日期不能晚于结束日期" in html


def test_the_page_needs_the_alarms_role(client_for, worker):
    assert client_for(worker).get("/alarms/stats/").status_code == 403
