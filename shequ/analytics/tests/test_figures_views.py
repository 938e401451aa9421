"""The figures page: default area, drill-down, scope, period, freshness, chart."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shequ.accounts.audit import Actor
from shequ.analytics.tests.conftest import local
from shequ.cases import services as cases
from shequ.cases.models import Category, Channel

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system(via="test")


def _case(area, **overrides):
    values = {"channel": Channel.STAFF, "category": Category.objects.get(code="garbage"), "title": "垃圾未清运",
              "description": "垃圾堆放两天无人清运。"}
    values.update(overrides)
    return cases.case_create(actor=SYSTEM, area=area, **values)


def _page(client, area=None, **params):
    url = reverse("analytics:figures_area", args=[area.pk]) if area else reverse("analytics:figures")
    return client.get(url, params)


def _total(response, column: str) -> str:
    row = re.search(r'<tr id="figures-total".*?</tr>', response.content.decode(), re.S).group(0)
    return re.search(rf'data-col="{column}">([^<]*)<', row).group(1)


def _child_ids(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'<tr data-area="(\d+)"', response.content.decode())}


def test_it_opens_on_the_users_top_area_with_its_children(street_cadre, client_for, tree):
    response = _page(client_for(street_cadre))
    assert response.status_code == 200
    assert response.context["area"] == tree.street
    assert _child_ids(response) == {tree.community_a.pk, tree.community_b.pk}


def test_a_community_worker_drills_down_to_its_own_complexes(worker, client_for, tree):
    client = client_for(worker)
    response = _page(client)
    assert response.context["area"] == tree.community_a
    assert _child_ids(response) == {tree.complex_a.pk}
    page = response.content.decode()
    # the street above is named in the breadcrumb but is not a link the worker could follow
    assert reverse("analytics:figures_area", args=[tree.street.pk]) not in page
    assert _page(client, tree.complex_a).status_code == 200


@pytest.mark.parametrize("name", ["street", "community_a", "complex_a", "district"])
def test_an_outsider_cannot_open_figures_of_community_a_or_above(outsider, client_for, tree, name):
    assert _page(client_for(outsider), getattr(tree, name)).status_code == 404


def test_an_outsider_sees_only_community_b(outsider, client_for, tree):
    _case(tree.building_a)
    _case(tree.unit_b)
    response = _page(client_for(outsider))
    assert response.context["area"] == tree.community_b
    assert _child_ids(response) == {tree.complex_b.pk}
    assert _total(response, "received") == "1"


def test_a_complex_team_sees_only_its_complex(complex_team, client_for, tree):
    _case(tree.building_a)
    _case(tree.unit_b)
    client = client_for(complex_team)
    response = _page(client)
    assert response.context["area"] == tree.complex_a
    assert _child_ids(response) == set()
    assert _total(response, "received") == "1"
    for other in (tree.community_a, tree.street, tree.complex_b):
        assert _page(client, other).status_code == 404


def test_the_street_compares_its_communities(street_cadre, client_for, tree):
    _case(tree.building_a)
    _case(tree.house_a.area, category=Category.objects.get(code="water"))
    _case(tree.unit_b, category=Category.objects.get(code="neighbour_dispute"))
    response = _page(client_for(street_cadre))
    rows = {row.area.pk: row.counters for row in response.context["figures"].children}
    assert rows[tree.community_a.pk].received == 2 and rows[tree.community_b.pk].received == 1
    assert _total(response, "received") == "3"
    assert _total(response, "three_groups_share") == "66.7%"


def test_the_period_filter_counts_cases_received_in_it(street_cadre, client_for, tree):
    year = timezone.localdate().year - 1
    _case(tree.building_a, received_at=local(year, 1, 15, 10))
    _case(tree.building_a, received_at=local(year, 3, 2, 10))
    _case(tree.building_a, received_at=local(year, 7, 1, 0, 5))
    client = client_for(street_cadre)
    assert _total(_page(client, tree.street, kind="month", year=year, month=1), "received") == "1"
    assert _total(_page(client, tree.street, kind="month", year=year, month=2), "received") == "0"
    assert _total(_page(client, tree.street, kind="quarter", year=year, quarter=1), "received") == "2"
    assert _total(_page(client, tree.street, kind="year", year=year), "received") == "3"
    custom = _page(client, tree.street, kind="custom", start=f"{year}-03-02", end=f"{year}-07-01")
    assert _total(custom, "received") == "2"
    assert _total(_page(client, tree.street), "received") == "0"  # this year by default


def test_it_refuses_a_reversed_custom_period_and_says_why(street_cadre, client_for, tree):
    response = _page(client_for(street_cadre), tree.street, kind="custom", start="2025-05-01", end="2025-04-01")
    assert response.status_code == 200
    assert "开始日期不能晚于结束日期。" in response.content.decode()
    assert response.context["period"].kind == "year"


def test_it_counts_changes_made_since_the_last_refresh(street_cadre, client_for, tree):
    client = client_for(street_cadre)
    assert _total(_page(client), "received") == "0"
    _case(tree.building_a)
    response = _page(client)
    assert _total(response, "received") == "1"
    assert "数据更新于" in response.content.decode()


def test_it_shows_meetings_held_and_visits_made(street_cadre, client_for, tree):
    from shequ.meetings.models import Meeting, MeetingKind, Visit

    today = timezone.localdate()
    Meeting.objects.create(kind=MeetingKind.WEEKLY, area=tree.complex_a, held_on=today, is_held=True)
    Meeting.objects.create(kind=MeetingKind.WEEKLY, area=tree.complex_a, held_on=today, is_held=False)
    Meeting.objects.create(kind=MeetingKind.STREET_JOINT, area=tree.street, held_on=today, is_held=True)
    Visit.objects.create(visitor_name="王明", house=tree.house_b, visited_on=today)
    figures = _page(client_for(street_cadre)).context["figures"]
    rows = {row.area.pk: row.counters for row in figures.children}
    assert (figures.total.meetings, figures.total.visits) == (2, 1)
    assert (rows[tree.community_a.pk].meetings, rows[tree.community_b.pk].visits) == (1, 1)


def test_the_trend_chart_loads_nothing_from_outside(street_cadre, client_for, tree):
    _case(tree.building_a, received_at=timezone.now() - timedelta(days=40))
    _case(tree.building_a)
    page = _page(client_for(street_cadre)).content.decode()
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert "<rect" in svg and "<title" in svg
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_an_htmx_request_gets_the_fragment(street_cadre, client_for, tree):
    response = client_for(street_cadre).get(reverse("analytics:figures_area", args=[tree.street.pk]),
                                            {"kind": "month"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert page.startswith('<div id="figures-main"') and "<html" not in page


def test_a_user_granted_below_complex_level_gets_no_figures(client_for, tree):
    from conftest import make_user

    grid = make_user("grid_a", "grid_worker", tree.building_a)
    client = client_for(grid)
    assert "暂无可查看的统计" in _page(client).content.decode()
    assert _page(client, tree.complex_a).status_code == 404


def test_the_period_picker_shows_the_period_shown(street_cadre, client_for, tree):
    page = _page(client_for(street_cadre), tree.street, kind="quarter", year=2025, quarter=3).content.decode()
    assert '<option value="quarter" selected>' in page and '<option value="3" selected>' in page
    assert "2025年第3季度" in page


def test_a_resident_may_not_open_figures(resident_user, client_for):
    assert _page(client_for(resident_user)).status_code == 403


def test_the_nav_links_the_figures_for_staff_only(street_cadre, resident_user, client_for):
    figures_url = reverse("analytics:figures")
    assert figures_url in client_for(street_cadre).get(reverse("cases:case_list")).content.decode()
    assert figures_url not in client_for(resident_user).get(reverse("cases:my_case_list")).content.decode()


def test_the_query_count_does_not_grow_with_the_cases(street_cadre, client_for, tree):
    client = client_for(street_cadre)
    _case(tree.building_a)
    _page(client)  # refreshes the rollup
    with CaptureQueriesContext(connection) as few:
        _page(client)
    for _ in range(15):
        _case(tree.unit_b)
        _case(tree.house_a.area)
    _page(client)
    with CaptureQueriesContext(connection) as many:
        response = _page(client)
    assert _total(response, "received") == "31"
    assert len(many) == len(few), [query["sql"] for query in many]
