"""The platform's Ed25519 key: what gates and terminals trust without asking.

Visitor passes (QR codes) and broadcast notices are signed with one platform
private key; devices get the public key in their sync and verify offline. HMAC
with each device's own secret (``shequ.access.protocol``) cannot do this: a QR
code is shown to many doors, and a notice published once to an area topic is
read by thousands of terminals, none of which may be able to forge it.

This module has no Django import at the top: ``shequ edge`` and the terminal
simulator verify with it. Only :func:`platform_private_key` reads settings.
"""

from __future__ import annotations

import base64
import functools

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Raises ValueError on anything that is not unpadded URL-safe base64."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("not base64url text")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def private_key_from_seed(seed_b64: str) -> Ed25519PrivateKey:
    """The key from its 32-byte seed as stored in the secrets file (URL-safe base64)."""
    seed = base64.urlsafe_b64decode(seed_b64)
    if len(seed) != 32:
        raise ValueError("an Ed25519 seed is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as devices receive it: 32 raw bytes, URL-safe base64 without padding."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return b64url_encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw))


@functools.lru_cache(maxsize=8)
def public_key_load(text: str) -> Ed25519PublicKey:
    """Raises ValueError for anything that is not a 32-byte key."""
    raw = b64url_decode(text)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    return b64url_encode(key.sign(data))


def verify(public_key: Ed25519PublicKey | str, data: bytes, signature_text: str) -> bool:
    """True only for a valid signature of ``data``; never raises on bad input."""
    try:
        key = public_key_load(public_key) if isinstance(public_key, str) else public_key
        key.verify(b64url_decode(signature_text), data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


@functools.lru_cache(maxsize=2)
def _key_of(seed_b64: str) -> Ed25519PrivateKey:
    return private_key_from_seed(seed_b64)


def platform_private_key() -> Ed25519PrivateKey:
    """The platform's signing key (settings.SHEQU_SIGNING_KEY, from the secrets file)."""
    from django.conf import settings

    return _key_of(settings.SHEQU_SIGNING_KEY)


def platform_public_key_text() -> str:
    return public_key_text(platform_private_key())
