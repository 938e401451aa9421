"""GET requests and GET requests/{id}: following cases, inside the key's areas only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shequ.cases.models import Case, Category
from shequ.open311.tests.conftest import BASE, make_case, post, xml

FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
          "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
          "address", "address_id", "zipcode", "lat", "long", "media_url"]


@pytest.fixture
def water(db) -> Category:
    return Category.objects.get(code="water")


@pytest.fixture
def cases(worker, outsider, tree, garbage, water, person_a):
    """Four cases in A (one closed, one from last year, one about water) and one in B."""
    now = timezone.now()
    return {
        "open": make_case(worker, tree.house_a.area, garbage, reporter=person_a, reporter_name="张三",
                          reporter_phone="13812345678", received_at=now - timedelta(days=2)),
        "closed": make_case(worker, tree.building_a, garbage, received_at=now - timedelta(days=10)),
        "water": make_case(worker, tree.complex_a, water, received_at=now - timedelta(days=1)),
        "old": make_case(worker, tree.complex_a, garbage, received_at=now - timedelta(days=200)),
        "in_b": make_case(outsider, tree.house_b.area, garbage, received_at=now - timedelta(days=1)),
    }


@pytest.fixture
def closed(cases):
    Case.objects.filter(pk=cases["closed"].pk).update(status=Case.Status.CLOSED, resolution="已清运完毕")
    return cases


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["service_request_id"] for item in response.json()]


def get(client, key, fmt="json", **params):
    return client.get(f"{BASE}/requests.{fmt}", params, HTTP_X_API_KEY=key.raw)


def test_it_lists_the_last_90_days_of_the_keys_areas_newest_first(client, key_a, closed):
    assert ids(get(client, key_a)) == [closed[name].number for name in ("water", "open", "closed")]


def test_it_never_lists_another_communitys_requests(client, key_b, cases):
    assert ids(get(client, key_b)) == [cases["in_b"].number]


def test_it_filters_by_status(client, key_a, closed):
    assert ids(get(client, key_a, status="closed")) == [closed["closed"].number]
    assert ids(get(client, key_a, status="open")) == [closed["water"].number, closed["open"].number]
    assert len(ids(get(client, key_a, status="open,closed"))) == 3


def test_it_counts_resolved_and_merged_cases_as_closed(client, key_a, cases):
    Case.objects.filter(pk=cases["open"].pk).update(status=Case.Status.RESOLVED)
    Case.objects.filter(pk=cases["water"].pk).update(status=Case.Status.MERGED, merged_into=cases["closed"])
    answer = {item["service_request_id"]: item for item in get(client, key_a, status="closed").json()}
    assert set(answer) == {cases["open"].number, cases["water"].number}
    assert cases["closed"].number in answer[cases["water"].number]["status_notes"]


def test_it_filters_by_service_codes(client, key_a, cases):
    assert ids(get(client, key_a, service_code="water")) == [cases["water"].number]
    assert len(ids(get(client, key_a, service_code="water,garbage"))) == 3


def test_it_filters_by_a_date_window(client, key_a, cases):
    now = timezone.now()
    start, end = (now - timedelta(days=250)).isoformat(), (now - timedelta(days=180)).isoformat()
    assert ids(get(client, key_a, start_date=start, end_date=end)) == [cases["old"].number]


def test_it_takes_90_days_from_a_start_date_alone(client, key_a, cases):
    start = (timezone.now() - timedelta(days=201)).isoformat()
    assert ids(get(client, key_a, start_date=start)) == [cases["old"].number]


def test_it_refuses_a_window_wider_than_90_days(client, key_a, cases):
    now = timezone.now()
    response = get(client, key_a, start_date=(now - timedelta(days=91)).isoformat(), end_date=now.isoformat())
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("end_date: ")


def test_it_refuses_a_date_without_a_timezone(client, key_a, cases):
    response = get(client, key_a, "xml", start_date="2026-11-01T00:00:00")
    assert response.status_code == 400
    assert xml(response).findtext("error/description").startswith("start_date: ")


def test_it_refuses_an_unknown_status(client, key_a, cases):
    response = get(client, key_a, status="pending")
    assert response.status_code == 400 and response.json()[0]["description"].startswith("status: ")


def test_it_reads_an_id_list_ignoring_the_other_filters(client, key_a, cases):
    wanted = f"{cases['old'].number},{cases['water'].number},{cases['in_b'].number}"
    assert ids(get(client, key_a, service_request_id=wanted, service_code="garbage", status="closed")) == [
        cases["water"].number, cases["old"].number]


def test_it_writes_every_spec_field_in_json(client, key_a, cases, tree):
    [item] = get(client, key_a, service_request_id=cases["open"].number).json()
    assert list(item) == FIELDS
    assert item["status"] == "open" and item["status_notes"] == "新建"
    assert item["service_code"] == "garbage" and item["service_name"] == "垃圾清运"
    assert item["address"] == "长庆坊 3号楼 2单元 0301" and item["address_id"] == tree.house_a.area.code
    assert item["requested_datetime"].endswith("+08:00")
    assert item["agency_responsible"] == "长庆坊 小区2+4"
    assert item["zipcode"] is None and item["lat"] is None


def test_it_writes_every_spec_field_in_xml(client, key_a, closed):
    root = xml(get(client, key_a, "xml", service_request_id=closed["closed"].number))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert [child.tag for child in request] == FIELDS
    assert request.findtext("status") == "closed" and request.findtext("status_notes") == "已清运完毕"
    assert request.find("zipcode").text is None  # an empty element, as the spec shows absent values


def test_it_never_writes_the_reporters_name_or_phone(client, key_a, cases):
    for fmt in ("json", "xml"):
        body = get(client, key_a, fmt).content.decode()
        body += client.get(f"{BASE}/requests/{cases['open'].number}.{fmt}", HTTP_X_API_KEY=key_a.raw).content.decode()
        assert cases["open"].number in body
        for personal in ("张三", "13812345678", "138****5678"):
            assert personal not in body


def test_it_refuses_to_list_without_a_key(client, cases):
    response = client.get(f"{BASE}/requests.json")
    assert response.status_code == 403 and response.json()[0]["code"] == 403


def test_it_accepts_the_key_as_a_query_parameter(client, key_a, cases):
    assert len(ids(client.get(f"{BASE}/requests.json", {"api_key": key_a.raw}))) == 3


def test_it_reads_one_request(client, key_a, cases):
    response = client.get(f"{BASE}/requests/{cases['water'].number}.json", HTTP_X_API_KEY=key_a.raw)
    assert ids(response) == [cases["water"].number]


def test_it_reads_one_request_in_xml(client, key_a, cases):
    response = client.get(f"{BASE}/requests/{cases['water'].number}.xml", HTTP_X_API_KEY=key_a.raw)
    assert xml(response).findtext("request/service_request_id") == cases["water"].number


def test_it_answers_404_for_another_communitys_request(client, key_b, cases):
    response = client.get(f"{BASE}/requests/{cases['open'].number}.json", HTTP_X_API_KEY=key_b.raw)
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404


def test_it_answers_404_for_an_unknown_request_in_xml(client, key_a, cases):
    response = client.get(f"{BASE}/requests/SQ20000101-00001.xml", HTTP_X_API_KEY=key_a.raw)
    assert response.status_code == 404 and xml(response).findtext("error/code") == "404"


def test_it_shows_a_posted_requests_media_url(client, key_a, tree):
    [answer] = post(client, key=key_a, service_code="garbage", description="垃圾", address_id="CQF",
                    media_url="https://img.example.cn/1.jpg").json()
    response = client.get(f"{BASE}/requests/{answer['service_request_id']}.json", HTTP_X_API_KEY=key_a.raw)
    assert response.json()[0]["media_url"] == "https://img.example.cn/1.jpg"


def test_it_lists_in_a_number_of_queries_that_does_not_grow_with_the_cases(
        client, key_a, cases, worker, tree, garbage, django_assert_num_queries):
    get(client, key_a)  # the key's last_used_at is written on first use only
    with django_assert_num_queries(4):  # key, grants, cases, addresses
        assert len(ids(get(client, key_a))) == 3
    for _ in range(3):
        make_case(worker, tree.house_a2.area, garbage)
    with django_assert_num_queries(4):
        assert len(ids(get(client, key_a))) == 6
