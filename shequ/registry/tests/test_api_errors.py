"""The API's error shapes (shequ.core.api_errors) and its OpenAPI document and docs page."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import Client, RequestFactory

from shequ.core.api_errors import field_path, pydantic_errors, service_errors
from shequ.registry.tests.api_client import BASE, Api


@pytest.mark.parametrize(("loc", "expected"), [
    (("body", "payload", "residents", 2, "phone"), "residents.2.phone"),
    (("body", "payload", "name"), "name"),
    (("query", "limit"), "limit"),
    (("path", "person_id"), "person_id"),
    (("body", "payload"), None),
])
def test_it_names_the_field_from_the_error_location(loc, expected):
    assert field_path(loc) == expected


def test_it_keeps_pydantics_message_for_error_types_it_does_not_know():
    [error] = pydantic_errors([{"loc": ("body", "payload", "x"), "type": "uuid_parsing",
                                "msg": "Input should be a UUID"}])
    assert error == {"field": "x", "code": "uuid_parsing", "message": "Input should be a UUID"}


def test_it_fills_the_limits_into_pydantic_messages():
    [error] = pydantic_errors([{"loc": ("body", "payload", "name"), "type": "string_too_long", "msg": "...",
                                "ctx": {"max_length": 50}}])
    assert error["message"] == "最多 50 个字符。"


def test_it_turns_a_service_error_without_field_into_a_null_field():
    [error] = service_errors(ValidationError("该记录仍被其他数据引用，不能删除。", code="protected"))
    assert error == {"field": None, "code": "protected", "message": "该记录仍被其他数据引用，不能删除。"}


def test_it_keeps_every_message_of_a_field():
    exc = ValidationError({"phone": [ValidationError("a", code="x"), ValidationError("b", code="y")]})
    errors = service_errors(exc)
    assert [(e["field"], e["code"], e["message"]) for e in errors] == [("phone", "x", "a"), ("phone", "y", "b")]


def test_it_answers_401_json_without_credentials(tree):
    response = Client().get(f"{BASE}/people")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_authenticated" and response.json()["detail"]


def test_it_answers_409_for_a_database_constraint():
    from shequ.api import api

    request = RequestFactory().post(f"{BASE}/people")
    response = api.on_exception(request, IntegrityError("UNIQUE constraint failed: registry_person.secret_column"))
    assert response.status_code == 409
    assert b"registry_person" not in response.content  # the database's wording stays in the log


def test_it_answers_400_for_a_body_that_is_not_json(worker):
    api = Api(worker)
    response = api.client.post(f"{BASE}/people", "{not json", content_type="application/json", **api.headers)
    assert response.status_code == 400
    assert response.json() == {"detail": "请求体不是有效的 JSON。", "code": "bad_request"}


def test_it_answers_in_the_requested_language(worker):
    """Messages go through gettext in the language LocaleMiddleware picked from
    Accept-Language (until the English catalogue exists, gettext gives the source)."""
    from django.utils import translation

    response = Api(worker, language="en").post("/people", {})
    assert response["Content-Language"] == "en"
    with translation.override("en"):
        expected = translation.gettext("此字段为必填项。")
    assert response.json()["detail"][0]["message"] == expected


# -- OpenAPI document and docs page

def test_it_serves_the_openapi_document_with_the_registry_routes():
    response = Client().get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Shequ API"
    for path in ("/api/v1/people", "/api/v1/people/{person_id}/reveal", "/api/v1/houses", "/api/v1/areas",
                 "/api/v1/residences", "/api/v1/organizations/{organization_id}/members", "/api/v1/vehicles",
                 "/api/v1/facilities"):
        assert path in document["paths"]
    assert set(document["components"]["securitySchemes"]) == {"ApiKeyBearer", "ApiKeyHeader", "BrowserSession"}
    person = document["components"]["schemas"]["PersonOut"]["properties"]
    assert "id_number_masked" in person and "id_number" not in person and "phone" not in person


def test_it_serves_the_docs_page_without_any_cdn():
    response = Client().get(f"{BASE}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert '"validatorUrl": null' in html  # Swagger UI would fetch a badge from validator.swagger.io
    assets = re.findall(r"""(?:src|href)="(/static/[^"]+)\"""", html)
    assert "/static/ninja/swagger-ui-bundle.js" in assets
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
        assert Client().get(asset).status_code == 200, asset
