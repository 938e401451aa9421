"""The person finder: one box that guesses what was typed, scoped and masked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shequ.registry.tests.factories import PersonFactory

CLEAR_ID = "610113198005170015"


def _find(client, q, **extra):
    return client.get(reverse("registry:person_find"), {"q": q, **extra})


def _names(response) -> list[str]:
    return [person.name for person in response.context["rows"]]


def test_it_finds_by_name_prefix(person_a, worker, client_for):
    response = _find(client_for(worker), "张")
    assert _names(response) == ["张三"]
    assert response.context["kind"] == "name"


def test_it_finds_by_the_last_four_id_digits(person_a, worker, client_for):
    response = _find(client_for(worker), "0015")
    assert response.context["kind"] == "id_tail"
    assert _names(response) == ["张三"]


def test_it_finds_an_id_tail_ending_in_x(tree, worker, client_for):
    PersonFactory(area=tree.house_a.area, name="冯X", id_number="11010519491231002X")
    response = _find(client_for(worker), "002x")
    assert response.context["kind"] == "id_tail"
    assert _names(response) == ["冯X"]


def test_it_finds_by_full_phone_number(person_a, worker, client_for):
    response = _find(client_for(worker), "138 1234 5678")
    assert response.context["kind"] == "phone"
    assert _names(response) == ["张三"]


def test_it_finds_by_full_id_number(person_a, worker, client_for):
    response = _find(client_for(worker), CLEAR_ID)
    assert response.context["kind"] == "id_number"
    assert _names(response) == ["张三"]


def test_it_finds_by_address_words(tree, person_a, worker, client_for):
    PersonFactory(area=tree.house_a2.area, name="邻居")
    response = _find(client_for(worker), "长庆坊 3号楼 0301")
    assert response.context["kind"] == "address"
    assert _names(response) == ["张三"]


def test_it_finds_everyone_in_a_complex_by_its_name(tree, person_a, worker, client_for):
    PersonFactory(area=tree.house_a2.area, name="邻居")
    response = _find(client_for(worker), "长庆坊")
    assert sorted(_names(response)) == ["张三", "邻居"]


def test_it_falls_back_to_address_when_no_name_matches(tree, person_a, worker, client_for):
    # "长庆" looks like a name; no one is called that, so the finder tries it as an address
    response = _find(client_for(worker), "长庆")
    assert response.context["kind"] == "address"
    assert _names(response) == ["张三"]


def test_it_honours_an_explicit_kind(tree, worker, client_for):
    PersonFactory(area=tree.house_a.area, name="欧阳小明")
    client = client_for(worker)
    assert _names(_find(client, "小明")) == []
    assert _names(_find(client, "小明", kind="name_contains")) == ["欧阳小明"]


def test_it_does_not_find_people_of_another_community(person_a, outsider, client_for):
    client = client_for(outsider)
    for query in ("张", "0015", "13812345678", CLEAR_ID, "长庆坊 3号楼 0301"):
        response = _find(client, query)
        assert _names(response) == [], query
        assert "张三" not in response.content.decode()


def test_it_shows_results_masked(person_a, worker, client_for):
    content = _find(client_for(worker), "13812345678").content.decode()
    assert "610***********0015" in content and "138****5678" in content
    assert CLEAR_ID not in content and "13812345678" not in content.split('id="find-results"')[1]


def test_it_answers_htmx_with_the_results_only(person_a, worker, client_for):
    response = client_for(worker).get(reverse("registry:person_find"), {"q": "张"}, HTTP_HX_REQUEST="true")
    assert "张三" in response.content.decode() and "<html" not in response.content.decode()


def test_it_rejects_a_bad_phone_without_error(person_a, worker, client_for):
    response = _find(client_for(worker), "19999999999")
    assert response.status_code == 200 and _names(response) == []


@pytest.mark.parametrize("query", ["张", "0015", "13812345678", "长庆坊 0301"])
def test_it_runs_a_fixed_number_of_queries(tree, worker, client_for, django_assert_max_num_queries, query):
    for index in range(8):
        PersonFactory(area=tree.house_a.area, name=f"张{index}", care_tags=[])
    client = client_for(worker)
    client.get(reverse("registry:home"))  # warm the session
    with django_assert_max_num_queries(10):
        _find(client, query)
