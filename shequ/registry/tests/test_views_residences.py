"""Moving in and out from the person page (htmx), keeping the history."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from shequ.accounts.audit import Actor
from shequ.registry import services
from shequ.registry.models import Residence

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def residence_a(tree, person_a):
    return services.residence_start(actor=Actor.system(via="test"), person=person_a, house=tree.house_a,
                                    relation="owner", population_type="registered", start_date=date(2020, 1, 1))


def _move_in(client, person, house, **overrides):
    data = {"house": house.pk, "relation": "tenant", "population_type": "floating", "start_date": "2024-05-01",
            "lease_end": "2025-05-01", **overrides}
    return client.post(reverse("registry:residence_add", args=[person.pk]), data, **HTMX)


def test_it_serves_the_move_in_form_as_a_fragment(person_a, worker, client_for):
    response = client_for(worker).get(reverse("registry:residence_add", args=[person_a.pk]), **HTMX)
    content = response.content.decode()
    assert response.status_code == 200 and "<html" not in content
    assert 'name="relation"' in content


def test_it_moves_a_person_in_and_returns_the_refreshed_block(tree, person_a, worker, client_for):
    response = _move_in(client_for(worker), person_a, tree.house_a2)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#residences"
    assert "0302" in response.content.decode()
    residence = Residence.objects.get(person=person_a, house=tree.house_a2)
    assert residence.relation == "tenant" and str(residence.lease_end) == "2025-05-01"
    person_a.refresh_from_db()
    assert person_a.area_id == tree.house_a2.area_id


def test_it_shows_a_lease_ending_before_move_in_next_to_the_field(tree, person_a, worker, client_for):
    response = _move_in(client_for(worker), person_a, tree.house_a2, lease_end="2024-01-01")
    content = response.content.decode()
    assert "租约到期日不能早于入住日期" in content.split('id="field-lease_end"')[1]
    assert not Residence.objects.filter(person=person_a, house=tree.house_a2).exists()


def test_it_refuses_a_house_of_another_community(tree, person_a, worker, client_for):
    response = _move_in(client_for(worker), person_a, tree.house_b)
    assert "请从搜索结果中选择一项" in response.content.decode()
    assert not Residence.objects.filter(house=tree.house_b).exists()


def test_it_moves_a_person_out_and_keeps_the_history(tree, residence_a, worker, client_for):
    response = client_for(worker).post(reverse("registry:residence_end", args=[residence_a.pk]),
                                       {"end_date": "2024-06-30"}, **HTMX)
    assert response.status_code == 200
    residence_a.refresh_from_db()
    assert str(residence_a.end_date) == "2024-06-30"
    content = response.content.decode()
    assert "2024-06-30" in content and "2020-01-01" in content  # the ended row is still listed
    residence_a.person.refresh_from_db()
    assert residence_a.person.area_id == tree.community_a.pk


def test_it_shows_an_end_date_before_the_start_in_the_block(tree, residence_a, worker, client_for):
    response = client_for(worker).post(reverse("registry:residence_end", args=[residence_a.pk]),
                                       {"end_date": "2019-01-01"}, **HTMX)
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    residence_a.refresh_from_db()
    assert residence_a.end_date is None


def test_it_redirects_a_plain_post_back_to_the_person(tree, residence_a, worker, client_for):
    response = client_for(worker).post(reverse("registry:residence_end", args=[residence_a.pk]),
                                       {"end_date": "2024-06-30"})
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:person_detail", args=[residence_a.person_id])


def test_the_outsider_cannot_move_a_person_out(tree, residence_a, outsider, client_for):
    response = client_for(outsider).post(reverse("registry:residence_end", args=[residence_a.pk]),
                                         {"end_date": "2024-06-30"}, **HTMX)
    assert response.status_code == 404
    residence_a.refresh_from_db()
    assert residence_a.end_date is None


def test_a_guard_cannot_move_a_person_out(tree, residence_a, guard, client_for):
    response = client_for(guard).post(reverse("registry:residence_end", args=[residence_a.pk]),
                                      {"end_date": "2024-06-30"}, **HTMX)
    assert response.status_code == 403
    residence_a.refresh_from_db()
    assert residence_a.end_date is None


def test_the_outsider_cannot_move_a_person_of_a_in(tree, person_a, outsider, client_for):
    assert _move_in(client_for(outsider), person_a, tree.house_b).status_code == 404
    assert not Residence.objects.filter(person=person_a).exists()
