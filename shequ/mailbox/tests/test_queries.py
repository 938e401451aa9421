"""The list pages and the letter page run a fixed number of queries, however many rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shequ.accounts.audit import Actor
from shequ.mailbox import services

pytestmark = pytest.mark.django_db


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url_name", ["mailbox:inbox", "mailbox:overdue", "mailbox:inbox_export"])
def test_a_police_list_does_not_query_per_row(write, police, client_for, url_name):
    client = client_for(police)
    write()
    one = _count(client, reverse(url_name))
    for _ in range(5):
        write(anonymous=True)
    assert _count(client, reverse(url_name)) == one


def test_my_letters_does_not_query_per_row(write, sender, client_for):
    client = client_for(sender)
    write()
    one = _count(client, reverse("mailbox:my_letters"))
    for _ in range(5):
        write()
    assert _count(client, reverse("mailbox:my_letters")) == one


def test_the_letter_page_does_not_query_per_message(letter, police, sender, client_for):
    client = client_for(police)
    url = reverse("mailbox:letter_detail", args=[letter.pk])
    client.get(url)  # marks it read: later views are plain reads
    services.letter_reply(actor=Actor(user=police), letter=letter, body="一")
    client.get(url)
    one = _count(client, url)
    for body in ("二", "三", "四"):
        services.letter_follow_up(actor=Actor(user=sender), letter=letter, body=body)
        services.letter_reply(actor=Actor(user=police), letter=letter, body=body)
    assert _count(client, url) == one
