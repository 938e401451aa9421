"""GET tokens/{token}: the token a POST answered with leads to its request."""

from __future__ import annotations

from shequ.open311.tests.conftest import BASE, post, xml

GOOD = {"service_code": "garbage", "description": "垃圾", "address_id": "CQF"}


def test_it_maps_a_token_to_its_request_in_json(client, key_a, tree):
    [answer] = post(client, key=key_a, **GOOD).json()
    response = client.get(f"{BASE}/tokens/{answer['token']}.json", HTTP_X_API_KEY=key_a.raw)
    assert response.status_code == 200
    assert response.json() == [{"service_request_id": answer["service_request_id"], "token": answer["token"]}]


def test_it_maps_a_token_to_its_request_in_xml(client, key_a, tree):
    [answer] = post(client, key=key_a, **GOOD).json()
    root = xml(client.get(f"{BASE}/tokens/{answer['token']}.xml", HTTP_X_API_KEY=key_a.raw))
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == answer["service_request_id"]
    assert root.findtext("request/token") == answer["token"]


def test_it_answers_404_for_an_unknown_token(client, key_a, tree):
    response = client.get(f"{BASE}/tokens/{'0' * 32}.json", HTTP_X_API_KEY=key_a.raw)
    assert response.status_code == 404 and response.json()[0]["code"] == 404


def test_it_answers_404_for_a_token_of_another_communitys_request(client, key_a, key_b, tree):
    [answer] = post(client, key=key_a, **GOOD).json()
    response = client.get(f"{BASE}/tokens/{answer['token']}.json", HTTP_X_API_KEY=key_b.raw)
    assert response.status_code == 404


def test_it_refuses_a_token_lookup_without_a_key(client, key_a, tree):
    [answer] = post(client, key=key_a, **GOOD).json()
    response = client.get(f"{BASE}/tokens/{answer['token']}.xml")
    assert response.status_code == 403 and xml(response).findtext("error/code") == "403"
