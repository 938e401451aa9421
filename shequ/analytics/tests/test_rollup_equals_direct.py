"""The rollup's figures equal the figures computed from the case rows one by one."""

from __future__ import annotations

from datetime import date

import pytest

from shequ.analytics import selectors
from shequ.analytics.periods import Period
from shequ.analytics.services import rollup_rebuild
from shequ.analytics.tests.conftest import local

PERIODS = [
    Period.year(2025), Period.year(2026), Period.month(2025, 2), Period.month(2025, 12),
    Period.quarter(2025, 4), Period.custom(date(2025, 3, 17), date(2025, 11, 3)),
    # a day boundary in Beijing time: cases received just before and after midnight
    Period.custom(date(2025, 6, 1), date(2025, 6, 1)),
]


def _snapshot(figures: selectors.Figures) -> dict:
    return {
        "total": figures.total.as_dict(),
        "children": {row.area.pk: row.counters.as_dict() for row in figures.children},
        "categories": {row.key: row.received for row in figures.categories},
        "channels": {row.key: row.received for row in figures.channels},
        "trend": [(point.month, point.received, point.resolved, point.resolved_on_time) for point in figures.trend],
    }


def _both(user, area, period):
    children = selectors.figures_children(user=user, area=area)
    rolled = selectors.figures_get(user=user, area=area, period=period, children=children)
    direct = selectors.figures_direct(user=user, area=area, period=period, children=children)
    return _snapshot(rolled), _snapshot(direct)


@pytest.fixture
def history(random_cases):
    cases = random_cases(600, seed=7, start=local(2024, 12, 1), end=local(2026, 2, 1))
    # a crowd right around a local midnight, where UTC and Beijing days differ
    cases += random_cases(40, seed=8, start=local(2025, 5, 31, 23, 50), end=local(2025, 6, 2, 0, 10))
    return cases


@pytest.mark.parametrize("period", PERIODS, ids=lambda period: period.label)
def test_it_gives_the_direct_figures_for_every_level(history, tree, city_cadre, period):
    rollup_rebuild()
    for area in (tree.city, tree.district, tree.street, tree.community_a, tree.community_b, tree.complex_a):
        rolled, direct = _both(city_cadre, area, period)
        assert rolled == direct, (area.name, period.label)


def test_it_counts_something_in_the_compared_figures(history, tree, city_cadre):
    """Guard against comparing two empty results: the data exercises every counter."""
    rollup_rebuild()
    rolled, _direct = _both(city_cadre, tree.street, Period.year(2025))
    total = rolled["total"]
    for name in ("received", "received_sanitation", "received_property", "received_utilities", "resolved",
                 "resolved_on_time", "handling_seconds", "satisfaction_count", "satisfied", "escalated_street",
                 "escalated_district"):
        assert total[name] > 0, name
    assert total["resolved_on_time"] < total["resolved"]
    assert len(rolled["children"]) == 2 and all(row["received"] for row in rolled["children"].values())


def test_it_leaves_merged_duplicates_out(history, tree, city_cadre):
    from shequ.cases.models import Case, Status

    rollup_rebuild()
    rolled, _direct = _both(city_cadre, tree.city, Period.custom(date(2024, 12, 1), date(2026, 2, 1)))
    assert rolled["total"]["received"] == Case.objects.exclude(status=Status.MERGED).count()
    assert Case.objects.filter(status=Status.MERGED).exists()


def test_it_rebuilds_from_a_day_to_the_same_figures(history, tree, city_cadre):
    rollup_rebuild()
    rollup_rebuild(since=date(2025, 7, 1))
    for period in (Period.year(2025), Period.month(2025, 6), Period.month(2025, 7)):
        rolled, direct = _both(city_cadre, tree.district, period)
        assert rolled == direct, period.label


def test_it_scopes_the_direct_figures_like_the_rollup(history, tree, worker):
    """Community A's worker: both computations see community A only."""
    rollup_rebuild()
    rolled, direct = _both(worker, tree.community_a, Period.year(2025))
    assert rolled == direct
    assert rolled["total"]["received"] > 0


def test_handling_time_rounds_down_a_hair_before_the_next_second_as_python_does(random_cases):
    from datetime import UTC, datetime

    from shequ.analytics.services import HANDLING
    from shequ.cases.models import Case

    (case,) = random_cases(1, seed=5, start=datetime(2025, 3, 1, tzinfo=UTC), end=datetime(2025, 3, 2, tzinfo=UTC))
    # SQLite keeps times in whole milliseconds and would round .9999 up to the next second
    Case.objects.filter(pk=case.pk).update(received_at=datetime(2025, 3, 1, 8, 0, 0, 1, tzinfo=UTC),
                                           resolved_at=datetime(2025, 3, 1, 9, 0, 0, 999_900, tzinfo=UTC))

    assert Case.objects.annotate(handling=HANDLING).get(pk=case.pk).handling == 3600
