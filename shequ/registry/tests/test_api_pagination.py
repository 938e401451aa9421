"""Keyset pagination of API lists: every row exactly once, no OFFSET, no COUNT."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shequ.core.keyset import decode_cursor, encode_cursor
from shequ.registry.tests.api_client import Api, fields_of
from shequ.registry.tests.factories import PersonFactory

NAMES = ["赵一", "钱二", "孙三", "李四", "周五", "吴六", "郑七", "王八", "冯九", "陈十", "褚一", "卫二", "蒋三"]


@pytest.fixture
def people(tree):
    # the same name twice: the id breaks the tie when paging by name
    return [PersonFactory(area=tree.house_a.area, name=name) for name in NAMES + ["赵一"]]


def walk(api: Api, path: str, **params) -> tuple[list[int], int]:
    """All ids over every page, and the number of pages."""
    seen: list[int] = []
    pages, after = 0, None
    while True:
        query = dict(params, **({"after": after} if after else {}))
        body = api.get(path, **query).json()
        pages += 1
        seen += [item["id"] for item in body["items"]]
        after = body["next"]
        if after is None:
            return seen, pages


def test_it_returns_every_row_once_across_pages(worker, people):
    seen, pages = walk(Api(worker), "/people", limit=4)
    assert sorted(seen) == sorted(p.pk for p in people) and len(seen) == len(set(seen))
    assert seen == sorted(seen)
    assert pages == 4  # 14 rows by 4


def test_it_pages_by_name_with_the_id_breaking_ties(worker, people):
    seen, _pages = walk(Api(worker), "/people", limit=3, sort="name")
    assert len(seen) == len(people) and len(set(seen)) == len(people)
    by_id = {p.pk: p for p in people}
    keys = [(by_id[pk].name, pk) for pk in seen]
    assert keys == sorted(keys)


def test_it_gives_no_next_cursor_on_the_last_page(worker, people):
    body = Api(worker).get("/people", limit=len(people)).json()
    assert len(body["items"]) == len(people) and body["next"] is None


def test_it_keeps_the_filters_across_pages(worker, people, tree):
    PersonFactory(area=tree.house_a2.area, name="赵二")
    seen, _pages = walk(Api(worker), "/people", limit=2, q="赵")
    assert len(seen) == 3


def test_it_uses_neither_offset_nor_count(worker, people):
    api = Api(worker)
    first = api.get("/people", limit=4).json()
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/people", limit=4, after=first["next"]).status_code == 200
    sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
    assert "OFFSET" not in sql and "COUNT(" not in sql


def test_it_reads_a_page_in_a_fixed_number_of_queries(worker, people, tree):
    api = Api(worker)
    api.get("/people", limit=2)  # the first call of a key also stamps last_used_at
    with CaptureQueriesContext(connection) as small:
        api.get("/people", limit=2)
    for _ in range(5):
        PersonFactory(area=tree.house_a.area)
    with CaptureQueriesContext(connection) as large:
        api.get("/people", limit=50)
    # key + grants + people + care tags, however many rows
    assert len(small.captured_queries) == len(large.captured_queries) == 4


@pytest.mark.parametrize("cursor", ["not-base64!", encode_cursor(["a", 1, 2]), encode_cursor([{"id": 1}])])
def test_it_refuses_a_bad_cursor_on_the_after_field(worker, people, cursor):
    response = Api(worker).get("/people", after=cursor)
    assert response.status_code == 422
    assert fields_of(response) == {"after": ["invalid_cursor"]}


@pytest.mark.parametrize("limit", [0, 201, "x"])
def test_it_refuses_a_limit_out_of_range(worker, limit):
    response = Api(worker).get("/people", limit=limit)
    assert response.status_code == 422 and list(fields_of(response)) == ["limit"]


def test_the_cursor_round_trips():
    assert decode_cursor(encode_cursor(["王八", 42]), 2) == ["王八", 42]
