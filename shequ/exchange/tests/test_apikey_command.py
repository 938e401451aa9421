"""``python -m django apikey create|list|revoke``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from shequ.accounts.models import RoleGrant, User
from shequ.exchange.models import ApiKey
from shequ.registry.tests.api_client import BASE


def run(*args: str) -> str:
    out = StringIO()
    call_command("apikey", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_new_key_as_the_last_word(worker, person_a):
    output = run("create", "上级平台", "--user", worker.username)
    raw = output.split()[-1]
    assert raw.startswith("shq_")
    response = Client().get(f"{BASE}/people", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and len(response.json()["items"]) == 1


def test_it_creates_a_service_user_without_grants_and_says_so(db):
    output = run("create", "区平台")
    account = User.objects.get(username="api:区平台")
    assert not account.has_usable_password()
    assert not RoleGrant.objects.filter(user=account).exists()
    assert "没有任何角色授权" in output
    assert ApiKey.objects.get(prefix=output.split()[-1].split("_")[1]).user == account


def test_it_reuses_the_service_user_for_a_second_key(db):
    run("create", "区平台")
    run("create", "区平台")
    assert User.objects.filter(username="api:区平台").count() == 1
    assert ApiKey.objects.filter(user__username="api:区平台").count() == 2


def test_a_service_users_key_sees_nothing_until_granted(tree, person_a):
    raw = run("create", "区平台").split()[-1]
    client = Client()
    assert client.get(f"{BASE}/people", HTTP_AUTHORIZATION=f"Bearer {raw}").json()["items"] == []
    RoleGrant.objects.create(user=User.objects.get(username="api:区平台"), role="street_staff", area=tree.street)
    assert len(client.get(f"{BASE}/people", HTTP_AUTHORIZATION=f"Bearer {raw}").json()["items"]) == 1


def test_it_refuses_an_unknown_user(db):
    with pytest.raises(CommandError):
        run("create", "x", "--user", "nobody")
    assert not ApiKey.objects.exists() and not User.objects.filter(username="api:x").exists()


def test_it_lists_keys_by_prefix_never_by_secret(worker):
    raw = run("create", "上级平台", "--user", worker.username).split()[-1]
    listing = run("list")
    prefix, secret = raw.split("_")[1:]
    assert prefix in listing and "上级平台" in listing and secret not in listing


def test_it_revokes_a_key_by_prefix(worker, person_a):
    raw = run("create", "上级平台", "--user", worker.username).split()[-1]
    run("revoke", raw.split("_")[1])
    assert Client().get(f"{BASE}/people", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert raw.split("_")[1] not in run("list")
    assert raw.split("_")[1] in run("list", "--all")


def test_it_refuses_to_revoke_an_unknown_prefix(db):
    with pytest.raises(CommandError):
        run("revoke", "deadbeef")
