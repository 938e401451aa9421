"""A user of community B cannot list, read or change community A's rows through
any registry route: out-of-scope rows answer 404, like rows that do not exist."""

from __future__ import annotations

import pytest

from shequ.registry.models import (
    Area, Facility, House, Organization, OrganizationMember, Person, Residence, Vehicle,
)
from shequ.registry.tests.api_client import Api, rows_in


@pytest.fixture
def rows_a(tree, person_a):
    return rows_in(tree.community_a, tree.house_a, person_a, plate="陕A12345")


@pytest.fixture
def rows_b(tree, person_b):
    return rows_in(tree.community_b, tree.house_b, person_b, plate="陕A67890")


# name -> (list path, detail path, a harmless PATCH body, model)
def routes(rows):
    org = f"/organizations/{rows.organization.pk}"
    return {
        "areas": ("/areas", f"/areas/{rows.area.pk}", None, Area),
        "houses": ("/houses", f"/houses/{rows.house.pk}", {"status": "vacant"}, House),
        "people": ("/people", f"/people/{rows.person.pk}", {"note": "x"}, Person),
        "residences": ("/residences", f"/residences/{rows.residence.pk}", {"end_date": "2024-01-01"}, Residence),
        "organizations": ("/organizations", org, {"address": "x"}, Organization),
        # members have no read route of their own: list and PATCH only
        "members": (f"{org}/members", f"{org}/members/{rows.member.pk}", {"end_date": "2024-01-01"},
                    OrganizationMember),
        "vehicles": ("/vehicles", f"/vehicles/{rows.vehicle.pk}", {"color": "红"}, Vehicle),
        "facilities": ("/facilities", f"/facilities/{rows.facility.pk}", {"status": "faulty"}, Facility),
    }


RESOURCES = ["areas", "houses", "people", "residences", "organizations", "members", "vehicles", "facilities"]
READABLE = [name for name in RESOURCES if name != "members"]
WRITABLE = [name for name in RESOURCES if name != "areas"]


def _pk(path: str) -> int:
    return int(path.rsplit("/", 1)[1])


@pytest.mark.parametrize("name", RESOURCES)
def test_it_keeps_community_a_out_of_the_outsiders_lists(name, rows_a, rows_b, outsider):
    list_a, detail_a, _body, _model = routes(rows_a)[name]
    list_b, detail_b, _body, _model = routes(rows_b)[name]
    response = Api(outsider).get(list_b, limit=200)
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    assert _pk(detail_b) in ids  # the outsider does see their own rows...
    assert _pk(detail_a) not in ids  # ...and never A's
    if list_a != list_b:  # members: nested under A's organization, itself out of scope
        assert Api(outsider).get(list_a).status_code == 404


@pytest.mark.parametrize("name", READABLE)
def test_it_answers_404_to_the_outsider_reading_a_row_of_community_a(name, rows_a, outsider):
    _list, detail, _body, _model = routes(rows_a)[name]
    response = Api(outsider).get(detail)
    assert response.status_code == 404
    assert response.json() == Api(outsider).get(detail.rsplit("/", 1)[0] + "/999999").json()


@pytest.mark.parametrize("name", WRITABLE)
def test_it_answers_404_to_the_outsider_patching_a_row_of_community_a(name, rows_a, outsider):
    _list, detail, body, model = routes(rows_a)[name]
    response = Api(outsider).patch(detail, body)
    assert response.status_code == 404
    row = model.objects.get(pk=_pk(detail))
    for field, value in body.items():
        assert str(getattr(row, field)) != value


def test_it_keeps_community_a_out_of_the_outsiders_searches(rows_a, rows_b, outsider):
    api = Api(outsider)
    assert api.get("/people", q="610113198005170015").json()["items"] == []
    assert api.get("/people", area_id=rows_a.area.pk).json()["items"] == []
    assert api.get("/vehicles", q="陕A12345").json()["items"] == []


def test_it_refuses_to_add_a_member_to_an_organization_of_community_a(rows_a, rows_b, outsider):
    response = Api(outsider).post(f"/organizations/{rows_a.organization.pk}/members", {"person_id": rows_b.person.pk})
    assert response.status_code == 404
    assert rows_a.organization.members.count() == 1


def test_it_lets_a_street_cadre_see_both_communities(rows_a, rows_b, street_cadre):
    ids = {item["id"] for item in Api(street_cadre).get("/people").json()["items"]}
    assert ids == {rows_a.person.pk, rows_b.person.pk}


def test_every_api_route_is_covered_by_this_sweep():
    """A new registry route must be added to ``routes()`` above (or to its own outsider test)."""
    from shequ.api import api

    paths = set(api.get_openapi_schema()["paths"])
    covered = {
        "/api/v1/areas", "/api/v1/areas/{area_id}", "/api/v1/houses", "/api/v1/houses/{house_id}",
        "/api/v1/people", "/api/v1/people/{person_id}", "/api/v1/people/{person_id}/reveal",
        "/api/v1/residences", "/api/v1/residences/{residence_id}", "/api/v1/organizations",
        "/api/v1/organizations/{organization_id}", "/api/v1/organizations/{organization_id}/members",
        "/api/v1/organizations/{organization_id}/members/{member_id}", "/api/v1/vehicles",
        "/api/v1/vehicles/{vehicle_id}", "/api/v1/facilities", "/api/v1/facilities/{facility_id}",
    }
    registry_paths = {path for path in paths if path.split("/")[3] in
                      {"areas", "houses", "people", "residences", "organizations", "vehicles", "facilities"}}
    assert registry_paths == covered


def create_bodies(rows):
    return {
        "/houses": {"unit_id": rows.house.area.parent_id, "number": "0909", "floor_area": "50"},
        "/people": {"area_id": rows.house.area_id, "name": "王五", "id_number": "11010519491231002X"},
        "/residences": {"person_id": rows.person.pk, "house_id": rows.house.pk, "relation": "tenant",
                        "population_type": "floating"},
        "/organizations": {"area_id": rows.area.pk, "name": "新组织", "kind": "merchant"},
        "/vehicles": {"area_id": rows.area.pk, "plate": "陕AD12345"},
        "/facilities": {"area_id": rows.area.pk, "kind": "camera", "name": "新摄像机"},
    }


CREATED = {"/houses": House, "/people": Person, "/residences": Residence, "/organizations": Organization,
           "/vehicles": Vehicle, "/facilities": Facility}


@pytest.mark.parametrize("path", list(CREATED))
def test_it_refuses_to_create_rows_in_community_a_for_the_outsider(path, rows_a, outsider):
    before = CREATED[path].objects.count()
    response = Api(outsider).post(path, create_bodies(rows_a)[path])
    assert response.status_code == 422
    assert {e["code"] for e in response.json()["detail"]} == {"does_not_exist"}
    assert CREATED[path].objects.count() == before
