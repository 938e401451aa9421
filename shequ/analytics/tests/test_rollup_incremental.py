"""Case services mark what they change; a refresh recounts exactly that."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.analytics import selectors, services
from shequ.analytics.models import AreaDay, RollupMark, RollupState
from shequ.analytics.periods import Period
from shequ.cases import services as cases
from shequ.cases.models import Case, Category, Channel, Status

SYSTEM = Actor.system(via="test")


def _received(user, area, period=None):
    period = period or Period.containing("year", timezone.localdate())
    return selectors.figures_get(user=user, area=area, period=period).total


@pytest.fixture
def new_case(tree, db):
    def make(**overrides):
        values = {"channel": Channel.STAFF, "category": Category.objects.get(code="garbage"), "title": "垃圾未清运",
                  "description": "3号楼门口垃圾堆放两天无人清运。", "area": tree.building_a}
        values.update(overrides)
        return cases.case_create(actor=SYSTEM, **values)
    return make


def test_it_marks_the_bucket_of_a_created_case(new_case, tree):
    case = new_case()
    assert list(RollupMark.objects.values_list("complex_id", "day")) == [
        (tree.complex_a.pk, services.local_day(case.received_at))]


def test_it_counts_a_new_case_on_the_next_refresh_only(new_case, tree, street_cadre):
    new_case()
    assert _received(street_cadre, tree.street).received == 0
    services.rollup_refresh()
    assert _received(street_cadre, tree.street).received == 1
    assert not RollupMark.objects.exists()


def test_it_follows_a_case_through_its_life(tree, street_cadre, resident_user):
    resident = Actor(user=resident_user)
    case = cases.case_create(actor=resident, channel=Channel.RESIDENT, category=Category.objects.get(code="water"),
                             area=tree.house_a.area, title="停水", description="家里停水一天了")
    cases.case_accept(actor=SYSTEM, case=case)
    cases.case_resolve(actor=SYSTEM, case=case, resolution="已修复水管")
    services.rollup_refresh()
    figures = _received(street_cadre, tree.community_a)
    assert (figures.received, figures.received_utilities, figures.resolved, figures.satisfaction_count) == (1, 1, 1, 0)
    cases.case_confirm(actor=resident, case=case, satisfaction=5)
    services.rollup_refresh()
    figures = _received(street_cadre, tree.community_a)
    assert (figures.satisfaction_sum, figures.satisfaction_count, figures.satisfied) == (5, 1, 1)
    assert figures.resolved_on_time == 1


def test_it_counts_escalations_to_street_and_district(new_case, tree, street_cadre):
    case = new_case()
    cases.case_escalate(actor=SYSTEM, case=case, reason="小区无法协调")
    services.rollup_refresh()
    assert (_received(street_cadre, tree.street).escalated_street,
            _received(street_cadre, tree.street).escalated_district) == (1, 0)
    cases.case_escalate(actor=SYSTEM, case=case, reason="街道无法协调")
    services.rollup_refresh()
    figures = _received(street_cadre, tree.street)
    assert (figures.escalated_street, figures.escalated_district) == (1, 1)


def test_it_stays_equal_to_the_cases_after_random_service_steps(random_cases, tree, city_cadre):
    """History in bulk, one rebuild, then the services change cases here and there."""
    now = timezone.now()
    random_cases(200, seed=11, start=now - timedelta(days=400), end=now - timedelta(hours=3))
    services.rollup_rebuild()
    rng = random.Random(3)
    open_cases = list(Case.objects.filter(status__in=[Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS])
                      .order_by("pk"))
    rng.shuffle(open_cases)
    for case in open_cases[:8]:
        cases.case_resolve(actor=SYSTEM, case=case, resolution="已处理")
    for case in open_cases[8:12]:
        cases.case_escalate(actor=SYSTEM, case=case, reason="协调不了")
    for case in open_cases[12:14]:
        cases.case_close(actor=SYSTEM, case=case, note="居民撤回")
    merge_from, merge_into = open_cases[14], next(
        case for case in open_cases[15:] if case.complex_id == open_cases[14].complex_id)
    cases.case_merge(actor=SYSTEM, case=merge_from, into=merge_into)
    done = Case.objects.filter(status=Status.CLOSED, resolved_at__isnull=False).order_by("pk").first()
    cases.case_reopen(actor=SYSTEM, case=done, reason="问题复发")
    report = services.rollup_refresh()
    assert report.buckets >= 10
    for period in (Period.year(now.year), Period.year(now.year - 1), Period.containing("month", now.date())):
        for area in (tree.city, tree.community_a, tree.complex_b):
            children = selectors.figures_children(user=city_cadre, area=area)
            rolled = selectors.figures_get(user=city_cadre, area=area, period=period, children=children)
            direct = selectors.figures_direct(user=city_cadre, area=area, period=period, children=children)
            assert rolled.total == direct.total, (area.name, period.label)
            assert [row.counters for row in rolled.children] == [row.counters for row in direct.children]


def test_it_defers_a_backlog_larger_than_the_limit(new_case, tree, street_cadre):
    for _ in range(3):
        new_case()
    report = services.rollup_refresh(limit=2)
    assert report.deferred and RollupMark.objects.count() == 3
    assert _received(street_cadre, tree.street).received == 0


def test_it_turns_a_huge_batch_into_one_rebuild_mark(random_cases, tree, city_cadre, monkeypatch):
    now = timezone.now()
    made = random_cases(30, seed=5, start=now - timedelta(days=60), end=now - timedelta(hours=1))
    monkeypatch.setattr(services, "MARKS_PER_CALL", 3)
    services.rollup_mark(cases=made)
    mark = RollupMark.objects.get()
    assert mark.complex_id is None and mark.day == min(services.local_day(case.received_at) for case in made)
    assert services.rollup_refresh(limit=100).deferred  # a page leaves rebuilds to analytics_rollup
    report = services.rollup_refresh()
    assert report.rebuilt_since == mark.day
    period = Period.custom(mark.day, now.date())
    assert (selectors.figures_get(user=city_cadre, area=tree.city, period=period).total
            == selectors.figures_direct(user=city_cadre, area=tree.city, period=period).total)


def test_it_reports_freshness(new_case, tree):
    assert services.rollup_status()[1] == 0
    new_case()
    services.rollup_refresh()
    refreshed_at = RollupState.objects.get().refreshed_at
    new_case()
    fresh_at, pending = services.rollup_status()
    assert (fresh_at, pending) == (refreshed_at, 1)


def test_the_command_refreshes_marked_buckets(new_case, tree, capsys):
    new_case()
    call_command("analytics_rollup")
    assert "recomputed 1 bucket(s) from 1 mark(s)" in capsys.readouterr().out
    assert AreaDay.objects.filter(area=tree.complex_a).get().received == 1
    # a row for every level above the complex too
    assert AreaDay.objects.filter(area__in=[tree.community_a, tree.street, tree.district, tree.city]).count() == 4


def test_the_command_rebuilds_since_a_day(new_case, tree, capsys):
    new_case()
    call_command("analytics_rollup", "--since", (timezone.localdate() - timedelta(days=3)).isoformat())
    assert "rebuilt from" in capsys.readouterr().out
    assert AreaDay.objects.get(area=tree.city).received == 1


def test_the_command_refuses_a_bad_date(db):
    with pytest.raises(CommandError):
        call_command("analytics_rollup", "--since", "2025-13-01")


def test_it_removes_the_rows_of_a_day_whose_cases_all_merged(new_case, tree):
    first, second = new_case(), new_case()
    services.rollup_refresh()
    cases.case_merge(actor=SYSTEM, case=second, into=first)
    services.rollup_refresh()
    assert AreaDay.objects.get(area=tree.complex_a, day=services.local_day(first.received_at)).received == 1
