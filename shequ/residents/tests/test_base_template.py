"""The resident base template other apps' pages extend."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse

pytestmark = pytest.mark.django_db


def test_url_or_hash_gives_the_url_of_a_routed_name():
    html = Template("{% load residents_tags %}{% url_or_hash 'residents:member' 5 %}").render(Context())
    assert html == reverse("residents:member", args=[5])


def test_url_or_hash_gives_a_dead_link_for_a_name_not_routed_yet():
    with pytest.raises(NoReverseMatch):
        reverse("visitors:no_such_page")
    assert Template("{% load residents_tags %}{% url_or_hash 'visitors:no_such_page' %}").render(Context()) == "#"


def test_the_resident_pages_are_phone_sized_with_the_bottom_navigation(resident_client):
    html = resident_client.get("/me/").content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1' in html
    assert 'class="r-nav"' in html
    for label in ("首页", "访客", "通知", "信箱", "我的"):
        assert f"{label}</a>" in html
    assert 'name="language" value="en"' in html
    assert "http://" not in html and "https://" not in html  # no external assets


def test_the_pages_switch_to_english(resident_client):
    resident_client.post("/i18n/setlang/", {"language": "en", "next": "/me/"})
    html = resident_client.get("/me/").content.decode()
    assert '<html lang="en">' in html and 'name="language" value="zh-hans"' in html
