"""The mailbox API: the same scope and the same anonymity as the pages."""

from __future__ import annotations

import pytest

from shequ.mailbox.models import LetterMessage, Status

pytestmark = [pytest.mark.django_db, pytest.mark.urls("shequ.mailbox.tests.urls")]

API = "/api/test/mailbox"


def test_the_police_list_the_letters_of_their_community(letter, police, police_b, client_for):
    mine = client_for(police).get(f"{API}/letters").json()
    assert [item["id"] for item in mine["items"]] == [letter.pk] and mine["next"] is None
    assert client_for(police_b).get(f"{API}/letters").json()["items"] == []


def test_a_letter_of_another_community_is_404(letter, police_b, client_for):
    response = client_for(police_b).get(f"{API}/letters/{letter.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_police_reply_through_the_api(letter, police, client_for):
    response = client_for(police).post(f"{API}/letters/{letter.pk}/replies", {"body": "已转物业"},
                                       content_type="application/json")
    assert response.status_code == 201 and response.json()["side"] == "police"
    letter.refresh_from_db()
    assert letter.status == Status.REPLIED


def test_an_empty_reply_is_a_field_error(letter, police, client_for):
    response = client_for(police).post(f"{API}/letters/{letter.pk}/replies", {"body": ""},
                                       content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "body"
    assert not LetterMessage.objects.exists()


def test_a_resident_reads_only_their_own_letters(letter, sender, neighbour, client_for):
    assert [item["id"] for item in client_for(sender).get(f"{API}/mine").json()["items"]] == [letter.pk]
    assert client_for(neighbour).get(f"{API}/mine").json()["items"] == []
    assert client_for(neighbour).get(f"{API}/mine/{letter.pk}").status_code == 404


def test_a_resident_cannot_post_to_another_households_thread(letter, neighbour, client_for):
    response = client_for(neighbour).post(f"{API}/mine/{letter.pk}/messages", {"body": "插话"},
                                          content_type="application/json")
    assert response.status_code == 404 and not LetterMessage.objects.exists()


def test_a_resident_follows_up_through_the_api(letter, sender, client_for):
    response = client_for(sender).post(f"{API}/mine/{letter.pk}/messages", {"body": "补充说明"},
                                       content_type="application/json")
    assert response.status_code == 201 and response.json()["author"] == "我"


def test_a_resident_cannot_use_the_police_inbox(letter, sender, client_for):
    assert client_for(sender).get(f"{API}/letters").json()["items"] == []
    assert client_for(sender).get(f"{API}/letters/{letter.pk}").status_code == 404


def test_the_api_needs_a_login(letter, client):
    assert client.get(f"{API}/letters").status_code == 401
