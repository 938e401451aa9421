"""API key services: creation, hashing, authentication, revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shequ.accounts.audit import Actor
from shequ.accounts.models import AuditRecord
from shequ.exchange.models import ApiKey
from shequ.exchange.services import apikey_authenticate, apikey_create, apikey_revoke, parse_key

SYSTEM = Actor.system(via="test")


def test_it_creates_a_key_and_stores_only_a_hash_of_its_secret(worker):
    key, raw = apikey_create(actor=SYSTEM, name="上级平台", user=worker)
    scheme, prefix, secret = raw.split("_")
    assert scheme == "shq" and prefix == key.prefix and len(secret) == 40
    row = ApiKey.objects.get(pk=key.pk)
    assert secret not in row.secret_hash and len(row.secret_hash) == 64
    assert AuditRecord.objects.get(action="apikey.created", object_id=str(key.pk)).detail["prefix"] == prefix


def test_it_authenticates_a_key_as_its_user(worker):
    _key, raw = apikey_create(actor=SYSTEM, name="k", user=worker)
    assert apikey_authenticate(raw).user == worker


@pytest.mark.parametrize("mangle", [
    lambda raw: raw[:-1] + ("0" if raw[-1] != "0" else "1"),  # wrong secret
    lambda raw: raw.replace("shq_", "sk_"),  # wrong scheme
    lambda raw: "shq_00000000_" + raw.split("_")[2],  # unknown prefix
    lambda raw: raw.rsplit("_", 1)[0],  # no secret
    lambda raw: "",
])
def test_it_refuses_a_wrong_or_malformed_key(worker, mangle):
    _key, raw = apikey_create(actor=SYSTEM, name="k", user=worker)
    assert apikey_authenticate(mangle(raw)) is None


def test_it_refuses_a_revoked_key(worker):
    key, raw = apikey_create(actor=SYSTEM, name="k", user=worker)
    apikey_revoke(actor=SYSTEM, key=key)
    assert apikey_authenticate(raw) is None
    assert AuditRecord.objects.filter(action="apikey.revoked", object_id=str(key.pk)).exists()


def test_it_refuses_the_key_of_a_deactivated_user(worker):
    _key, raw = apikey_create(actor=SYSTEM, name="k", user=worker)
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    assert apikey_authenticate(raw) is None


def test_it_stamps_last_use_at_most_once_a_minute(worker):
    key, raw = apikey_create(actor=SYSTEM, name="k", user=worker)
    apikey_authenticate(raw)
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first is not None
    apikey_authenticate(raw)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(minutes=2))
    apikey_authenticate(raw)
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first - timedelta(seconds=1)


def test_it_refuses_to_mint_a_key_for_someone_else(worker, sysadmin):
    with pytest.raises(PermissionDenied):
        apikey_create(actor=Actor(sysadmin), name="k", user=worker)
    assert not ApiKey.objects.exists()


def test_it_lets_a_user_mint_their_own_key(worker):
    key, _raw = apikey_create(actor=Actor(worker), name="我的脚本", user=worker)
    assert key.user == worker


def test_it_refuses_to_revoke_someone_elses_key(worker, outsider):
    key, raw = apikey_create(actor=SYSTEM, name="k", user=worker)
    with pytest.raises(PermissionDenied):
        apikey_revoke(actor=Actor(outsider), key=key)
    assert apikey_authenticate(raw) is not None


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_it_refuses_a_blank_or_too_long_name(worker, name):
    with pytest.raises(ValidationError) as exc:
        apikey_create(actor=SYSTEM, name=name, user=worker)
    assert "name" in exc.value.message_dict
    assert not ApiKey.objects.exists()


def test_it_parses_only_well_formed_keys():
    assert parse_key("shq_ab12cd34_" + "f" * 40) == ("ab12cd34", "f" * 40)
    assert parse_key("  shq_ab12cd34_secret \n") == ("ab12cd34", "secret")
    assert parse_key("Bearer shq_x_y") is None
