"""Registry selectors: scoped, searchable by indexed lookups, no extra queries."""

from __future__ import annotations

import pytest

from shequ.registry import selectors
from shequ.registry.models import CareTag, Person
from shequ.registry.selectors import SearchKind, guess_search_kind
from shequ.registry.tests.factories import PersonFactory


@pytest.mark.parametrize("query, kind", [
    ("0015", SearchKind.ID_TAIL),
    ("002x", SearchKind.ID_TAIL),
    ("13812345678", SearchKind.PHONE),
    ("138 1234 5678", SearchKind.PHONE),
    ("610113198005170015", SearchKind.ID_NUMBER),
    ("11010519491231002x", SearchKind.ID_NUMBER),
    ("610113800517001", SearchKind.ID_NUMBER),
    ("张三", SearchKind.NAME),
    ("长庆坊 3号楼", SearchKind.ADDRESS),
    ("0301室", SearchKind.ADDRESS),
    ("12345", SearchKind.ADDRESS),
])
def test_it_guesses_what_was_typed(query, kind):
    assert guess_search_kind(query) == kind


def test_it_scopes_the_person_list(person_a, person_b, worker, outsider):
    assert list(selectors.person_list(user=worker)) == [person_a]
    assert list(selectors.person_list(user=outsider)) == [person_b]


def test_it_shows_nothing_to_anonymous_users(person_a):
    from django.contrib.auth.models import AnonymousUser

    assert list(selectors.person_list(user=AnonymousUser())) == []


def test_it_matches_a_name_prefix_as_an_index_range(tree, worker):
    for name in ("张", "张三", "张三丰", "章三", "小张"):
        PersonFactory(area=tree.house_a.area, name=name)
    _kind, found = selectors.person_search(user=worker, query="张三")
    assert [person.name for person in found] == ["张三", "张三丰"]
    sql = str(Person.objects.filter(selectors.prefix_q("name", "张三")).query)
    assert " LIKE " not in sql.upper() and '"name" >= 张三' in sql


def test_it_scopes_a_search_matching_few_people_in_two_steps(tree, worker, person_a, person_b):
    PersonFactory(area=tree.house_b.area, name="张三四")  # same prefix, other community
    _kind, found = selectors.person_search(user=worker, query="张三")
    assert [person.name for person in found] == ["张三"]
    assert "registry_area" not in str(found.query).split("WHERE")[1]  # loaded by id, scoped before


def test_it_walks_the_subtree_for_a_very_common_name(tree, worker, person_a, monkeypatch):
    monkeypatch.setattr(selectors, "MATCH_CANDIDATES", 1)
    PersonFactory(area=tree.house_b.area, name="张三四")
    PersonFactory(area=tree.house_a2.area, name="张三五")
    _kind, found = selectors.person_search(user=worker, query="张三")
    assert sorted(person.name for person in found) == ["张三", "张三五"]
    assert found.query.order_by == selectors.PERSON_LIST_ORDER  # household order


def test_it_finds_a_full_id_number_of_any_document_type(tree, worker):
    passport = PersonFactory(area=tree.house_a.area, id_type="passport", id_number="E12345678", name="护照人")
    _kind, found = selectors.person_search(user=worker, query="e12345678", kind="id_number")
    assert list(found) == [passport]


def test_it_runs_the_person_list_in_a_fixed_number_of_queries(tree, worker, django_assert_num_queries):
    CareTag.objects.get(code="veteran")
    for _ in range(12):
        PersonFactory(area=tree.house_a.area, care_tags=["veteran"])
    worker_grants = selectors.area_roots(user=worker)  # load and cache the grants
    assert worker_grants
    with django_assert_num_queries(3):  # people, their care tags, the address labels
        page = selectors.paginate(selectors.person_list(user=worker), 1)
        rows = selectors.attach_addresses(page.rows)
        labels = [(person.area_label, [tag.name for tag in person.care_tags.all()]) for person in rows]
    assert labels[0] == ("长庆坊 3号楼 2单元 0301", ["退役军人"])


def test_it_runs_the_finder_in_a_fixed_number_of_queries(tree, worker, django_assert_num_queries):
    for index in range(10):
        PersonFactory(area=tree.house_a.area, name=f"王小{index}")
    selectors.area_roots(user=worker)
    # matching names, which of their areas are visible, does any match (else it is
    # an address), the people, their care tags, the address labels
    with django_assert_num_queries(6):
        _kind, found = selectors.person_search(user=worker, query="王小")
        rows = selectors.attach_addresses(found[:50])
        assert len([person.area_label for person in rows]) == 10
    # a surname alone walks the subtree at once: no candidate lookup
    with django_assert_num_queries(4):
        _kind, found = selectors.person_search(user=worker, query="王")
        assert len(selectors.attach_addresses(found[:50])) == 10


def test_it_pages_without_counting(tree, worker, django_assert_num_queries):
    for _ in range(7):
        PersonFactory(area=tree.house_a.area)
    selectors.area_roots(user=worker)
    with django_assert_num_queries(2):  # the page's people and their care tags: no COUNT
        page = selectors.paginate(selectors.person_list(user=worker), 2, per_page=2)
    assert len(page.rows) == 2 and page.has_next and page.has_previous
    assert page.count is None
    assert (page.start_index, page.end_index) == (3, 4)


def test_it_knows_the_total_on_the_last_page(tree, worker):
    for _ in range(5):
        PersonFactory(area=tree.house_a.area)
    page = selectors.paginate(selectors.person_list(user=worker), 3, per_page=2)
    assert len(page.rows) == 1 and not page.has_next and page.count == 5


def test_it_counts_only_up_to_the_cap(tree, worker):
    for _ in range(7):
        PersonFactory(area=tree.house_a.area)
    assert selectors.count_capped(selectors.person_list(user=worker), cap=5) == (5, True)
    assert selectors.count_capped(selectors.person_list(user=worker), cap=7) == (7, False)


def test_it_skips_the_count_when_everything_fits_on_the_first_page(tree, worker, django_assert_num_queries):
    PersonFactory(area=tree.house_a.area)
    selectors.area_roots(user=worker)
    with django_assert_num_queries(1):
        page = selectors.paginate(Person.objects.visible_to(worker).order_by("pk"), 1)
    assert page.count == 1 and not page.has_next


def test_it_matches_address_words_in_order(tree, worker):
    assert [area.pk for area in selectors.area_search(user=worker, query="长庆坊 2单元 0302")] == [tree.house_a2.area.pk]
    assert selectors.area_search(user=worker, query="2单元 长庆坊 0302") == []


def test_it_labels_areas_from_the_complex_down(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        labels = selectors.address_labels([tree.house_a.area, tree.community_a, tree.unit_b])
    assert labels == {tree.house_a.area.pk: "长庆坊 3号楼 2单元 0301", tree.community_a.pk: "长庆坊社区",
                      tree.unit_b.pk: "西何小区 1号楼 1单元"}


def test_it_offers_only_visible_areas_to_filter_by(tree, worker, street_cadre):
    assert {area.name for area in selectors.area_choices(user=worker)} == {"长庆坊社区", "长庆坊", "3号楼"}
    street_choices = {area.name for area in selectors.area_choices(user=street_cadre)}
    assert {"小寨路街道", "长庆坊社区", "西何社区", "长庆坊", "西何小区"} <= street_choices
    assert "2单元" not in street_choices


def test_it_filters_people_by_current_population_type(tree, worker, person_a):
    from shequ.accounts.audit import Actor
    from shequ.registry import services

    services.residence_start(actor=Actor.system(via="test"), person=person_a, house=tree.house_a,
                             relation="tenant", population_type="floating")
    assert list(selectors.person_list(user=worker, population_type="floating")) == [person_a]
    assert list(selectors.person_list(user=worker, population_type="registered")) == []
