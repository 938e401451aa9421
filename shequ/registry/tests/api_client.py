"""Helpers for API tests: a JSON client that authenticates like a machine (API
key) or a browser (session), and a set of rows of every kind in one community."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.test import Client

from shequ.exchange.services import apikey_create
from shequ.registry import services
from shequ.registry.tests.factories import SYSTEM

BASE = "/api/v1"


class Api:
    """``Api(user).get("/people")`` -> response with ``.json()``; key auth by default."""

    def __init__(self, user: Any = None, *, session: bool = False, key: str | None = None,
                 language: str = "zh-hans", **client_kwargs: Any) -> None:
        self.client = Client(**client_kwargs)
        self.headers: dict[str, str] = {"HTTP_ACCEPT_LANGUAGE": language}
        if session:
            self.client.force_login(user)
            store = self.client.session
            store["second_factor_ok"] = True
            store.save()
        elif key is not None:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        elif user is not None:
            _row, raw = apikey_create(actor=SYSTEM, name=f"test-{user.username}", user=user)
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"

    def get(self, path: str, **params: Any):
        return self.client.get(BASE + path, params, **self.headers)

    def post(self, path: str, body: Any):
        return self.client.post(BASE + path, json.dumps(body), content_type="application/json", **self.headers)

    def patch(self, path: str, body: Any):
        return self.client.patch(BASE + path, json.dumps(body), content_type="application/json", **self.headers)


def fields_of(response) -> dict[str, list[str]]:
    """{field path: [codes]} of a 422 answer."""
    errors: dict[str, list[str]] = {}
    for error in response.json()["detail"]:
        errors.setdefault(error["field"], []).append(error["code"])
    return errors


@dataclass
class Rows:
    """One row of each kind, all in one community."""

    person: Any
    residence: Any
    organization: Any
    member: Any
    vehicle: Any
    facility: Any
    house: Any
    area: Any


def rows_in(community: Any, house: Any, person: Any, plate: str, uscc: str | None = None) -> Rows:
    residence = services.residence_start(actor=SYSTEM, person=person, house=house, relation="owner",
                                         population_type="registered", start_date=date(2020, 1, 1))
    organization = services.organization_create(actor=SYSTEM, area=community, name=f"{community.name}物业",
                                                kind="property_company", uscc=uscc)
    member = services.organization_member_add(actor=SYSTEM, organization=organization, person=person, role="经理")
    vehicle = services.vehicle_create(actor=SYSTEM, area=house.area, plate=plate, owner=person, house=house)
    facility = services.facility_create(actor=SYSTEM, area=community, kind="fire_hydrant", name=f"{community.name}消防栓")
    return Rows(person, residence, organization, member, vehicle, facility, house, community)
