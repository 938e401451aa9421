"""The dashboard and navigation by area."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from shequ.accounts.audit import Actor
from shequ.registry import services
from shequ.registry.tests.factories import PersonFactory

SYSTEM = Actor.system(via="test")


@pytest.fixture
def facilities(tree):
    overdue = services.facility_create(actor=SYSTEM, area=tree.complex_a, kind="fire_hydrant", name="甲消防栓",
                                       next_inspection_on=date.today() - timedelta(days=1))
    later = services.facility_create(actor=SYSTEM, area=tree.complex_a, kind="elevator", name="甲电梯",
                                     next_inspection_on=date.today() + timedelta(days=30))
    in_b = services.facility_create(actor=SYSTEM, area=tree.complex_b, kind="fire_hydrant", name="乙消防栓",
                                    next_inspection_on=date.today() - timedelta(days=1))
    return overdue, later, in_b


def test_it_sends_anonymous_visitors_to_login(db, client):
    response = client.get(reverse("registry:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_it_loads_the_counts_after_the_page(tree, worker, client_for):
    content = client_for(worker).get(reverse("registry:home")).content.decode()
    assert f'hx-get="{reverse("registry:home_counts")}"' in content


def test_it_counts_only_the_users_areas(tree, worker, person_a, person_b, facilities, client_for):
    response = client_for(worker).get(reverse("registry:home_counts"))
    counts = response.context["counts"]
    assert counts["people"] == 1
    assert counts["houses"] == 2  # house_a and house_a2; house_b is in B
    assert counts["facilities"] == 2
    assert counts["facilities_due"] == 1


def test_it_links_the_users_granted_areas(tree, worker, client_for):
    content = client_for(worker).get(reverse("registry:home")).content.decode()
    assert reverse("registry:area_detail", args=[tree.community_a.pk]) in content
    assert reverse("registry:area_detail", args=[tree.community_b.pk]) not in content


def test_it_links_import_and_export_for_staff(tree, worker, client_for):
    assert 'href="/exchange/"' in client_for(worker).get(reverse("registry:home")).content.decode()


def test_it_greets_users_without_registry_rights(tree, auditor, client_for):
    response = client_for(auditor).get(reverse("registry:home"))
    assert response.status_code == 200
    assert response.context["no_registry"] is True
    assert reverse("registry:person_list") not in response.content.decode()


def test_the_area_page_names_ancestors_but_links_only_visible_ones(tree, worker, client_for):
    response = client_for(worker).get(reverse("registry:area_detail", args=[tree.complex_a.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "小寨路街道" in content
    assert reverse("registry:area_detail", args=[tree.street.pk]) not in content
    assert reverse("registry:area_detail", args=[tree.community_a.pk]) in content
    assert reverse("registry:area_counts", args=[tree.complex_a.pk]) in content


def test_the_area_counts_show_children_and_totals(tree, worker, person_a, client_for):
    PersonFactory(area=tree.house_a2.area)
    response = client_for(worker).get(reverse("registry:area_counts", args=[tree.complex_a.pk]))
    content = response.content.decode()
    (building,) = response.context["children"]
    assert building.name == "3号楼" and building.people_count == 2 and building.house_count == 2
    assert response.context["counts"]["people"] == 2
    assert f'{reverse("registry:person_list")}?area={tree.complex_a.pk}' in content


def test_the_area_page_counts_children_within_the_users_scope(tree, street_cadre, person_a, person_b, client_for):
    response = client_for(street_cadre).get(reverse("registry:area_counts", args=[tree.street.pk]))
    children = {child.name: (child.people_count, child.house_count) for child in response.context["children"]}
    assert children == {"长庆坊社区": (1, 2), "西何社区": (1, 1)}


def test_the_outsider_gets_404_on_an_area_of_a(tree, outsider, client_for):
    client = client_for(outsider)
    assert client.get(reverse("registry:area_detail", args=[tree.complex_a.pk])).status_code == 404
    assert client.get(reverse("registry:area_counts", args=[tree.complex_a.pk])).status_code == 404


def test_the_area_page_runs_a_fixed_number_of_queries(tree, worker, client_for, django_assert_max_num_queries):
    for _ in range(5):
        PersonFactory(area=tree.house_a.area)
    client = client_for(worker)
    with django_assert_max_num_queries(14):
        client.get(reverse("registry:area_counts", args=[tree.community_a.pk]))
