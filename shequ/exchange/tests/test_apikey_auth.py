"""Authenticating API calls: API keys (Bearer and X-API-Key) and browser sessions."""

from __future__ import annotations

import pytest
from django.test import Client

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.exchange.services import apikey_create, apikey_revoke
from shequ.registry.models import Person
from shequ.registry.tests.api_client import BASE, Api

SYSTEM = Actor.system(via="test")
NEW_PERSON = {"name": "王五", "id_number": "11010519491231002X"}


@pytest.fixture
def key(worker):
    return apikey_create(actor=SYSTEM, name="上级平台", user=worker)


def test_it_accepts_a_bearer_key(key, person_a):
    _row, raw = key
    response = Client().get(f"{BASE}/people", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [person_a.pk]


def test_it_accepts_an_x_api_key_header(key, person_a):
    _row, raw = key
    response = Client().get(f"{BASE}/people", HTTP_X_API_KEY=raw)
    assert response.status_code == 200 and len(response.json()["items"]) == 1


def test_it_answers_401_to_a_revoked_key(key, person_a):
    row, raw = key
    apikey_revoke(actor=SYSTEM, key=row)
    response = Client().get(f"{BASE}/people", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_it_answers_401_to_a_wrong_secret(key):
    _row, raw = key
    response = Client().get(f"{BASE}/people", HTTP_X_API_KEY=raw[:-4] + "0000")
    assert response.status_code == 401


def test_it_answers_401_to_a_revoked_key_on_a_write_not_a_csrf_error(key, tree):
    row, raw = key
    apikey_revoke(actor=SYSTEM, key=row)
    response = Api(key=raw).post("/people", dict(NEW_PERSON, area_id=tree.house_a.area.pk))
    assert response.status_code == 401
    assert not Person.objects.filter(name="王五").exists()


def test_it_writes_with_a_key_without_csrf_and_audits_the_keys_user(key, tree, worker):
    _row, raw = key
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{BASE}/people", {**NEW_PERSON, "area_id": tree.house_a.area.pk},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}",
                           REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 201
    record = AuditRecord.objects.get(action="person.created")
    assert record.actor_id == worker.pk and record.ip == "10.1.2.3" and record.detail["via"] == "api"


def test_a_key_sees_only_what_its_user_may(person_a, person_b, outsider):
    _row, raw = apikey_create(actor=SYSTEM, name="b", user=outsider)
    response = Client().get(f"{BASE}/people/{person_a.pk}", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 404


def test_it_accepts_a_logged_in_session(worker, person_a):
    response = Api(worker, session=True).get("/people")
    assert response.status_code == 200 and len(response.json()["items"]) == 1


def test_it_refuses_a_session_write_without_the_csrf_token(worker, tree):
    api = Api(worker, session=True, enforce_csrf_checks=True)
    response = api.post("/people", dict(NEW_PERSON, area_id=tree.house_a.area.pk))
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert not Person.objects.filter(name="王五").exists()


def test_it_accepts_a_session_write_with_the_csrf_token(worker, tree):
    api = Api(worker, session=True, enforce_csrf_checks=True)
    api.client.get(f"{BASE}/docs")  # the docs page sets the CSRF cookie for Swagger UI
    token = api.client.cookies["csrftoken"].value
    api.headers["HTTP_X_CSRFTOKEN"] = token
    response = api.post("/people", dict(NEW_PERSON, area_id=tree.house_a.area.pk))
    assert response.status_code == 201


def test_it_refuses_a_staff_session_that_has_not_passed_the_second_factor(worker, person_a, settings):
    settings.SHEQU_REQUIRE_2FA = True
    client = Client()
    client.force_login(worker)  # password only: "second_factor_ok" is not in the session
    response = client.get(f"{BASE}/people")
    assert response.status_code == 401


def test_it_answers_401_without_any_credentials(person_a):
    assert Client().get(f"{BASE}/people/{person_a.pk}").status_code == 401
