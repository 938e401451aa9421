"""Who sees which cases: the complex's team its complex, the street its streets,
the outsider nothing of community A's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shequ.cases import selectors
from shequ.cases.models import Case, Status
from shequ.cases.tests.conftest import png_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(make_case, tree):
    return make_case(area=tree.house_a.area, title="A的事"), make_case(area=tree.complex_b, title="B的事")


def titles(queryset) -> set[str]:
    return set(queryset.values_list("title", flat=True))


def test_a_team_member_sees_only_their_complex(both, team_member):
    assert titles(selectors.case_list(user=team_member)) == {"A的事"}


def test_the_street_cadre_sees_every_complex_of_the_street(both, street_cadre):
    assert titles(selectors.case_list(user=street_cadre)) == {"A的事", "B的事"}


def test_community_staff_see_only_their_community(both, worker, outsider):
    assert titles(selectors.case_list(user=worker)) == {"A的事"}
    assert titles(selectors.case_list(user=outsider)) == {"B的事"}


def test_a_guard_sees_no_cases(both, guard):
    assert not Case.objects.visible_to(guard, "cases.view").exists()


def test_the_team_member_list_page_shows_only_their_complex(both, team_member, client_for):
    page = client_for(team_member).get(reverse("cases:case_list"))
    assert page.status_code == 200
    assert "A的事" in page.content.decode() and "B的事" not in page.content.decode()


def test_an_outsider_gets_404_on_a_case_of_a(both, outsider, client_for):
    case_a, _b = both
    client = client_for(outsider)
    assert client.get(reverse("cases:case_detail", args=[case_a.pk])).status_code == 404


def test_an_outsider_cannot_act_on_a_case_of_a(both, outsider, client_for):
    case_a, _b = both
    response = client_for(outsider).post(reverse("cases:case_act", args=[case_a.pk, "accept"]), {"accept-note": ""})
    assert response.status_code == 404
    case_a.refresh_from_db()
    assert case_a.status == Status.NEW


def test_an_outsider_gets_404_for_a_photo_of_a(make_case, tree, outsider, worker, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = make_case(photos=[png_upload()])
    photo = case.photos.get()
    assert client_for(outsider).get(reverse("cases:photo", args=[photo.pk])).status_code == 404
    shown = client_for(worker).get(reverse("cases:photo", args=[photo.pk]))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert shown["X-Content-Type-Options"] == "nosniff"


def test_an_outsider_does_not_find_a_case_of_a_by_its_number(both, outsider):
    case_a, _b = both
    assert not selectors.case_list(user=outsider, query=case_a.number).exists()
