"""The scope sweep: for every URL pattern and every API route, a user of community
B tries to read and change community A's rows, and must fail.

How it works: community A gets one row of every registry kind, each carrying a
unique marker string. For every route we fill each path parameter with every id
of A's rows (ids of different tables overlap, so every row gets tried at every
route), then as B's worker:
- GET must not show any of A's markers;
- POST / PATCH / PUT / DELETE must leave every A row exactly as it was.
A positive control runs the same GETs as A's own worker and must find the markers,
so the sweep cannot pass just because the routes were filled wrongly.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from shequ.accounts.audit import Actor
from shequ.core.scoping import subtree_q
from shequ.registry import services
from shequ.registry.models import Area, Facility, House, Organization, OrganizationMember, Person, Residence, Vehicle

MARKERS = {
    "person": "甲乙丙丁",
    "organization": "长庆坊物业甲公司",
    "vehicle": "陕A9Z8Y7",
    "facility": "甲号消防栓",
    "complex": "长庆坊",
}
# searched for by prefix: pages echo the search box, so the query is not a marker itself
NAME_PREFIX = MARKERS["person"][:2]
# routes that are not about registry rows: nothing of A's could appear there
SKIP_PREFIXES = ("static/", "media/", "i18n/", "accounts/logout", "__debug__")
SKIP_NAMES = {"logout"}


@pytest.fixture
def a_rows(tree, worker):
    actor = Actor.system(via="test")
    person = services.person_create(actor=actor, area=tree.house_a.area, name=MARKERS["person"],
                                    id_type="resident_id", id_number="610113198005170031", phone="13900001111")
    residence = services.residence_start(actor=actor, person=person, house=tree.house_a, relation="owner",
                                         population_type="registered", start_date=date(2020, 1, 1))
    org = services.organization_create(actor=actor, area=tree.complex_a, name=MARKERS["organization"],
                                       kind="property_company", uscc="91110000600037341L")
    member = services.organization_member_add(actor=actor, organization=org, person=person, role="经理")
    vehicle = services.vehicle_create(actor=actor, area=tree.complex_a, plate=MARKERS["vehicle"], owner=person,
                                      house=tree.house_a)
    facility = services.facility_create(actor=actor, area=tree.complex_a, kind="fire_hydrant",
                                        name=MARKERS["facility"], next_inspection_on=date(2027, 1, 1))
    return [tree.community_a, tree.complex_a, tree.building_a, tree.unit_a, tree.house_a.area, tree.house_a,
            tree.house_a2, person, residence, org, member, vehicle, facility]


def _a_state(rows) -> dict:
    """Everything A's rows hold in the database, to compare before and after."""
    state = {}
    for model in (Area, House, Person, Residence, Organization, OrganizationMember, Vehicle, Facility):
        ids = [row.pk for row in rows if isinstance(row, model)]
        state[model.__name__] = list(model.objects.filter(pk__in=ids).order_by("pk").values())
    state["care_tags"] = list(Person.care_tags.through.objects.order_by("pk").values())
    # and no new rows may appear inside A: count every kind in A's subtree
    community_path = rows[0].path
    state["counts"] = {
        model.__name__: model.objects.filter(subtree_q(model.objects.get_queryset().area_path_lookup, community_path)).count()
        for model in (Area, House, Person, Residence, Organization, OrganizationMember, Vehicle, Facility)
    }
    return json.loads(json.dumps(state, default=str))


def _route_patterns(patterns=None, prefix: str = ""):
    """(route template with {name} holes, url name) for every URL pattern."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        pattern = str(entry.pattern)
        route = prefix + pattern
        if isinstance(entry, URLResolver):
            yield from _route_patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.name


def _fill(route: str, ids: list[int]):
    """Concrete URLs for a route, every parameter set to every candidate id."""
    route = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
    holes = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)", route)
    names = [a or b for a, b in holes]
    template = re.sub(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)", "{}", route)
    if not names:
        yield "/" + template
        return
    for combo in itertools.product([str(i) for i in ids], repeat=len(names)):
        yield "/" + template.format(*combo)


def _web_urls(ids: list[int]) -> list[str]:
    urls = []
    for route, name in _route_patterns():
        if route.startswith(SKIP_PREFIXES) or name in SKIP_NAMES or route.startswith("api/"):
            continue
        urls.extend(_fill(route, ids))
    return sorted(set(urls))


def _api_operations(ids: list[int]):
    from shequ.api import api

    schema = api.get_openapi_schema()
    prefix = "/api/v1"
    for path, methods in schema["paths"].items():
        path = path if path.startswith(prefix) else prefix + path
        names = re.findall(r"{(\w+)}", path)
        combos = itertools.product([str(i) for i in ids], repeat=len(names)) if names else [()]
        for combo in combos:
            url = path
            for name, value in zip(names, combo):
                url = url.replace("{" + name + "}", value, 1)
            for method in methods:
                yield method.upper(), url


def _leaks(content: bytes) -> list[str]:
    text = content.decode("utf-8", "replace")
    return [marker for marker in MARKERS.values() if marker in text]


def _a_targets(rows) -> dict:
    """Form/JSON fields pointing a new row into A (create pages must refuse them)."""
    community, complex_, _building, unit, _house_node, house = rows[:6]
    person = rows[7]
    return {
        "area": community.pk, "area_id": community.pk, "parent": complex_.pk, "parent_id": complex_.pk,
        "unit": unit.pk, "unit_id": unit.pk, "house": house.pk, "house_id": house.pk,
        "person": person.pk, "person_id": person.pk, "owner": person.pk, "owner_id": person.pk,
        "organization": rows[9].pk, "organization_id": rows[9].pk,
    }


HOSTILE_FORM = {
    "name": "被篡改", "number": "9999", "plate": "陕A11111", "floor_area": "1.00", "status": "vacant",
    "end_date": "2020-02-02", "field": "id_number", "area": "", "kind": "other", "phone": "13900009999",
    "id_number": "11010519491231002X", "id_type": "resident_id", "confirm": "1",
}
HOSTILE_JSON = {
    "name": "被篡改", "number": "9999", "plate": "陕A11111", "floor_area": "1.00", "status": "vacant",
    "end_date": "2020-02-02", "field": "id_number", "kind": "other", "phone": "13900009999",
}


@pytest.mark.django_db
def test_a_user_of_another_community_cannot_read_or_change_a_rows_on_any_page(a_rows, outsider, client_for):
    outsider.is_staff = True  # let the sweep reach the admin too: its querysets must be scoped
    outsider.save()
    ids = sorted({row.pk for row in a_rows})
    urls = _web_urls(ids)
    assert len(urls) > 50, "the sweep found too few URLs to mean anything"
    before = _a_state(a_rows)
    client = client_for(outsider)
    leaks = []
    for url in urls:
        for query in ("", f"?area={a_rows[0].pk}&q={NAME_PREFIX}"):
            response = client.get(url + query)
            if response.status_code == 200 and _leaks(response.content):
                leaks.append((url + query, _leaks(response.content)))
        client.post(url, HOSTILE_FORM)
        client.post(url, dict(HOSTILE_FORM, **_a_targets(a_rows)))
    assert leaks == []
    assert _a_state(a_rows) == before


@pytest.mark.django_db
def test_a_user_of_another_community_cannot_read_or_change_a_rows_through_the_api(a_rows, outsider, client_for):
    ids = sorted({row.pk for row in a_rows})
    operations = list(_api_operations(ids))
    assert len({url for _m, url in operations}) > 20, "the sweep found too few API routes to mean anything"
    before = _a_state(a_rows)
    client = client_for(outsider)
    leaks = []
    for method, url in operations:
        if method == "GET":
            for query in ("", f"?area={a_rows[0].pk}&q={NAME_PREFIX}"):
                response = client.get(url + query)
                if response.status_code == 200 and _leaks(response.content):
                    leaks.append((url + query, _leaks(response.content)))
        else:
            client.generic(method, url, json.dumps(HOSTILE_JSON), content_type="application/json")
            client.generic(method, url, json.dumps(dict(HOSTILE_JSON, **_a_targets(a_rows))),
                           content_type="application/json")
    assert leaks == []
    assert _a_state(a_rows) == before


@pytest.mark.django_db
def test_the_sweep_finds_a_rows_when_a_own_worker_looks(a_rows, worker, client_for):
    # positive control: the same routes, filled the same way, do show A's rows to A's worker
    ids = sorted({row.pk for row in a_rows})
    client = client_for(worker)
    seen = set()
    for url in _web_urls(ids):
        response = client.get(url)
        if response.status_code == 200:
            seen.update(_leaks(response.content))
    for method, url in _api_operations(ids):
        if method == "GET":
            response = client.get(url)
            if response.status_code == 200:
                seen.update(_leaks(response.content))
    assert seen == set(MARKERS.values())
