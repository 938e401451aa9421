"""The discovery document: where the GeoReport v2 endpoint is and what it speaks."""

from __future__ import annotations

from shequ.open311.tests.conftest import BASE, xml


def test_it_describes_the_endpoint_in_json(client, db):
    response = client.get(f"{BASE}/discovery.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    document = response.json()
    assert document["changeset"] and document["contact"] and document["key_service"]
    [endpoint] = document["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]


def test_it_describes_the_endpoint_in_xml(client, db):
    response = client.get(f"{BASE}/discovery.xml")
    assert response.status_code == 200
    assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = xml(response)
    assert root.tag == "discovery"
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("type") == "production"
    assert [node.text for node in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


def test_it_answers_an_unknown_resource_with_the_spec_404_body(client, db):
    response = client.get(f"{BASE}/nothing.json")
    assert response.status_code == 404
    [error] = response.json()
    assert error["code"] == 404 and "nothing.json" in error["description"]


def test_it_answers_an_unknown_resource_in_xml_by_default(client, db):
    response = client.get(f"{BASE}/services.csv")
    assert response.status_code == 404
    assert xml(response).findtext("error/code") == "404"


def test_it_refuses_a_wrong_method_in_the_error_format(client, db):
    response = client.post(f"{BASE}/discovery.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json()[0]["code"] == 405
