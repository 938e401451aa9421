"""Protection of personal information: encryption at rest, keyed hashes, masking.

Every ID or phone number is stored three ways:
- ``*_cipher``: AES-256-GCM ciphertext (random nonce), the only copy of the value;
- ``*_digest``: HMAC-SHA256 under a separate key, so an exact number can be found
  with an index lookup without decrypting rows (a plain hash of an 18-digit ID
  would be brute-forced in minutes, a keyed one cannot be without the key);
- ``*_masked``: what every page, API answer and export shows by default.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_NONCE_BYTES = 12
_VERSION = b"\x01"  # leading byte lets us rotate the scheme later


@cache
def _aead(key: str) -> AESGCM:
    return AESGCM(base64.urlsafe_b64decode(key))


@cache
def _index_key(key: str) -> bytes:
    return base64.urlsafe_b64decode(key)


def encrypt(plaintext: str) -> str:
    """Encrypt a short string; returns URL-safe base64 text fit for a text column."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _aead(settings.SHEQU_PII_KEY).encrypt(nonce, plaintext.encode(), None)
    return base64.urlsafe_b64encode(_VERSION + nonce + sealed).decode()


def decrypt(token: str) -> str:
    """Decrypt a value made by :func:`encrypt`; raises if it was altered."""
    raw = base64.urlsafe_b64decode(token)
    if raw[:1] != _VERSION:
        raise ValueError("unknown PII cipher version")
    nonce, sealed = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
    return _aead(settings.SHEQU_PII_KEY).decrypt(nonce, sealed, None).decode()


def digest(kind: str, value: str) -> str:
    """Keyed hash of a normalised value; ``kind`` keeps ID and phone spaces apart."""
    mac = hmac.new(_index_key(settings.SHEQU_INDEX_KEY), digestmod=hashlib.sha256)
    mac.update(kind.encode())
    mac.update(b"\x00")
    mac.update(value.encode())
    return mac.hexdigest()


def mask_id_number(value: str) -> str:
    """``610102199001011234`` -> ``610***********1234``: region and last four stay."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` -> ``138****5678``."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


@dataclass(frozen=True)
class Protected:
    """The three stored forms of one personal value."""

    cipher: str
    digest: str
    masked: str


def protect_id_number(value: str) -> Protected:
    return Protected(encrypt(value), digest("id", value), mask_id_number(value))


def protect_phone(value: str) -> Protected:
    return Protected(encrypt(value), digest("phone", value), mask_phone(value))


EMPTY = Protected("", "", "")
