"""API keys for machines (upper-level platforms, integrations).

A key reads ``shq_<prefix>_<secret>``. The prefix is stored in clear to find the
row (and to name the key in lists and audit records); only a SHA-256 of the
secret is stored. A plain hash is enough because the secret is 160 random bits,
not a password: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.accounts.audit import Actor, audit_append
from shequ.accounts.models import User
from shequ.exchange.models import ApiKey

KEY_SCHEME = "shq"
PREFIX_BYTES = 4  # 8 hex characters
SECRET_BYTES = 20  # 40 hex characters; hex so a double-click selects the whole key
# writing last_used_at on every request would turn each read into a write
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _require_key_owner(actor: Actor, user: User) -> None:
    """Keys are made by the operator (CLI, ``actor.user`` None) or by the user for
    themself: a key acts with all its user's grants, so nobody else may mint one."""
    if actor.user is not None and actor.user.pk != user.pk:
        raise PermissionDenied(_("只能为自己创建或撤销 API 密钥。"))


@transaction.atomic
def apikey_create(*, actor: Actor, name: str, user: User) -> tuple[ApiKey, str]:
    """Create a key acting as ``user``; returns the row and the only copy of the key."""
    _require_key_owner(actor, user)
    name = (name or "").strip()
    if not name or len(name) > ApiKey._meta.get_field("name").max_length:
        raise ValidationError({"name": _("名称不能为空，且不超过 100 个字符。")}, code="apikey_name")
    for _attempt in range(5):
        prefix = secrets.token_hex(PREFIX_BYTES)
        secret = secrets.token_hex(SECRET_BYTES)
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(name=name, prefix=prefix, secret_hash=_hash(secret), user=user)
            break
        except IntegrityError:  # prefix collision: 1 in 4 billion per existing key
            continue
    else:
        raise RuntimeError("could not find a free API key prefix")
    audit_append(actor=actor, action="apikey.created", obj=key,
                 detail={"name": key.name, "prefix": prefix, "user": user.get_username()})
    return key, f"{KEY_SCHEME}_{prefix}_{secret}"


@transaction.atomic
def apikey_revoke(*, actor: Actor, key: ApiKey) -> ApiKey:
    """Revoke a key at once; the row stays so audit records keep their meaning."""
    _require_key_owner(actor, key.user)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_append(actor=actor, action="apikey.revoked", obj=key, detail={"name": key.name, "prefix": key.prefix})
    return key


def parse_key(raw: str) -> tuple[str, str] | None:
    """``shq_<prefix>_<secret>`` -> (prefix, secret), or None if it is not a key."""
    scheme, sep, rest = (raw or "").strip().partition("_")
    prefix, sep2, secret = rest.partition("_")
    if scheme != KEY_SCHEME or not sep or not sep2 or not prefix or not secret:
        return None
    return prefix, secret


def apikey_authenticate(raw: str) -> ApiKey | None:
    """The usable key ``raw`` names (active, not revoked, its user active), else None."""
    parsed = parse_key(raw)
    if parsed is None:
        return None
    prefix, secret = parsed
    key = ApiKey.objects.usable().select_related("user").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)):
        return None
    _mark_used(key)
    return key


def _mark_used(key: ApiKey) -> None:
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        # conditional UPDATE: concurrent requests of the same minute write once
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ApiKey.objects.filter(stale, pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def apikeys_authenticate(raws: Iterable[str]) -> dict[str, ApiKey]:
    """``apikey_authenticate`` for many keys in one query (batch writers): the
    usable key of each raw string that names one."""
    parsed = {raw: parse_key(raw) for raw in set(raws)}
    prefixes = {pair[0] for pair in parsed.values() if pair is not None}
    if not prefixes:
        return {}
    rows = {key.prefix: key for key in ApiKey.objects.usable().select_related("user").filter(prefix__in=prefixes)}
    found: dict[str, ApiKey] = {}
    for raw, pair in parsed.items():
        key = rows.get(pair[0]) if pair is not None else None
        if key is None or not hmac.compare_digest(key.secret_hash, _hash(pair[1])):
            continue
        _mark_used(key)
        found[raw] = key
    return found
